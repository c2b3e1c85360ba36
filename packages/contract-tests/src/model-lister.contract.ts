import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PROBE_CODES, type LlmProvider, type ModelListOutcome, type ModelLister } from '@llm-settings/core';

/** How the fake answers a key: `ok` lists its models; the others fail as their names say; `hang` never answers. */
export type ModelListerContractBehavior = 'ok' | 'unauthorized' | 'forbidden' | 'rate_limited' | 'server_error' | 'hang';

/**
 * A fake provider the lister under test is pointed at. Its model list is given per key,
 * in order; a provider that pages its list must page it as the real one does.
 */
export interface ModelListerContractFake {
  /** The models the provider lists for `apiKey`, in order. */
  setKeyModels(provider: LlmProvider, apiKey: string, models: readonly string[] | null): void;
  /** How the provider answers `apiKey`; `null` means `ok`. */
  setKeyBehavior(provider: LlmProvider, apiKey: string, behavior: ModelListerContractBehavior | null): void;
  /** Requests the fake received for `provider` since the last `reset()`. */
  requestCount(provider: LlmProvider): number;
  /** No key lists, behaviours or answer delays; request counts at zero. */
  reset(): void;
  close(): Promise<void>;
}

export interface ModelListerContractOptions<Fake extends ModelListerContractFake = ModelListerContractFake> {
  /** Names the adapter in test titles. */
  name: string;
  /** Providers the adapter supports; each gets the whole suite. */
  providers: readonly LlmProvider[];
  /** Starts the fake provider, once for the suite. */
  startFake: () => Promise<Fake>;
  /** Builds the lister under test, pointed at the fake. */
  create: (fake: Fake) => ModelLister | Promise<ModelLister>;
  /**
   * `timeoutMs` of the requests that meet a hanging provider.
   * @default 300
   */
  timeoutMs?: number;
  /**
   * Makes the fake hold each answer to `apiKey` (every page of its list) `ms`
   * milliseconds before sending it, until `fake.reset()`. Without it, the check that
   * `timeoutMs` bounds the whole listing, every page included, is skipped.
   */
  delayAnswers?: (fake: Fake, provider: LlmProvider, apiKey: string, ms: number) => void;
}

const FAILURES = [
  { behavior: 'unauthorized', code: 'invalid_api_key' },
  { behavior: 'forbidden', code: 'permission_denied' },
  { behavior: 'rate_limited', code: 'rate_limited' },
  { behavior: 'server_error', code: 'provider_unavailable' },
] as const;

/** A run of the key this long in an outcome is a leak. */
const LEAKING_RUN_LENGTH = 8;
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

/**
 * The ModelLister contract: every model of the key, every page, in order and for that
 * key only; listings of different keys or providers never share a call; failures as
 * outcomes with the probe's codes and fixed wording (no provider body, no part of the
 * key, masked echoes included); a deadline that bounds the whole listing, every page
 * included (with `delayAnswers`), and a signal that ends it.
 */
