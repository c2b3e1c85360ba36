import { PROBE_CODES } from '@llm-settings/core';
import { describe, expect, it } from 'vitest';
import type { ModelListerContractFake, ModelListerContractOptions } from './options.js';
import { callsTo, describeListerChecks, type ListerSubject } from './support.js';

/** `timeoutMs` of the slow listing, whose pages together take {@link SLOW_LISTING_MS}. */
const SLOW_LISTING_TIMEOUT_MS = 500;
/**
 * How long the slow listing would take if nothing ended it: its pages share this, so a
 * lister that bounds each page rather than the whole, or that notices the deadline only
 * once the pages are done, answers far later than the deadline.
 */
const SLOW_LISTING_MS = 3_000;
/** Room past the deadline for a loaded machine, well short of {@link SLOW_LISTING_MS}. */
const SLOW_LISTING_SLACK_MS = 1_000;
/** Models of the slow listing: several pages at any usual page size. */
const SLOW_LISTING_MODELS = 1_000;

/** `timeoutMs` and the caller's signal. */
export function deadlineChecks<Fake extends ModelListerContractFake>(options: ModelListerContractOptions<Fake>, subject: ListerSubject<Fake>): void {
  const timeoutMs = options.timeoutMs ?? 300;
  const { delayAnswers } = options;
  for (const provider of options.providers) {
    describe(provider, () => {
      const { key, list, idsOf } = callsTo(subject, provider);

      it('gives timeout when the provider does not answer by the deadline', async () => {
        subject.fake.setKeyBehavior(provider, key('hang'), 'hang');
        const outcome = await list(key('hang'), { timeoutMs });
        expect(outcome.code).toBe('timeout');
        expect(PROBE_CODES).toContain(outcome.code);
      });

      it.skipIf(!delayAnswers)(
        `timeoutMs bounds the whole listing, every page included: a listing slower than timeoutMs in all gives timeout by the deadline, not once its pages are done${delayAnswers ? '' : ' (skipped: no delayAnswers hook)'}`,
        async () => {
          const apiKey = key('slow');
          const models = Array.from({ length: SLOW_LISTING_MODELS }, (_, i) => `${provider}-slow-${String(i).padStart(4, '0')}`);
          subject.fake.setKeyModels(provider, apiKey, models);
          // Unhurried first: how many pages the lister asks for.
          expect(idsOf(await list(apiKey))).toEqual(models);
          const pages = subject.fake.requestCount(provider);
          subject.fake.reset();
          subject.fake.setKeyModels(provider, apiKey, models);
          // With several pages each fits within the deadline and only their sum does not.
          delayAnswers!(subject.fake, provider, apiKey, Math.ceil(SLOW_LISTING_MS / pages));
          const started = performance.now();
          const outcome = await list(apiKey, { timeoutMs: SLOW_LISTING_TIMEOUT_MS });
          const elapsed = performance.now() - started;
          expect(outcome.code).toBe('timeout');
          expect(elapsed, `${pages} pages of ${Math.ceil(SLOW_LISTING_MS / pages)} ms each: the listing ran past its deadline`).toBeLessThan(
            SLOW_LISTING_TIMEOUT_MS + SLOW_LISTING_SLACK_MS,
          );
        },
        3 * SLOW_LISTING_MS,
      );

      it('gives timeout when the caller aborts, and sends nothing for a signal aborted already', async () => {
        subject.fake.setKeyBehavior(provider, key('hang'), 'hang');
        const controller = new AbortController();
        const pending = list(key('hang'), { signal: controller.signal, timeoutMs: 60_000 });
        controller.abort();
        expect((await pending).code).toBe('timeout');

        subject.fake.reset();
        const aborted = await list(key('never-sent'), { signal: AbortSignal.abort() });
        expect(aborted).toMatchObject({ code: 'timeout', latencyMs: null });
        expect(subject.fake.requestCount(provider)).toBe(0);
      });
    });
  }
}

/**
 * Registers the checks that `timeoutMs` bounds the whole listing (every page included, with `delayAnswers`) and that a signal ends it.
 * Call it at the top level of a test file.
 */
export function describeModelListerDeadline<Fake extends ModelListerContractFake>(options: ModelListerContractOptions<Fake>): void {
  describeListerChecks(options, deadlineChecks);
}
