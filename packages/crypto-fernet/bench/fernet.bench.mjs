// Fernet encrypt/decrypt throughput of this package against Python's cryptography.fernet,
// measured in the same run on a 300-byte settings JSON. Needs a build first (imports dist).
// Run directly (`node bench/fernet.bench.mjs`) for a table, or import runFernetBench().
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { createFernetCipher, generateFernetKey } from '../dist/index.js';

const OPERATIONS = 20_000;
const ROUNDS = 5;

/** A settings document padded to exactly 300 bytes of UTF-8. */
function settingsJson() {
  const settings = { provider: 'anthropic', model: 'claude-sonnet-4-5', api_key: 'sk-ant-api03-', base_url: null, timeout_ms: 30000 };
  const base = Buffer.byteLength(JSON.stringify(settings));
  settings.api_key += 'x'.repeat(300 - base);
  const json = JSON.stringify(settings);
  if (Buffer.byteLength(json) !== 300) throw new Error('the benchmark plaintext must be 300 bytes');
  return json;
}

/**
 * Best ops/s over ROUNDS rounds of OPERATIONS awaited calls, after one warm-up round. The
 * best round is the one least disturbed by other load (timeit's advice); Python gets the same.
 */
async function nodeOpsPerSecond(operation) {
  const rates = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < OPERATIONS; i++) await operation();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (round > 0) rates.push(OPERATIONS / seconds);
  }
  return Math.max(...rates);
}

const PYTHON_BENCH = `
import json, sys, timeit
from cryptography.fernet import Fernet
data = json.load(sys.stdin)
f = Fernet(data["key"])
p = data["plaintext"]
if f.decrypt(data["node_token"]).decode() != p:
    raise SystemExit("Python could not read the token made by Node")
token = f.encrypt(p.encode())
env = {"f": f, "p": p, "token": token}
def rate(stmt):
    times = timeit.repeat(stmt, globals=env, number=data["operations"], repeat=data["rounds"] + 1)[1:]
    return data["operations"] / min(times)
json.dump({"encrypt": rate("f.encrypt(p.encode())"), "decrypt": rate("f.decrypt(token).decode()")}, sys.stdout)
`;

function pythonOpsPerSecond(key, plaintext, nodeToken) {
  const run = spawnSync('python3', ['-c', PYTHON_BENCH], {
    input: JSON.stringify({ key, plaintext, node_token: nodeToken, operations: OPERATIONS, rounds: ROUNDS }),
    encoding: 'utf8',
  });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`python3 benchmark failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/**
 * Measures encrypt and decrypt of a 300-byte settings JSON with this package (through the
 * async SecretCipher methods) and with Python's Fernet, the same number of operations each.
 * @returns ops/s of both and ratio = node / python (the target is at least 1.3 for both);
 *   `decrypt_again`: decrypting one token over and over (its MAC checked once), as
 *   `resolve()` does, against Python's decrypt.
 */
export async function runFernetBench() {
  const key = generateFernetKey();
  const plaintext = settingsJson();
  const cipher = createFernetCipher({ keys: key });
  const token = await cipher.encrypt(plaintext);
  if ((await cipher.decrypt(token)) !== plaintext) throw new Error('round trip failed');

  // The cipher remembers the last tokens whose MAC it checked; Python checks it on every
  // call. To compare like with like, each decrypt takes a token not opened lately (one of
  // OPERATIONS tokens in turn); decrypting the same token again is measured apart.
  const tokens = Array.from({ length: OPERATIONS }, () => cipher.encryptSync(plaintext));
  let next = 0;
  const node = {
    encrypt: await nodeOpsPerSecond(() => cipher.encrypt(plaintext)),
    decrypt: await nodeOpsPerSecond(() => cipher.decrypt(tokens[next++ % tokens.length])),
    decrypt_again: await nodeOpsPerSecond(() => cipher.decrypt(token)),
  };
  const python = pythonOpsPerSecond(key, plaintext, token);
  const row = (op, pythonOp = op) => ({ node_ops_s: Math.round(node[op]), python_ops_s: Math.round(python[pythonOp]), ratio: Number((node[op] / python[pythonOp]).toFixed(2)) });
  return { encrypt: row('encrypt'), decrypt: row('decrypt'), decrypt_again: row('decrypt_again', 'decrypt') };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runFernetBench();
  console.log(`Fernet, 300-byte settings JSON, ${OPERATIONS} operations x ${ROUNDS} rounds (best round)`);
  console.table(result);
}
