import { describe, expect, it } from 'vitest';
import { PROBE_CODES, PROVIDERS, type ProbeFailureCode } from '@llm-settings/core';
import { KEY_TEST, MODEL_LISTING, wordFailure, type ActionFailure, type ProbeAction, type WordedProvider } from '../src/failure-wording.js';

const ACTIONS: Record<string, ProbeAction> = { 'testing the key': KEY_TEST, 'listing the models': MODEL_LISTING };

/** A provider that reads one status as each failure code, so every code's wording is reached. */
const STATUS_FOR_CODE: Record<ProbeFailureCode, number> = {
  invalid_api_key: 401,
  permission_denied: 403,
  model_not_found: 404,
  rate_limited: 429,
  provider_unavailable: 503,
  timeout: 408,
  network_error: 599,
};
const READ_EVERY_CODE = Object.fromEntries(Object.entries(STATUS_FOR_CODE).map(([code, status]) => [status, code as ProbeFailureCode]));

/** Every failure kind: a new kind fails to compile here until it is listed. */
const FAILURES: Record<ActionFailure['kind'], readonly ActionFailure[]> = {
  status: [401, 402, 403, 404, 408, 418, 429, 500, 503, 529, 599].map((status) => ({ kind: 'status', status, requestId: 'req_OUTSIDE_TEXT' })),
  redirect: [{ kind: 'redirect', status: 307 }],
  timeout: [{ kind: 'timeout' }],
  deadline: [{ kind: 'deadline', timeoutMs: 2500 }],
  network: [{ kind: 'network', reason: 'ECONNREFUSED' }],
  not_api: [{ kind: 'not_api', status: 200 }],
  unexpected: [{ kind: 'unexpected' }],
  cancelled: [{ kind: 'cancelled' }],
};

const PROVIDERS_WORDED: readonly WordedProvider[] = [
  ...PROVIDERS,
  { displayName: 'Every Code Provider', probeStatusCodes: READ_EVERY_CODE },
];

/** The message with the provider's name and the failure's numbers taken out: what must be fixed wording. */
function fixedPart(message: string, provider: WordedProvider, failure: ActionFailure): string {
  const numbers = 'status' in failure ? [failure.status] : 'timeoutMs' in failure ? [failure.timeoutMs] : [];
  return numbers.reduce((text, n) => text.replaceAll(String(n), '#'), message.replaceAll(provider.displayName, 'NAME'));
}

describe('failure wording', () => {
  for (const [actionName, action] of Object.entries(ACTIONS)) {
    for (const [kind, failures] of Object.entries(FAILURES)) {
      it(`${actionName}, ${kind}: names the provider, and nothing from outside`, () => {
        for (const failure of failures) {
          const wordings = PROVIDERS_WORDED.map((provider) => {
            const { code, message } = wordFailure(action, provider, failure);
            expect(PROBE_CODES).toContain(code);
            expect(code).not.toBe('ok');
            expect(message).toContain(provider.displayName);
            expect(message).not.toContain('OUTSIDE_TEXT');
            expect(message).toMatch(/^[^\n]+\.$/);
            return { code, fixed: fixedPart(message, provider, failure) };
          });
          // Providers that read the failure as the same code get the same words but for their name.
          for (const wording of wordings) {
            const sameCode = wordings.filter((other) => other.code === wording.code);
            expect(new Set(sameCode.map((other) => other.fixed)).size).toBe(1);
          }
        }
      });
    }
  }

  it('reads a failure as the same code whichever the action, and words the actions apart where the action shows', () => {
    const provider = PROVIDERS_WORDED.at(-1)!;
    for (const failure of Object.values(FAILURES).flat()) {
      const keyTest = wordFailure(KEY_TEST, provider, failure);
      const listing = wordFailure(MODEL_LISTING, provider, failure);
      expect(listing.code).toBe(keyTest.code);
    }
    for (const kind of ['timeout', 'deadline', 'unexpected', 'cancelled'] as const) {
      const failure = FAILURES[kind][0]!;
      expect(wordFailure(MODEL_LISTING, provider, failure).message).not.toBe(wordFailure(KEY_TEST, provider, failure).message);
    }
  });

  it('words every status a provider can answer, the 404 a listing has no model for included', () => {
    const openAi = PROVIDERS.find((provider) => provider.id === 'openai')!;
    const notFound: ActionFailure = { kind: 'status', status: 404, requestId: null };
    expect(wordFailure(KEY_TEST, openAi, notFound).message).toBe('OpenAI accepted the API key, but does not have the model.');
    expect(wordFailure(MODEL_LISTING, openAi, notFound).message).toBe('OpenAI answered with an unexpected HTTP 404.');
    expect(wordFailure(MODEL_LISTING, openAi, { kind: 'status', status: 503, requestId: null }).message).toBe(
      'OpenAI is unavailable right now (HTTP 503); try again later.',
    );
  });
});
