import { StorageUnavailableError } from '@llm-settings/core';
import { expect, it } from 'vitest';
import { createWriteQueue } from '../src/dialects/sqlite-write-queue.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('runs writes one at a time, in call order, a failed one not stopping the next', async () => {
  const inTurn = createWriteQueue(1_000);
  const log: string[] = [];
  const write = (name: string, ms: number, fails = false) =>
    inTurn(async () => {
      log.push(`start ${name}`);
      await sleep(ms);
      log.push(`end ${name}`);
      if (fails) throw new Error(name);
      return name;
    });
  const outcomes = await Promise.allSettled([write('a', 30), write('b', 10, true), write('c', 0)]);
  expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
});

it('a write whose turn does not come within the limit fails as StorageUnavailableError and never runs', async () => {
  const inTurn = createWriteQueue(50);
  let ranLate = false;
  const stuck = inTurn(() => sleep(200));
  const started = performance.now();
  await expect(inTurn(async () => void (ranLate = true))).rejects.toBeInstanceOf(StorageUnavailableError);
  expect(performance.now() - started).toBeLessThan(150);
  await stuck;
  await sleep(10);
  expect(ranLate).toBe(false);
  // The queue goes on: the next write runs.
  await expect(inTurn(async () => 'next')).resolves.toBe('next');
});
