import vm from 'node:vm';
import fc from 'fast-check';
import { KeyEchoScrubber, NO_CALLER_TEXT, REDACTED, redactText } from '@llm-settings/core';
import { describe, expect, it } from 'vitest';
import { errorAnswerFor } from '../src/upstream-error-body.js';
import { OPENAI_KEY } from './helpers.js';

/**
 * An error body may quote the caller's request at length ("The model '<model>' does not
 * exist"). Its scrub must be linear in it: on these bodies of 256 KiB the masked-echo
 * pattern took minutes. No time is measured: the scrub runs under a hard limit, far above
 * what a linear one takes on a slow machine, and is cut off there.
 */
const HARD_LIMIT_MS = 10_000;
const LONG = 256 * 1024;

/** `work()`'s result; throws once it has run for the hard limit (vm's timeout stops a RegExp too). */
function withinHardLimit<T>(work: () => T): T {
  return vm.runInNewContext('work()', { work }, { timeout: HARD_LIMIT_MS }) as T;
}

/** The text a 404 quoting `model` passes on, scrubbed as the pass-through does with the stored key. */
function answerQuoting(model: string, scrub: (text: string) => string = (text) => text): string {
  const body = JSON.stringify({ error: { message: `The model '${model}' does not exist`, code: 'model_not_found' } });
  return errorAnswerFor('openai', 404, Buffer.from(body), 'application/json', scrub).text;
}

function messageOf(answer: string): string {
  return (JSON.parse(answer) as { error: { message: string } }).error.message;
}

describe('errorAnswerFor on a long quote built to be slow', () => {
  const tail = OPENAI_KEY.slice(-4);
  it.each([
    ['a run of key characters', 'a'.repeat(LONG), 'a'.repeat(LONG)],
    ["a run of key characters, then the key's last four", `${'a'.repeat(LONG)}${tail}`, `${'a'.repeat(LONG)}${tail}`],
    ['stars', '*'.repeat(LONG), '*'.repeat(LONG)],
    ['a run of key characters masked at its end', `${'a'.repeat(LONG)}...wxyz`, REDACTED],
  ])('%s: right, within the hard limit', (_, model, expected) => {
    const scrubber = new KeyEchoScrubber(OPENAI_KEY);
    const answer = withinHardLimit(() => answerQuoting(model, (text) => scrubber.scrubText(text, NO_CALLER_TEXT)));
    expect(messageOf(answer)).toBe(`The model '${expected}' does not exist`);
  });
});

describe('errorAnswerFor against the masked-echo pattern before it', () => {
  const PREVIOUS_MASKED_ECHO = /[A-Za-z0-9_-]*(?:[*•]{3,}|\.{3})[A-Za-z0-9_-]{4,}/g;

  it('redacts what the previous pattern redacted', () => {
    const models = fc.oneof(
      fc.array(fc.constantFrom('*', '***', '•', '.', '...', 'abcd', 'a', '-', '_', ' ', 'wxyz', '…'), { maxLength: 24 }).map((parts) => parts.join('')),
      fc.string({ unit: fc.constantFrom(...'ab0_-*•.… x'), maxLength: 60 }),
    );
    fc.assert(
      fc.property(models, (model) => {
        const body = JSON.stringify({ error: { message: `The model '${model}' does not exist` } });
        const answer = errorAnswerFor('openai', 404, Buffer.from(body), 'application/json', (text) => text);
        expect(answer.text).toBe(redactText(body).replace(PREVIOUS_MASKED_ECHO, REDACTED));
      }),
      { numRuns: 20_000 },
    );
  });
});
