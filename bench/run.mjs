// `pnpm bench`: every benchmark, each reported against a baseline measured in the same
// run on the same machine. Prints a table and writes bench/results.json. Benchmarks are
// not tests: nothing here fails on a slow figure; the targets are printed beside them.
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { runFernetBench } from '../packages/crypto-fernet/bench/fernet.bench.mjs';
import { runProbeBench } from '../packages/provider-probe/bench/probe.bench.mjs';

const rows = [];
const add = (name, value, baseline, ratio, target) => rows.push({ name, value, baseline, ratio, target });

const fernet = await runFernetBench();
for (const op of ['encrypt', 'decrypt']) {
  const r = fernet[op];
  add(`Fernet ${op} (300-byte JSON)`, `${r.node_ops_s} ops/s`, `python cryptography ${r.python_ops_s} ops/s`, `${r.ratio}x`, '>= 1.3x');
}

const probe = await runProbeBench();
add('POST test overhead vs SDK call (median)', `${probe.probe_median_ms} ms`, `SDK direct ${probe.sdk_median_ms} ms`, `+${probe.overhead_ms} ms`, '<= +5 ms');

const machine = { node: process.version, cpus: cpus().length, cpu_model: cpus()[0]?.model ?? 'unknown', memory_gb: Math.round(totalmem() / 2 ** 30) };
console.table(rows);
console.log(`machine: ${machine.cpus} x ${machine.cpu_model}, ${machine.memory_gb} GB, Node ${machine.node}`);
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify({ measured_at: new Date().toISOString(), machine, fernet, probe, rows }, null, 2)}\n`);
