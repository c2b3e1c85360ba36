import { ProbeBusyError } from '../errors.js';
import type { ProbeOutcome, ProbeRequest, ProviderProbe } from '../ports/provider-probe.port.js';
import { getProvider, probeCodeForStatus, type LlmProvider, type ProviderDescriptor, type ProviderDialect } from '../providers.js';
import type { ProbeCode } from '../schemas.js';

/*
 * The reference ProviderProbe: one `GET …/models/{model}` with the global fetch, so core
 * stays free of imports, for built-in providers whose key test is a model lookup. It
 * follows the provider's descriptor (key header, fixed headers, request id header, the
 * reading of its statuses) and reads the status and the request id header, never the
 * body: a provider's error text may quote the key.
 */

export interface FetchProbeOptions {
  /** API roots: Anthropic's without a path (`https://api.anthropic.com`), OpenAI's ending in `/v1`. */
  baseUrls: Readonly<Record<LlmProvider, string>>;
  /**
   * Upper bound of one probe, in milliseconds, for requests that give no `timeoutMs`.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Most provider calls in flight at once; a probe that would start one more throws
   * ProbeBusyError. Identical probes (same provider, key and model) share one call.
   * @default 4
   */
  maxInFlight?: number;
}

/** Where each dialect looks a model up under its API root, and the headers it requires. */
const LOOKUP: Readonly<Record<ProviderDialect, { readonly path: (model: string) => string; readonly headers: Readonly<Record<string, string>> }>> = {
  anthropic: { path: (model) => `/v1/models/${encodeURIComponent(model)}`, headers: { 'anthropic-version': '2023-06-01' } },
  openai: { path: (model) => `/models/${encodeURIComponent(model)}`, headers: {} },
};

/** The descriptor's key header with the key, none for a keyless provider. */
function keyHeaders(descriptor: ProviderDescriptor, apiKey: string): Record<string, string> {
  if (descriptor.auth === 'none') return {};
  return descriptor.auth === 'bearer' ? { authorization: `Bearer ${apiKey}` } : { [descriptor.auth]: apiKey };
}

/** Fixed wording: never the key, the model or anything the provider wrote. */
const MESSAGES: Readonly<Record<ProbeCode, string>> = {
  ok: 'The provider accepted the API key and the model is available.',
  invalid_api_key: 'The provider rejected the API key.',
  permission_denied: 'The provider denied the API key access to the model.',
  model_not_found: 'The provider accepted the API key, but does not have the model.',
  rate_limited: 'The provider is rate limiting the API key; try again later.',
  provider_unavailable: 'The provider cannot answer right now; try again later.',
  timeout: 'The provider did not answer in time, or the test was cancelled.',
  network_error: 'Could not connect to the provider.',
};

/** setTimeout fires at once for longer delays. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface RunningCall {
  readonly promise: Promise<ProbeOutcome>;
  readonly controller: AbortController;
  waiters: number;
}

export function createFetchProbe(options: FetchProbeOptions): ProviderProbe {
  const defaultTimeoutMs = options.timeoutMs ?? 10_000;
  const maxInFlight = options.maxInFlight ?? 4;
  const running = new Map<string, RunningCall>();

  const start = (id: string, { provider, apiKey, model }: ProbeRequest): RunningCall => {
    if (running.size >= maxInFlight) throw new ProbeBusyError();
    const baseUrl = options.baseUrls[provider];
    if (baseUrl === undefined) throw new Error(`fetch probe: no API root for ${provider}`);
    const descriptor = getProvider(provider);
    const controller = new AbortController();
    const call: RunningCall = {
      controller,
      waiters: 0,
      promise: callProvider(baseUrl, descriptor, apiKey, model, controller.signal).finally(() => {
        if (running.get(id) === call) running.delete(id);
      }),
    };
    running.set(id, call);
    return call;
  };

  return {
    async probe(request) {
      if (request.signal?.aborted) return outcome('timeout', null);
      // The map of calls in flight holds the key for as long as the call does, no longer.
      const id = `${request.partition ?? ''}\n${request.provider}\n${request.apiKey}\n${request.model}`;
      const call = running.get(id) ?? start(id, request);
      call.waiters += 1;
      const started = performance.now();
      try {
        const settled = await within(call.promise, Math.min(request.timeoutMs ?? defaultTimeoutMs, MAX_TIMER_MS), request.signal);
        return settled ?? outcome('timeout', performance.now() - started);
      } finally {
        call.waiters -= 1;
        if (call.waiters === 0 && running.get(id) === call) {
          // Nobody waits any more: free the slot, and stop the call.
          running.delete(id);
          call.controller.abort();
        }
      }
    },
  };
}

/** One lookup. Never rejects: every failure is an outcome. */
async function callProvider(baseUrl: string, descriptor: ProviderDescriptor, apiKey: string, model: string, signal: AbortSignal): Promise<ProbeOutcome> {
  const started = performance.now();
  const lookup = LOOKUP[descriptor.dialect];
  try {
    const response = await fetch(`${baseUrl.replace(/(?<!\/)\/+$/, '')}${lookup.path(model)}`, {
      headers: { ...descriptor.fixedHeaders, ...lookup.headers, ...keyHeaders(descriptor, apiKey) },
      redirect: 'manual',
      signal,
    });
    await response.body?.cancel();
    const requestId = response.headers.get(descriptor.requestIdHeader);
    const code = response.status >= 200 && response.status < 300 ? 'ok' : probeCodeForStatus(descriptor, response.status);
    return { ...outcome(code, performance.now() - started), requestId };
  } catch {
    return outcome(signal.aborted ? 'timeout' : 'network_error', performance.now() - started);
  }
}

function outcome(code: ProbeCode, latencyMs: number | null): ProbeOutcome {
  return { code, message: MESSAGES[code], latencyMs, requestId: null };
}

/** The promise's value, or undefined once `timeoutMs` passed or `signal` aborted. */
function within<T>(promise: Promise<T>, timeoutMs: number, signal: AbortSignal | undefined): Promise<T | undefined> {
  return new Promise((resolve) => {
    const finish = (value: T | undefined) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onAbort = () => finish(undefined);
    const timer = setTimeout(onAbort, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    void promise.then(finish);
  });
}
