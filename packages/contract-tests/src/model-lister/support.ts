import { randomBytes } from 'node:crypto';
import type { LlmProvider, ModelListOutcome, ModelLister } from '@llm-settings/core';
import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import type { ModelListerContractFake, ModelListerContractOptions } from './options.js';

/** A run of the key this long in an outcome is a leak. */
export const LEAKING_RUN_LENGTH = 8;

/** The fake provider and the lister under test, made once for the suite; the fake is reset before each test. */
export interface ListerSubject<Fake extends ModelListerContractFake> {
  readonly fake: Fake;
  readonly lister: ModelLister;
}

/** Checks of one concern of the contract, registered for the lister under test. */
export type ListerChecks<Fake extends ModelListerContractFake> = (options: ModelListerContractOptions<Fake>, subject: ListerSubject<Fake>) => void;

/**
 * Registers `checks` under the suite's title (`ModelLister contract: <name>`), with one
 * fake and one lister for the suite: the whole contract, or one concern of it.
 */
export function describeListerChecks<Fake extends ModelListerContractFake>(
  options: ModelListerContractOptions<Fake>,
  ...checks: readonly ListerChecks<Fake>[]
): void {
  describe(`ModelLister contract: ${options.name}`, () => {
    let running: ListerSubject<Fake> | undefined;
    const started = () => {
      if (!running) throw new Error('The fake provider and the lister exist only while the suite runs.');
      return running;
    };
    beforeAll(async () => {
      const fake = await options.startFake();
      running = { fake, lister: await options.create(fake) };
    });
    afterAll(() => running?.fake.close());
    beforeEach(() => started().fake.reset());
    const subject: ListerSubject<Fake> = {
      get fake() {
        return started().fake;
      },
      get lister() {
        return started().lister;
      },
    };
    for (const register of checks) register(options, subject);
  });
}

/** The calls of the checks at one provider: a key by name, a listing of a key, the ids it gave. */
export function callsTo<Fake extends ModelListerContractFake>(subject: ListerSubject<Fake>, provider: LlmProvider) {
  return {
    key: (name: string) => `${provider}-contract-${name}-${'k'.repeat(8)}`,
    list: (apiKey: string, extra: { timeoutMs?: number; signal?: AbortSignal } = {}) => subject.lister.listModels({ provider, apiKey, ...extra }),
    idsOf: (outcome: ModelListOutcome) => (outcome.code === 'ok' ? outcome.models.map((m) => m.id) : null),
  };
}

/** Every run of LEAKING_RUN_LENGTH characters of the key found in `text`. */
export function keyRunsIn(text: string, apiKey: string): string[] {
  const found: string[] = [];
  for (let start = 0; start + LEAKING_RUN_LENGTH <= apiKey.length; start++) {
    const run = apiKey.slice(start, start + LEAKING_RUN_LENGTH);
    if (text.includes(run)) found.push(run);
  }
  return found;
}

/** A fresh key shaped like the provider's real ones, so that providers which echo part of it do. */
export function realisticKey(provider: LlmProvider): string {
  const body = randomBytes(36).toString('base64url');
  return provider === 'anthropic' ? `sk-ant-api03-${body}AA` : `sk-proj-${body}`;
}
