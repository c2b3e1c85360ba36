import type { LlmProvider } from '@llm-settings/core';

/**
 * A status as a class (`2xx` ... `5xx`), the bounded form metrics label it with; `none`
 * for a pass-through call the provider never answered (refused, timed out, unreachable).
 */
export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'none';

/** Indexed by a status's hundreds: fixed strings, whose hash a Map keyed by them keeps. */
const STATUS_CLASSES: readonly StatusClass[] = ['none', '1xx', '2xx', '3xx', '4xx', '5xx'];

export function statusClassOf(status: number | null): StatusClass {
  if (status === null || status < 100 || status > 599) return 'none';
  return STATUS_CLASSES[Math.floor(status / 100)] as StatusClass;
}

/** One answered request. */
export interface RequestObservation {
  /** The matched route template (`/api/settings/llm`), never the URL; null when no route knows the path. */
  route: string | null;
  method: string;
  status: number;
  seconds: number;
}

/** One pass-through call, observed when its answer ended (sent, cut or its client gone). */
export interface LlmCallObservation {
  provider: LlmProvider;
  /** The provider's path (`/v1/messages`): one of the pass-through's fixed routes. */
  route: string;
  /** The provider's status; null when it never answered. */
  upstreamStatus: number | null;
  /** From sending the request to the provider's answer headers; null when it never answered. */
  upstreamSeconds: number | null;
  /** A streamed answer's first body bytes, from sending the request; null for other answers. */
  firstByteSeconds: number | null;
  /** Request body bytes sent to the provider. */
  bytesIn: number;
  /** Answer body bytes passed on to the caller. */
  bytesOut: number;
}

/**
 * What the HTTP app reports as it serves, for metrics. Values are the app's own (route
 * templates, provider ids, statuses, durations): never a scope, a key, a body or a URL.
 * Called on the request's path, so an implementation must be cheap and must not throw.
 */
export interface HttpObserver {
  requestEnded(observation: RequestObservation): void;
  /** A pass-through call began (+1) or ended (-1): the calls in flight. */
  llmInFlight(provider: LlmProvider, route: string, delta: 1 | -1): void;
  /** A pass-through call refused by the in-flight limits (429). */
  llmRefused(provider: LlmProvider, route: string): void;
  llmCallEnded(observation: LlmCallObservation): void;
}

/** The observer of an app without metrics: does nothing. */
export const NO_OBSERVER: HttpObserver = {
  requestEnded: () => {},
  llmInFlight: () => {},
  llmRefused: () => {},
  llmCallEnded: () => {},
};
