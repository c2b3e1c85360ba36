import { describe, expect, it } from 'vitest';
import type { ModelListerContractFake, ModelListerContractOptions } from './options.js';
import { callsTo, describeListerChecks, keyRunsIn, realisticKey, type ListerSubject } from './support.js';

const FAILURES = [
  { behavior: 'unauthorized', code: 'invalid_api_key' },
  { behavior: 'forbidden', code: 'permission_denied' },
  { behavior: 'rate_limited', code: 'rate_limited' },
  { behavior: 'server_error', code: 'provider_unavailable' },
] as const;

/** The provider's refusals as outcomes in fixed wording. */
export function failureChecks<Fake extends ModelListerContractFake>(options: ModelListerContractOptions<Fake>, subject: ListerSubject<Fake>): void {
  for (const provider of options.providers) {
    describe(provider, () => {
      const { key, list } = callsTo(subject, provider);

      for (const { behavior, code } of FAILURES) {
        it(`reports ${behavior} as ${code} in fixed wording: the same message whatever the key, no part of the key, masked echoes included`, async () => {
          const keys = [realisticKey(provider), realisticKey(provider)];
          for (const apiKey of keys) subject.fake.setKeyBehavior(provider, apiKey, behavior);
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
          subject.fake.setKeyBehavior(provider, apiKey, behavior);
          const outcome = await list(apiKey);
          expect(outcome.code).toBe(code);
          expect(outcome).not.toHaveProperty('models');
          expect(outcome.message).not.toBe('');
          expect(JSON.stringify(outcome)).not.toContain(apiKey);
          expect(subject.fake.requestCount(provider)).toBe(1);
        });
      }
    });
  }
}

/**
 * Registers the checks that the provider's refusals come back as outcomes with the probe's codes, in fixed wording that shows no part of the key.
 * Call it at the top level of a test file.
 */
export function describeModelListerFailures<Fake extends ModelListerContractFake>(options: ModelListerContractOptions<Fake>): void {
  describeListerChecks(options, failureChecks);
}
