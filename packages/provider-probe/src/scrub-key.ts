import { scrubKeyFromLogText, type ProbeOutcome } from '@llm-settings/core';

/**
 * The outcome with the key scrubbed from the provider's request id, the only text in it
 * that came from outside (messages are fixed wording, see outcomes.ts). The request id
 * goes to logs only, never into an answer.
 */
export function scrubOutcome(outcome: ProbeOutcome, apiKey: string): ProbeOutcome {
  const requestId = outcome.requestId === undefined || outcome.requestId === null ? null : scrubKeyFromLogText(outcome.requestId, apiKey);
  return { ...outcome, requestId };
}