export function describeModelListerContract<Fake extends ModelListerContractFake>(options: ModelListerContractOptions<Fake>): void {
  const timeoutMs = options.timeoutMs ?? 300;
  const { delayAnswers } = options;

  describe(`ModelLister contract: ${options.name}`, () => {
    let fake: Fake;
    let lister: ModelLister;

    beforeAll(async () => {
      fake = await options.startFake();
      lister = await options.create(fake);
    });
    afterAll(() => fake?.close());
    beforeEach(() => fake.reset());

    for (const provider of options.providers) {
      describe(provider, () => {
        const key = (name: string) => `${provider}-contract-${name}-${'k'.repeat(8)}`;
        const list = (apiKey: string, extra: { timeoutMs?: number; signal?: AbortSignal } = {}) => lister.listModels({ provider, apiKey, ...extra });
        const idsOf = (outcome: ModelListOutcome) => (outcome.code === 'ok' ? outcome.models.map((m) => m.id) : null);

        it('lists every model of the key, in order, however many pages it takes', async () => {
          const models = Array.from({ length: 250 }, (_, i) => `${provider}-model-${String(i).padStart(3, '0')}`);
          fake.setKeyModels(provider, key('many'), models);
          const outcome = await list(key('many'));
          expect(outcome.code).toBe('ok');
          expect(idsOf(outcome)).toEqual(models);
          expect(outcome.latencyMs).toEqual(expect.any(Number));
        });

        it("lists each key's own models, and none for a key that has none", async () => {
          fake.setKeyModels(provider, key('a'), ['model-of-a', 'another-of-a']);
          fake.setKeyModels(provider, key('b'), ['model-of-b']);
          fake.setKeyModels(provider, key('none'), []);
          expect(idsOf(await list(key('a')))).toEqual(['model-of-a', 'another-of-a']);
          expect(idsOf(await list(key('b')))).toEqual(['model-of-b']);
          expect(idsOf(await list(key('none')))).toEqual([]);
        });

        it('never lists a model whose id carries the key', async () => {
          const apiKey = key('echoed');
          fake.setKeyModels(provider, apiKey, ['plain-model', `model-${apiKey}`]);
          const outcome = await list(apiKey);
          expect(idsOf(outcome)).toEqual(['plain-model']);
          expect(JSON.stringify(outcome)).not.toContain(apiKey);
        });

        it('lists two keys at once with a call each, each with its own models: only identical listings (same provider and key) may share one', async () => {
          fake.setKeyModels(provider, key('first'), ['model-of-first']);
          fake.setKeyModels(provider, key('second'), ['model-of-second']);
          const [first, second] = await Promise.all([list(key('first')), list(key('second'))]);
          expect(idsOf(first)).toEqual(['model-of-first']);
          expect(idsOf(second)).toEqual(['model-of-second']);
          expect(fake.requestCount(provider)).toBe(2);
        });

        for (const { behavior, code } of FAILURES) {
          it(`reports ${behavior} as ${code} in fixed wording: the same message whatever the key, no part of the key, masked echoes included`, async () => {
            const keys = [realisticKey(provider), realisticKey(provider)];
            for (const apiKey of keys) fake.setKeyBehavior(provider, apiKey, behavior);
            const [first, second] = await Promise.all(keys.map((apiKey) => list(apiKey)));
            for (const [apiKey, outcome] of [
              [keys[0]!, first!],
              [keys[1]!, second!],
            ] as const) {
              expect(outcome.code).toBe(code);
              expect(keyRunsIn(outcome.message, apiKey), 'the message holds a run of the key').toEqual([]);
              // Providers quote a wrong key by its last four ("sk-proj-****abcd").
              expect(outcome.message, 'the message shows the last 4 characters of the key').not.toContain(apiKey.slice(-4));
            }
            expect(second!.message, 'the message varies with the key: provider text?').toBe(first!.message);
          });

          it(`reports ${behavior} as ${code}, without the key and without retrying`, async () => {
            const apiKey = key(behavior);
            fake.setKeyBehavior(provider, apiKey, behavior);
            const outcome = await list(apiKey);
            expect(outcome.code).toBe(code);
            expect(outcome).not.toHaveProperty('models');
            expect(outcome.message).not.toBe('');
            expect(JSON.stringify(outcome)).not.toContain(apiKey);
            expect(fake.requestCount(provider)).toBe(1);
          });
        }

        it('gives timeout when the provider does not answer by the deadline', async () => {
          fake.setKeyBehavior(provider, key('hang'), 'hang');
          const outcome = await list(key('hang'), { timeoutMs });
          expect(outcome.code).toBe('timeout');
          expect(PROBE_CODES).toContain(outcome.code);
        });

        it.skipIf(!delayAnswers)(
          `timeoutMs bounds the whole listing, every page included: a listing slower than timeoutMs in all gives timeout by the deadline, not once its pages are done${delayAnswers ? '' : ' (skipped: no delayAnswers hook)'}`,
          async () => {
            const apiKey = key('slow');
            const models = Array.from({ length: SLOW_LISTING_MODELS }, (_, i) => `${provider}-slow-${String(i).padStart(4, '0')}`);
            fake.setKeyModels(provider, apiKey, models);
            // Unhurried first: how many pages the lister asks for.
            expect(idsOf(await list(apiKey))).toEqual(models);
            const pages = fake.requestCount(provider);
            fake.reset();
            fake.setKeyModels(provider, apiKey, models);
            // With several pages each fits within the deadline and only their sum does not.
            delayAnswers!(fake, provider, apiKey, Math.ceil(SLOW_LISTING_MS / pages));
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
          fake.setKeyBehavior(provider, key('hang'), 'hang');
          const controller = new AbortController();
          const pending = list(key('hang'), { signal: controller.signal, timeoutMs: 60_000 });
          controller.abort();
          expect((await pending).code).toBe('timeout');

          fake.reset();
          const aborted = await list(key('never-sent'), { signal: AbortSignal.abort() });
          expect(aborted).toMatchObject({ code: 'timeout', latencyMs: null });
          expect(fake.requestCount(provider)).toBe(0);
        });
      });
    }

    describe.skipIf(options.providers.length < 2)('across providers', () => {
      it('lists one key at two providers at once with a call each, each giving its own models', async () => {
        const [one, other] = options.providers as [LlmProvider, LlmProvider];
        const apiKey = `shared-contract-key-${'k'.repeat(8)}`;
        fake.setKeyModels(one, apiKey, [`${one}-own-model`]);
        fake.setKeyModels(other, apiKey, [`${other}-own-model`]);
        const outcomes = await Promise.all([one, other].map((provider) => lister.listModels({ provider, apiKey })));
        expect(outcomes.map((o) => (o.code === 'ok' ? o.models.map((m) => m.id) : o.code))).toEqual([[`${one}-own-model`], [`${other}-own-model`]]);
        expect([fake.requestCount(one), fake.requestCount(other)]).toEqual([1, 1]);
      });
    });
  });
}

/** Every run of LEAKING_RUN_LENGTH characters of the key found in `text`. */
function keyRunsIn(text: string, apiKey: string): string[] {
  const found: string[] = [];
  for (let start = 0; start + LEAKING_RUN_LENGTH <= apiKey.length; start++) {
    const run = apiKey.slice(start, start + LEAKING_RUN_LENGTH);
    if (text.includes(run)) found.push(run);
  }
  return found;
}

/** A fresh key shaped like the provider's real ones, so that providers which echo part of it do. */
function realisticKey(provider: LlmProvider): string {
  const body = randomBytes(36).toString('base64url');
  return provider === 'anthropic' ? `sk-ant-api03-${body}AA` : `sk-proj-${body}`;
}
