import type { LlmProvider } from '@llm-settings/core';
import { describe, expect, it } from 'vitest';
import type { ModelListerContractFake, ModelListerContractOptions } from './options.js';
import { callsTo, describeListerChecks, type ListerSubject } from './support.js';

/** Listing at one provider: every model, every page, in order, for that key only. */
export function listingChecks<Fake extends ModelListerContractFake>(options: ModelListerContractOptions<Fake>, subject: ListerSubject<Fake>): void {
  for (const provider of options.providers) {
    describe(provider, () => {
      const { key, list, idsOf } = callsTo(subject, provider);

      it('lists every model of the key, in order, however many pages it takes', async () => {
        const models = Array.from({ length: 250 }, (_, i) => `${provider}-model-${String(i).padStart(3, '0')}`);
        subject.fake.setKeyModels(provider, key('many'), models);
        const outcome = await list(key('many'));
        expect(outcome.code).toBe('ok');
        expect(idsOf(outcome)).toEqual(models);
        expect(outcome.latencyMs).toEqual(expect.any(Number));
      });

      it("lists each key's own models, and none for a key that has none", async () => {
        subject.fake.setKeyModels(provider, key('a'), ['model-of-a', 'another-of-a']);
        subject.fake.setKeyModels(provider, key('b'), ['model-of-b']);
        subject.fake.setKeyModels(provider, key('none'), []);
        expect(idsOf(await list(key('a')))).toEqual(['model-of-a', 'another-of-a']);
        expect(idsOf(await list(key('b')))).toEqual(['model-of-b']);
        expect(idsOf(await list(key('none')))).toEqual([]);
      });

      it('never lists a model whose id carries the key', async () => {
        const apiKey = key('echoed');
        subject.fake.setKeyModels(provider, apiKey, ['plain-model', `model-${apiKey}`]);
        const outcome = await list(apiKey);
        expect(idsOf(outcome)).toEqual(['plain-model']);
        expect(JSON.stringify(outcome)).not.toContain(apiKey);
      });

      it('lists two keys at once with a call each, each with its own models: only identical listings (same provider and key) may share one', async () => {
        subject.fake.setKeyModels(provider, key('first'), ['model-of-first']);
        subject.fake.setKeyModels(provider, key('second'), ['model-of-second']);
        const [first, second] = await Promise.all([list(key('first')), list(key('second'))]);
        expect(idsOf(first)).toEqual(['model-of-first']);
        expect(idsOf(second)).toEqual(['model-of-second']);
        expect(subject.fake.requestCount(provider)).toBe(2);
      });

      it('lists one key for two partitions at once with a call each: a caller never joins, nor times, another tenant\'s listing', async () => {
        const apiKey = key('two');
        subject.fake.setKeyModels(provider, apiKey, ['model-for-both']);
        const outcomes = await Promise.all(['tenant-a', 'tenant-b'].map((partition) => subject.lister.listModels({ provider, apiKey, partition })));
        expect(outcomes.map(idsOf)).toEqual([['model-for-both'], ['model-for-both']]);
        expect(subject.fake.requestCount(provider)).toBe(2);
      });
    });
  }
}

/** With two providers or more: one key at two providers is two calls. */
export function acrossProvidersChecks<Fake extends ModelListerContractFake>(options: ModelListerContractOptions<Fake>, subject: ListerSubject<Fake>): void {
  const oneProvider = options.providers.length < 2;
  describe.skipIf(oneProvider)(`across providers${oneProvider ? ' (skipped: one provider given)' : ''}`, () => {
    it('lists one key at two providers at once with a call each, each giving its own models', async () => {
      const [one, other] = options.providers as [LlmProvider, LlmProvider];
      const apiKey = `shared-contract-key-${'k'.repeat(8)}`;
      subject.fake.setKeyModels(one, apiKey, [`${one}-own-model`]);
      subject.fake.setKeyModels(other, apiKey, [`${other}-own-model`]);
      const outcomes = await Promise.all([one, other].map((provider) => subject.lister.listModels({ provider, apiKey })));
      expect(outcomes.map((o) => (o.code === 'ok' ? o.models.map((m) => m.id) : o.code))).toEqual([[`${one}-own-model`], [`${other}-own-model`]]);
      expect([subject.fake.requestCount(one), subject.fake.requestCount(other)]).toEqual([1, 1]);
    });
  });
}

/**
 * Registers the checks that a listing gives every model of the key, every page, in order and for that key only, and that listings of different keys or providers never share a call.
 * Call it at the top level of a test file.
 */
export function describeModelListerListing<Fake extends ModelListerContractFake>(options: ModelListerContractOptions<Fake>): void {
  describeListerChecks(options, listingChecks, acrossProvidersChecks);
}
