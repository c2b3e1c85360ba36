import { spawnSync } from 'node:child_process';

/** What python3's `cryptography` made of one token. */
export type PythonDecryption = { ok: true; json: unknown } | { ok: false; error: string };

const PROGRAM = `
import json, sys
from cryptography.fernet import Fernet, MultiFernet, InvalidToken
data = json.load(sys.stdin)
ring = MultiFernet([Fernet(key.encode()) for key in data["keys"]])
out = []
for token in data["tokens"]:
    try:
        out.append({"ok": True, "json": json.loads(ring.decrypt(token.encode()).decode("utf-8"))})
    except InvalidToken:
        out.append({"ok": False, "error": "InvalidToken"})
    except Exception as error:
        out.append({"ok": False, "error": type(error).__name__})
json.dump(out, sys.stdout)
`;

/**
 * Decrypts stored tokens with pyca/cryptography (an implementation independent of
 * ours): MultiFernet over `keys`, each plaintext parsed as JSON.
 */
export function decryptWithPython(tokens: readonly string[], keys: readonly string[]): PythonDecryption[] {
  const run = spawnSync('python3', ['-c', PROGRAM], { input: JSON.stringify({ tokens, keys }), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`python3 exited with ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as PythonDecryption[];
}
