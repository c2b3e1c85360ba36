import { describe, expect, it } from 'vitest';
import { FreshReads } from '../src/use-cases/fresh-reads.js';

/** A read per call, each held until released, counting what it read. */
function heldReads() {
  let value = 0;
  const pending: Array<() => void> = [];
  let started = 0;
  const reads = new FreshReads<number>(async () => {
    started++;
    // What the store held when the read began.
    const seen = value;
    await new Promise<void>((resolve) => pending.push(resolve));
    return seen;
  });
  return {
    reads,
    started: () => started,
    write: (next: number) => void (value = next),
    /** Ends the oldest read running and lets what follows it begin. */
    async release() {
      pending.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

describe('FreshReads', () => {
  it('get - a caller that arrives while a read runs gets the next read, begun after it asked', async () => {
    const held = heldReads();
    const first = held.reads.get('k');
    held.write(1);
    const second = held.reads.get('k');
    await held.release();
    expect(await first).toBe(0);
    expect(held.started()).toBe(2);
    await held.release();
    expect(await second).toBe(1);
  });

  it('get - many concurrent callers of a key cost two reads; another key reads on its own', async () => {
    const held = heldReads();
    const answers = Promise.all(Array.from({ length: 20 }, () => held.reads.get('k')));
    const other = held.reads.get('other');
    expect(held.started()).toBe(2);
    for (let i = 0; i < 3; i++) await held.release();
    await Promise.all([answers, other]);
    expect(held.started()).toBe(3);
    // Nothing running: the next caller begins a read of its own.
    void held.reads.get('k');
    expect(held.started()).toBe(4);
  });

  it('get - a failed read fails its callers only; the next caller reads again', async () => {
    let calls = 0;
    const reads = new FreshReads<string>(async () => {
      calls++;
      if (calls === 1) throw new Error('store down');
      return 'value';
    });
    await expect(reads.get('k')).rejects.toThrow('store down');
    expect(await reads.get('k')).toBe('value');
  });
});
