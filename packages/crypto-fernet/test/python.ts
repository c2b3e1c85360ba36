import { spawnSync } from 'node:child_process';

/**
 * Runs a Python snippet with pyca/cryptography: the snippet reads the JSON `payload`
 * as `data` and assigns its JSON-serialisable answer to `result`.
 */
export function runPython<T>(snippet: string, payload: unknown): T {
  const program = [
    'import base64, json, sys',
    'from cryptography.fernet import Fernet, MultiFernet, InvalidToken',
    'data = json.load(sys.stdin)',
    snippet,
    'json.dump(result, sys.stdout)',
  ].join('\n');
  const run = spawnSync('python3', ['-c', program], { input: JSON.stringify(payload), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`python3 exited with ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}
