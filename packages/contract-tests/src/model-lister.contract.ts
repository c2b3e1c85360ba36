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
  /** No key lists or behaviours, request counts at zero. */
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
}

const FAILURES = [
  { behavior: 'unauthorized', code: 'invalid_api_key' },
  { behavior: 'forbidden', code: 'permission_denied' },
  { behavior: 'rate_limited', code: 'rate_limited' },
  { behavior: 'server_error', code: 'provider_unavailable' },
] as const;

/**
 * The ModelLister contract: every model of the key, every page, in order and for that
 * key only; failures as outcomes with the probe's codes; the key never in an outcome;
 * a deadline and a signal that end the listing.
 */
export function describeModelListerContract<Fake extends ModelListerContractFake>(options: ModelListerContractOptions<Fake>): void {
  const timeoutMs = options.timeoutMs ?? 300;

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

        for (const { behavior, code } of FAILURES) {
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
  });
}
