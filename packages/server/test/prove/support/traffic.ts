import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { send, type Exchange } from './http-client.js';

export type OperationKind = 'GET' | 'PUT' | 'DELETE' | 'TEST' | 'SLOW_TEST';

/** Settings a PUT sent; `model` is unique per PUT and identifies it in later reads. */
export interface SentSettings {
  provider: 'anthropic' | 'openai';
  model: string;
  api_key: string;
}

/** One request of a traffic run, with client-side times (performance.now()). */
export interface Operation {
  kind: OperationKind;
  /** Sent as X-Request-Id, to match the server's log line. */
  requestId: string;
  start: number;
  end: number;
  sent?: SentSettings;
  /** Present when a complete answer arrived. */
  answer?: Exchange;
  /** Transport failure code (ECONNREFUSED, ECONNRESET, HUNG, ...) when none did. */
  failure?: string;
}

export interface TrafficOptions {
  url: string;
  clients: number;
  /** Picks the next operation; `random` is in [0, 1). */
  mix(random: number): OperationKind;
  /** Checked before each request: true ends the client's loop. */
  done(): boolean;
  /** A client stops at its first refused connection (the server has closed). */
  stopWhenRefused?: boolean;
  /** The API key of slow tests, which the fake provider lets hang. */
  slowKey?: string;
  /** Per-request limit; a request past it counts as hung. @default 10000 */
  timeoutMs?: number;
}

const random = (length: number) => randomBytes(length).toString('base64url').slice(0, length);

/**
 * Runs `clients` concurrent loops of requests over keep-alive connections, as real
 * clients do, and returns every operation with its outcome.
 */
export async function runTraffic(options: TrafficOptions): Promise<Operation[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.clients });
  const operations: Operation[] = [];
  const runId = random(6);
  const loop = async (client: number) => {
    for (let seq = 0; !options.done(); seq++) {
      const kind = options.mix(Math.random());
      const requestId = `${runId}.${client}.${seq}`;
      const operation: Operation = { kind, requestId, start: performance.now(), end: 0 };
      const spec = requestFor(kind, requestId, options.slowKey);
      operation.sent = spec.sent;
      try {
        operation.answer = await send(options.url, { ...spec.request, agent, timeoutMs: options.timeoutMs ?? 10_000 });
      } catch (error) {
        operation.failure = (error as { code?: string }).code ?? (error as Error).message;
      }
      operation.end = performance.now();
      operations.push(operation);
      if (operation.failure === 'ECONNREFUSED' && options.stopWhenRefused) return;
    }
  };
  try {
    await Promise.all(Array.from({ length: options.clients }, (_, client) => loop(client)));
  } finally {
    agent.destroy();
  }
  return operations;
}

function requestFor(kind: OperationKind, requestId: string, slowKey = 'sk-slow-key-0000000000') {
  const headers = { 'x-request-id': requestId };
  switch (kind) {
    case 'GET':
      return { request: { method: 'GET', path: '/api/settings/llm', headers } };
    case 'DELETE':
      return { request: { method: 'DELETE', path: '/api/settings/llm', headers } };
    case 'TEST':
      return { request: { method: 'POST', path: '/api/settings/llm/test', headers, body: { provider: 'openai', api_key: `sk-${random(32)}` } } };
    case 'SLOW_TEST':
      return { request: { method: 'POST', path: '/api/settings/llm/test', headers, body: { provider: 'openai', api_key: slowKey } } };
    case 'PUT': {
      const sent: SentSettings = {
        provider: Math.random() < 0.5 ? 'anthropic' : 'openai',
        model: `m-${requestId}`,
        api_key: `sk-load-${random(24)}`,
      };
      return { sent, request: { method: 'PUT', path: '/api/settings/llm', headers, body: sent } };
    }
  }
}

/** The p-th percentile (0..100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
