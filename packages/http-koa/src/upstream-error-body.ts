import { providerErrorBody, REDACTED, redactText, type ProviderDialect } from '@llm-settings/core';

/** Error answers are small; a larger one is replaced, not kept in memory. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * Masked echoes of a key whatever its shape: a run of key characters, mask characters or
 * `...`, then at least four more. Linear in the body, which may quote the caller: a match
 * that spans a run is tried only where the run starts, one of mask characters alone only
 * where they start, and never again from each character inside either.
 */
const MASKED_ECHO = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]+(?:[*•]{3,}|\.{3})[A-Za-z0-9_-]{4,}|(?<![*•])[*•]{3,}[A-Za-z0-9_-]{4,}|\.{3}[A-Za-z0-9_-]{4,}/g;

const FIXED_MESSAGES: Readonly<Record<number, string>> = {
  401: 'The provider refused the API key stored for this scope. Save a valid key with PUT /api/settings/llm.',
  403: 'The API key stored for this scope is not allowed to do this.',
};
const TOO_LARGE_MESSAGE = 'The provider answered with an error too large to pass on.';

/** An error answer as it goes back to the caller. */
export interface ErrorAnswer {
  contentType: string;
  text: string;
}

/**
 * What the caller gets for a provider's error answer (any non-2xx).
 *
 * Care is needed with the key here: the request body is the caller's, and providers
 * quote parts of it in their errors ("The model '<model>' does not exist"). If the
 * answer depended on whether such text holds a run of the stored key (a run scrubbed,
 * or the body replaced when one is found), a caller could send guesses as the model
 * and read off which are part of the key, eight characters at a time, then extend a
 * hit one character per few dozen requests: the whole key. So:
 * - 401 and 403, the answers about the key, where providers quote it (OpenAI, masked):
 *   a fixed body in the provider's error shape, so that the SDKs raise their usual
 *   error classes;
 * - a body over {@link MAX_ERROR_BODY_BYTES} (null here): a fixed body too;
 * - any other: passed on with key-shaped text (`sk-…`, core's `redactText` without
 *   secrets) and masked echoes (`****abcd`, `...abcd`) redacted, whoever wrote them,
 *   then through `scrub`, the stored key's own echoes removed (core's KeyEchoScrubber:
 *   the key whatever its shape, runs of 8 of its secret part, its masked echo). That
 *   scrub leaves what the caller sent in this request as it is and never lets the key's
 *   public parts decide, so a guess comes back the same whether it is right or not.
 */
export function errorAnswerFor(dialect: ProviderDialect, status: number, body: Buffer | null, contentType: string | undefined, scrub: (text: string) => string): ErrorAnswer {
  if (body === null) return fixedAnswer(dialect, status, TOO_LARGE_MESSAGE);
  const fixed = FIXED_MESSAGES[status];
  if (fixed !== undefined) return fixedAnswer(dialect, status, fixed);
  return { contentType: contentType ?? 'application/json', text: scrub(redactText(body.toString('utf8')).replace(MASKED_ECHO, REDACTED)) };
}

/** Whether {@link errorAnswerFor} passes a body of this status on (scrubbed), rather than a fixed answer in its place. */
export function passesErrorBody(status: number): boolean {
  return FIXED_MESSAGES[status] === undefined;
}

/** An error in the provider's own shape (its dialect's), as its SDK parses it. */
function fixedAnswer(dialect: ProviderDialect, status: number, message: string): ErrorAnswer {
  const code = dialect === 'openai' && status === 401 ? 'invalid_api_key' : null;
  return { contentType: 'application/json', text: JSON.stringify(providerErrorBody(dialect, status, message, code)) };
}
