import type { FakeProvider } from '@llm-settings/fake-provider';
import { logLines, type ServerProcess } from './server-process.js';
import { runTraffic, type Operation } from './traffic.js';

export interface BurstOutcome {
  exitCode: number | null;
  operations: Operation[];
  /** Requests answered completely. */
  answered: number;
  /** Requests that started before SIGTERM and were answered after it. */
  finishedAfterSignal: number;
  /** Transport failures by code; these requests never reached the application. */
  refused: Record<string, number>;
  /** Everything that breaks "every accepted request gets a complete answer". */
  violations: string[];
}

/** Failures of requests the server never accepted: connection refused, or reset before any byte of an answer. */
const NOT_ACCEPTED = new Set(['ECONNREFUSED', 'ECONNRESET']);

/**
 * Runs a burst of mixed requests, some of them slow (a provider test that waits for
 * its timeout), sends SIGTERM while they are in flight, and lets every client go on
 * until the server refuses connections. A request counts as accepted when the server
 * logged it (the request log writes one line per request the application handled);
 * each accepted request must have a complete answer with the logged status, and the
 * server must exit with 0.
 */
export async function burstThenSigterm(server: ServerProcess, fake: FakeProvider, options: { clients: number; burstMs: number }): Promise<BurstOutcome> {
  const slowKey = `sk-slow-${Math.random().toString(36).slice(2)}-0000000000`;
  fake.setKeyBehavior('openai', slowKey, 'hang');
  let signalledAt = Number.POSITIVE_INFINITY;
  const traffic = runTraffic({
    url: server.url,
    clients: options.clients,
    mix: (r) => (r < 0.05 ? 'SLOW_TEST' : r < 0.45 ? 'GET' : r < 0.75 ? 'PUT' : r < 0.85 ? 'DELETE' : 'TEST'),
    done: () => false,
    stopWhenRefused: true,
    slowKey,
    timeoutMs: 20_000,
  });
  await new Promise((resolve) => setTimeout(resolve, options.burstMs));
  // Signal only while slow requests are at the provider, so some are surely in flight.
  while (fake.requests.filter((r) => r.apiKey === slowKey).length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  signalledAt = performance.now();
  server.child.kill('SIGTERM');
  const exitCode = await server.exited;
  const operations = await traffic;

  const logged = new Map<string, number>();
  for (const line of logLines(server.stdout())) {
    if (typeof line.request_id === 'string' && typeof line.status === 'number') logged.set(line.request_id, line.status);
  }
  const violations: string[] = [];
  const refused: Record<string, number> = {};
  for (const op of operations) {
    const status = logged.get(op.requestId);
    if (op.answer) {
      if (op.answer.status >= 500) violations.push(`${op.kind} answered ${op.answer.status}`);
      if (status !== op.answer.status) violations.push(`${op.kind} answered ${op.answer.status} but logged ${status}`);
    } else {
      refused[op.failure!] = (refused[op.failure!] ?? 0) + 1;
      if (status !== undefined) violations.push(`${op.kind} accepted (logged ${status}) but the client got ${op.failure}`);
      if (!NOT_ACCEPTED.has(op.failure!)) violations.push(`${op.kind} failed with ${op.failure}`);
    }
  }
  return {
    exitCode,
    operations,
    answered: operations.filter((op) => op.answer).length,
    finishedAfterSignal: operations.filter((op) => op.answer && op.start < signalledAt && op.end > signalledAt).length,
    refused,
    violations,
  };
}
