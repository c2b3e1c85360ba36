import { REDACTED, redactText, type ProbeOutcome } from '@llm-settings/core';

/** A run of the key this long is a leak even when the rest of the key is absent. */
const LEAKING_RUN_LENGTH = 8;
const VISIBLE_TAIL = 4;

/**
 * Removes the key, and any echo of it, from text that may carry outside values:
 * the whole key, anything key-shaped (core's `redactText`), any 8-character run of
 * the key, and masked echoes such as OpenAI's "sk-proj-****abcd" or "...abcd"
 * (the key's first characters or mask characters, then its last four).
 */
export function scrubKey(text: string, apiKey: string): string {
  let out = redactText(text, [apiKey]);
  for (let start = 0; start + LEAKING_RUN_LENGTH <= apiKey.length; start++) {
    const run = apiKey.slice(start, start + LEAKING_RUN_LENGTH);
    if (out.includes(run)) out = out.split(run).join(REDACTED);
  }
  if (apiKey.length >= 2 * VISIBLE_TAIL) out = out.replace(maskedEchoPattern(apiKey), REDACTED);
  return out;
}

/**
 * The outcome with the key scrubbed from the provider's request id, the only text in it
 * that came from outside (messages are fixed wording, see outcomes.ts). The request id
 * goes to logs only, never into an answer.
 */
export function scrubOutcome(outcome: ProbeOutcome, apiKey: string): ProbeOutcome {
  const requestId = outcome.requestId === undefined || outcome.requestId === null ? null : scrubKey(outcome.requestId, apiKey);
  return { ...outcome, requestId };
}

function maskedEchoPattern(apiKey: string): RegExp {
  const head = escapeRegExp(apiKey.slice(0, 3));
  const tail = escapeRegExp(apiKey.slice(-VISIBLE_TAIL));
  return new RegExp(`(?:\\S*[*•.]{3}|${head})\\S*?${tail}`, 'g');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
