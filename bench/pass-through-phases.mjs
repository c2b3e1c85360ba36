// Loaded with `node --import` into a server by bench/pass-through-phases.bench.mjs: the
// server-side times of each pass-through call, from Node's own HTTP diagnostics channels
// and one wrapped ClientRequest.end, so that the server's code is unchanged. A call's
// upstream request has no link to the server request it serves, so only calls that ran
// alone (no other call in flight at any time) are counted. On SIGUSR2 the medians so far,
// in µs, go to standard error as one `PHASES {...}` line, and the counts start again.
import diagnosticsChannel from 'node:diagnostics_channel';
import { ClientRequest } from 'node:http';

const PASS_THROUGH = '/api/llm/';
const phases = { to_upstream: [], upstream: [], to_answer: [], whole: [] };
/** The calls in flight, and the latest to start: the one an upstream request belongs to when it ran alone. */
const open = new Set();
let current = null;

diagnosticsChannel.subscribe('http.server.request.start', ({ request }) => {
  if (!request.url.startsWith(PASS_THROUGH)) return;
  current = { started: performance.now(), alone: open.size === 0 };
  for (const other of open) other.alone = false;
  open.add(current);
  request.passThroughPhases = current;
});

// When the server hands its upstream request to Node's client (whose own channel fires
// only once the request is written, a turn of the event loop later).
const end = ClientRequest.prototype.end;
ClientRequest.prototype.end = function (...args) {
  const result = end.apply(this, args);
  if (current !== null && current.sent === undefined) current.sent = performance.now();
  return result;
};

diagnosticsChannel.subscribe('http.client.response.finish', () => {
  if (current !== null && current.answered === undefined) current.answered = performance.now();
});

diagnosticsChannel.subscribe('http.server.response.finish', ({ request }) => {
  const call = request.passThroughPhases;
  if (call === undefined) return;
  open.delete(call);
  if (call === current) current = null;
  if (!call.alone || call.sent === undefined || call.answered === undefined) return;
  const finished = performance.now();
  phases.to_upstream.push(call.sent - call.started);
  phases.upstream.push(call.answered - call.sent);
  phases.to_answer.push(finished - call.answered);
  phases.whole.push(finished - call.started);
});

const medianUs = (values) => Math.round([...values].sort((a, b) => a - b)[values.length >> 1] * 1000);

process.on('SIGUSR2', () => {
  const line = { calls: phases.whole.length };
  for (const [name, values] of Object.entries(phases)) {
    line[name] = values.length === 0 ? null : medianUs(values);
    values.length = 0;
  }
  process.stderr.write(`PHASES ${JSON.stringify(line)}\n`);
});
