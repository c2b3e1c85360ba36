import { keyTestChecksModel, type LlmProvider, type ProbeOutcome, type ProbeStatusCodes, type ProviderKeyTest } from '@llm-settings/core';
import { KEY_TEST, wordFailure, type ActionFailure } from './failure-wording.js';

/*
 * The probe's outcomes. Its failures are worded in failure-wording.ts; like those, the
 * messages here quote only the provider's name: never the model, which is caller text.
 */

/** Who and what was probed, for wording the outcome. */
export interface ProbeSubject {
  readonly provider: LlmProvider;
  /** The provider's display name, which the messages quote. */
  readonly displayName: string;
  /** The provider's reading of its statuses (its descriptor's). */
  readonly probeStatusCodes: ProbeStatusCodes;
  /** What the provider's key test calls (its descriptor's): a key-info route does not look at the model. */
  readonly keyTest: ProviderKeyTest;
  readonly model: string;
}

export function okOutcome(subject: ProbeSubject, latencyMs: number, requestId: string | null): ProbeOutcome {
  const message = keyTestChecksModel(subject)
    ? `${subject.displayName} accepted the API key and the model is available.`
    : `${subject.displayName} accepted the API key; this test does not check the model.`;
  return { code: 'ok', message, latencyMs, requestId };
}

/**
 * A key test that failed; the request id is kept only from an HTTP answer. `latencyMs`
 * is null when the probe was cancelled before any call.
 */
export function failureOutcome(subject: ProbeSubject, failure: ActionFailure, latencyMs: number | null): ProbeOutcome {
  const requestId = failure.kind === 'status' ? failure.requestId : null;
  // A key-info route names no model: its 404 says the base URL reaches no such API.
  const read = failure.kind === 'status' && failure.status === 404 && !keyTestChecksModel(subject) ? { kind: 'not_api' as const, status: 404 } : failure;
  return { ...wordFailure(KEY_TEST, subject, read), latencyMs, requestId };
}

/** A model id the SDKs refuse to put in a URL path (".", "..", empty); nothing is sent. */
export function unusableModelOutcome(subject: ProbeSubject): ProbeOutcome {
  return {
    code: 'model_not_found',
    message: `The model is not a usable model name; nothing was sent to ${subject.displayName}.`,
    latencyMs: null,
    requestId: null,
  };
}
