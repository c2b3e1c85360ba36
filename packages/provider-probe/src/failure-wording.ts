import { probeCodeForStatus, type ProbeFailureCode, type ProviderDescriptor } from '@llm-settings/core';
import type { Failure } from './failures.js';

/*
 * Every failure a key test or a model listing returns is worded here, from fixed
 * wording, the provider's name and the HTTP status only. None quotes the model, the
 * provider's body or its request id: text that came from outside would have to be
 * scrubbed of the key, and whether it was changed would tell a caller about the key
 * (an oracle).
 */

const OVERLOADED_STATUS = 529;

/** How one action is phrased in its failures; everything else in a message is shared. */
export interface ProbeAction {
  /** The attempt as the subject of a sentence: "The test of the OpenAI connection". */
  readonly attempt: (provider: string) => string;
  /** What the provider did not do in time, after "did not": "answer". */
  readonly reply: string;
  /** What the provider denied a key it recognised: "access to the model". */
  readonly denied: string;
  /** What the provider lacks when it reads a 404 as `model_not_found`; null when that reading means nothing for the action. */
  readonly missing: string | null;
}

/** Testing a key against one model (the probe). */
export const KEY_TEST: ProbeAction = {
  attempt: (provider) => `The test of the ${provider} connection`,
  reply: 'answer',
  denied: 'access to the model',
  missing: 'does not have the model',
};

/** Listing the models a key can use. */
export const MODEL_LISTING: ProbeAction = {
  attempt: (provider) => `Listing the ${provider} models`,
  reply: 'list its models',
  denied: 'the model list',
  missing: null,
};

/** Every way an action can fail: what the SDK reported, or the caller's deadline or abort. */
export type ActionFailure = Failure | { readonly kind: 'deadline'; readonly timeoutMs: number } | { readonly kind: 'cancelled' };

/** The caller aborted. */
export const CANCELLED = { kind: 'cancelled' } as const satisfies ActionFailure;

/** The provider as its failures name and read it. */
export type WordedProvider = Pick<ProviderDescriptor, 'displayName' | 'probeStatusCodes'>;

export interface WordedFailure {
  readonly code: ProbeFailureCode;
  readonly message: string;
}

/** The code and the message of a failed action; the codes are the same for every action. */
export function wordFailure(action: ProbeAction, provider: WordedProvider, failure: ActionFailure): WordedFailure {
  const name = provider.displayName;
  switch (failure.kind) {
    case 'status': {
      const code = probeCodeForStatus(provider, failure.status);
      return { code, message: statusMessage(action, name, code, failure.status) };
    }
    case 'redirect':
      return {
        code: 'provider_unavailable',
        message: `${name} answered with a redirect (HTTP ${failure.status}), which is not followed; check the configured base URL.`,
      };
    case 'not_api':
      return {
        code: 'provider_unavailable',
        message: `${name} answered (HTTP ${failure.status}), but not as its API does; check the configured base URL.`,
      };
    case 'timeout':
      return { code: 'timeout', message: `${name} did not ${action.reply} in time.` };
    case 'deadline':
      return { code: 'timeout', message: `${name} did not ${action.reply} within ${failure.timeoutMs} ms.` };
    case 'network':
      return { code: 'network_error', message: `Could not connect to ${name}.` };
    case 'unexpected':
      return { code: 'network_error', message: `${action.attempt(name)} failed before ${name} answered.` };
    case 'cancelled':
      return { code: 'timeout', message: `${action.attempt(name)} was cancelled.` };
  }
}

function statusMessage(action: ProbeAction, name: string, code: ProbeFailureCode, status: number): string {
  switch (code) {
    case 'invalid_api_key':
      return `${name} rejected the API key.`;
    case 'permission_denied':
      return `${name} recognised the API key but denied it ${action.denied}.`;
    case 'rate_limited':
      return `${name} accepted the API key but is rate limiting it; try again later.`;
    case 'model_not_found':
      if (action.missing !== null) return `${name} accepted the API key, but ${action.missing}.`;
      break;
  }
  if (status === OVERLOADED_STATUS) return `${name} is overloaded right now (HTTP ${status}); try again later.`;
  if (status >= 500) return `${name} is unavailable right now (HTTP ${status}); try again later.`;
  return `${name} answered with an unexpected HTTP ${status}.`;
}
