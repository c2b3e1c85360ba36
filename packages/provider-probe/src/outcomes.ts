import { probeCodeForStatus, type LlmProvider, type ProbeCode, type ProbeOutcome, type ProbeStatusCodes } from '@llm-settings/core';
import type { Failure } from './failures.js';

/*
 * Every message a probe returns is written here, from fixed wording, the provider's
 * name and the HTTP status only. None quotes the model, the provider's body or its
 * request id: text that came from outside would have to be scrubbed of the key, and
 * whether it was changed would tell a caller about the key (an oracle).
 */

const OVERLOADED_STATUS = 529;

/** Who and what was probed, for wording the outcome. */
export interface ProbeSubject {
  readonly provider: LlmProvider;
  /** The provider's display name, which the messages quote. */
  readonly displayName: string;
  /** The provider's reading of its statuses (its descriptor's). */
  readonly probeStatusCodes: ProbeStatusCodes;
  readonly model: string;
}

export function okOutcome(subject: ProbeSubject, latencyMs: number, requestId: string | null): ProbeOutcome {
  const name = displayName(subject);
  return { code: 'ok', message: `${name} accepted the API key and the model is available.`, latencyMs, requestId };
}

/** The outcome of a lookup that failed: HTTP status, redirect, or no answer. */
export function failureOutcome(subject: ProbeSubject, failure: Failure, latencyMs: number): ProbeOutcome {
  const name = displayName(subject);
  switch (failure.kind) {
    case 'status': {
      const code = probeCodeForStatus(subject, failure.status);
      return { code, message: statusMessage(code, failure.status, subject), latencyMs, requestId: failure.requestId };
    }
    case 'redirect':
      return {
        code: 'provider_unavailable',
        message: `${name} answered with a redirect (HTTP ${failure.status}), which is not followed; check the configured base URL.`,
        latencyMs,
        requestId: null,
      };
    case 'timeout':
      return { code: 'timeout', message: `${name} did not answer in time.`, latencyMs, requestId: null };
    case 'network':
      return { code: 'network_error', message: `Could not connect to ${name}.`, latencyMs, requestId: null };
    case 'unexpected':
      return { code: 'network_error', message: `The test of the ${name} connection failed before ${name} answered.`, latencyMs, requestId: null };
  }
}

/** The caller's deadline passed first. */
export function timeoutOutcome(subject: ProbeSubject, timeoutMs: number, latencyMs: number): ProbeOutcome {
  return { code: 'timeout', message: `${displayName(subject)} did not answer within ${timeoutMs} ms.`, latencyMs, requestId: null };
}

/** The caller aborted; `latencyMs` is null when the probe was aborted before any call. */
export function cancelledOutcome(subject: ProbeSubject, latencyMs: number | null): ProbeOutcome {
  return { code: 'timeout', message: `The test of the ${displayName(subject)} connection was cancelled.`, latencyMs, requestId: null };
}

/** A model id the SDKs refuse to put in a URL path (".", "..", empty); nothing is sent. */
export function unusableModelOutcome(subject: ProbeSubject): ProbeOutcome {
  return {
    code: 'model_not_found',
    message: `The model is not a usable model name; nothing was sent to ${displayName(subject)}.`,
    latencyMs: null,
    requestId: null,
  };
}

function statusMessage(code: ProbeCode, status: number, subject: ProbeSubject): string {
  const name = displayName(subject);
  switch (code) {
    case 'invalid_api_key':
      return `${name} rejected the API key.`;
    case 'permission_denied':
      return `${name} recognised the API key but denied it access to the model.`;
    case 'model_not_found':
      return `${name} accepted the API key, but does not have the model.`;
    case 'rate_limited':
      return `${name} accepted the API key but is rate limiting it; try again later.`;
    default:
      if (status === OVERLOADED_STATUS) return `${name} is overloaded right now (HTTP ${status}); try again later.`;
      if (status >= 500) return `${name} is unavailable right now (HTTP ${status}); try again later.`;
      return `${name} answered with an unexpected HTTP ${status}.`;
  }
}

function displayName(subject: ProbeSubject): string {
  return subject.displayName;
}
