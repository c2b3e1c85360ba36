import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryUsageStore } from '../src/testing/index.js';
import { MAX_USAGE_MODEL_LENGTH, UsageMeter, ValidationError, type LogFields, type Logger, type MeteredCall, type UsageStore } from '../src/index.js';

const day = (date: string) => () => new Date(`${date}T12:00:00Z`);
const call = (over: Partial<MeteredCall> = {}): MeteredCall => ({
  scope: 'tenant-a',
  provider: 'anthropic',
  model: 'claude-x',
  status: 200,
  usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 2 },
  ...over,
});

function recordingLogger(): Logger & { lines: Array<{ level: string; fields: LogFields; message: string }> } {
  const lines: Array<{ level: string; fields: LogFields; message: string }> = [];
  const at = (level: string) => (fields: LogFields, message: string) => void lines.push({ level, fields, message });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const meters: UsageMeter[] = [];
afterEach(async () => {
  for (const meter of meters.splice(0)) await meter.close();
});
function meterOf(options: ConstructorParameters<typeof UsageMeter>[0]): UsageMeter {
  const meter = new UsageMeter({ flushMs: 3_600_000, ...options });
  meters.push(meter);
  return meter;
}

describe('UsageMeter', () => {
  it('record - sums calls per scope, UTC day, provider and model, failures (any status but 2xx, or none) and tokens', async () => {
    const store = createMemoryUsageStore();
    const meter = meterOf({ store, now: day('2026-03-04') });
    meter.record(call());
    meter.record(call({ status: 529, usage: null }));
    meter.record(call({ status: null, usage: null }));
    meter.record(call({ scope: 'tenant-b' }));
    meter.record(call({ model: 'claude-y' }));
    await meter.flush();
    expect(store.rows()).toEqual([
      { scope: 'tenant-a', date: '2026-03-04', provider: 'anthropic', model: 'claude-x', calls: 3, failedCalls: 2, inputTokens: 10, outputTokens: 5, cachedInputTokens: 2 },
      { scope: 'tenant-b', date: '2026-03-04', provider: 'anthropic', model: 'claude-x', calls: 1, failedCalls: 0, inputTokens: 10, outputTokens: 5, cachedInputTokens: 2 },
      { scope: 'tenant-a', date: '2026-03-04', provider: 'anthropic', model: 'claude-y', calls: 1, failedCalls: 0, inputTokens: 10, outputTokens: 5, cachedInputTokens: 2 },
    ]);
  });

  it('record - writes nothing until a flush: a call never waits for the store', async () => {
    const store = createMemoryUsageStore();
    const meter = meterOf({ store, now: day('2026-03-04') });
    meter.record(call());
    expect(store.rows()).toEqual([]);
    await meter.flush();
    expect(store.rows()).toHaveLength(1);
  });

  it('record - keeps a model name as bounded data: cut to its longest length, control characters dropped, unknown when absent', async () => {
    const store = createMemoryUsageStore();
    const meter = meterOf({ store, now: day('2026-03-04') });
    meter.record(call({ model: `a\nb${'m'.repeat(500)}` }));
    meter.record(call({ model: null }));
    await meter.flush();
    const models = store.rows().map((row) => row.model);
    expect(models).toContain('unknown');
    const long = models.find((model) => model.startsWith('ab'))!;
    expect(long).toHaveLength(MAX_USAGE_MODEL_LENGTH);
  });

  it('record - stores a model that looks like an API key (a key sent as the model) as [REDACTED], and model names as they are', async () => {
    const store = createMemoryUsageStore();
    const meter = meterOf({ store, now: day('2026-03-04') });
    const keys = ['sk-proj-USEKEYZq7vXw4TnLpR2mKc9HsJd6FgYb3NaE8u', 'Zq7vXw4TnLpR2mKc9HsJd6FgYb3NaE8uVt1oQi5x', 'a3f9c2e7b1d04f6a8e5c3b2a1f0e9d8c'];
    for (const model of [...keys, 'gpt-4o-mini-2024-07-18', 'claude-opus-4-1-20250805']) meter.record(call({ model }));
    await meter.flush();
    const stored = store.rows().map((row) => row.model);
    expect(stored.sort()).toEqual(['[REDACTED]', 'claude-opus-4-1-20250805', 'gpt-4o-mini-2024-07-18']);
    expect(store.rows().find((row) => row.model === '[REDACTED]')?.calls).toBe(3);
  });

  it('flush - a failed write keeps its counts for the next one, added to the calls counted meanwhile, and logs without the error text', async () => {
    const store = createMemoryUsageStore();
    const logger = recordingLogger();
    const meter = meterOf({ store, logger, now: day('2026-03-04') });
    meter.record(call());
    store.failNextAdds(1);
    await meter.flush();
    expect(store.rows()).toEqual([]);
    meter.record(call());
    await meter.flush();
    expect(store.rows()).toMatchObject([{ calls: 2, inputTokens: 20 }]);
    expect(logger.lines).toEqual([{ level: 'warn', fields: { rows: 1, error_name: 'Error' }, message: 'usage: writing the counts failed; kept for the next flush' }]);
  });

  it('close - writes what is left, and later calls are not counted', async () => {
    const store = createMemoryUsageStore();
    const meter = new UsageMeter({ store, flushMs: 3_600_000, now: day('2026-03-04') });
    meter.record(call());
    await meter.close();
    meter.record(call());
    await meter.flush();
    expect(store.rows()).toMatchObject([{ calls: 1 }]);
  });

  it('close - every call resolves only once what was left is written, so that the store may be closed next', async () => {
    const memory = createMemoryUsageStore();
    let release = () => {};
    const writing = new Promise<void>((resolve) => (release = resolve));
    const store: UsageStore = { ...memory, add: async (entries) => (await writing, memory.add(entries)) };
    const meter = new UsageMeter({ store, flushMs: 3_600_000, now: day('2026-03-04') });
    meter.record(call());
    // A signal handler and a `finally` may both close it.
    const closes = [meter.close(), meter.close()];
    let settled = 0;
    for (const closing of closes) void closing.then(() => (settled += 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(0);
    release();
    await Promise.all(closes);
    expect(memory.rows()).toMatchObject([{ calls: 1 }]);
  });

  it('close - a failed write is tried once more; when that fails too, it resolves and an error log says how many rows went unwritten', async () => {
    for (const failures of [1, 2]) {
      const store = createMemoryUsageStore();
      const logger = recordingLogger();
      const meter = new UsageMeter({ store, logger, flushMs: 3_600_000, now: day('2026-03-04') });
      meter.record(call());
      meter.record(call({ provider: 'openai', model: 'gpt' }));
      store.failNextAdds(failures);
      await meter.close();
      const kept = { level: 'warn', fields: { rows: 2, error_name: 'Error' }, message: 'usage: writing the counts failed; kept for the next flush' };
      if (failures === 1) {
        expect(store.rows().map((row) => row.calls)).toEqual([1, 1]);
        expect(logger.lines).toEqual([kept]);
      } else {
        expect(store.rows()).toEqual([]);
        expect(logger.lines).toEqual([
          kept,
          { level: 'error', fields: { rows: 2, error_name: 'Error' }, message: 'usage: writing the counts failed at close; their calls stay uncounted' },
        ]);
      }
    }
  });

  it('flushes by itself every flushMs', async () => {
    const store = createMemoryUsageStore();
    const meter = meterOf({ store, flushMs: 20, now: day('2026-03-04') });
    meter.record(call());
    await expect.poll(() => store.rows().length).toBe(1);
  });

  it('prunes rows older than the retention in the background, soon after start', async () => {
    const store = createMemoryUsageStore();
    await store.add([
      { ...call(), scope: 'old', date: '2025-01-01', model: 'm', calls: 1, failedCalls: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 },
      { ...call(), scope: 'kept', date: '2026-03-01', model: 'm', calls: 1, failedCalls: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 },
    ]);
    meterOf({ store, flushMs: 20, retentionDays: 30, now: day('2026-03-04') });
    await expect.poll(() => store.rows().map((row) => row.scope)).toEqual(['kept']);
  });

  it('prunes nothing with retentionDays null, and still writes its counts', async () => {
    const store = createMemoryUsageStore();
    await store.add([{ ...call(), scope: 'old', date: '2025-01-01', model: 'm', calls: 1, failedCalls: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 }]);
    const meter = meterOf({ store, flushMs: 20, retentionDays: null, now: day('2026-03-04') });
    meter.record(call());
    await expect.poll(() => store.rows().length).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(store.rows().map((row) => row.scope)).toContain('old');
  });

  it('read - one scope between two days, both included, sorted, the counts not yet written added', async () => {
    const store = createMemoryUsageStore();
    let now = day('2026-03-04');
    const meter = meterOf({ store, now: () => now() });
    meter.record(call({ provider: 'openai', model: 'gpt' }));
    meter.record(call());
    await meter.flush();
    meter.record(call());
    now = day('2026-03-06');
    meter.record(call());
    meter.record(call({ scope: 'other' }));
    const rows = await meter.read({ scope: 'tenant-a', from: '2026-03-01', to: '2026-03-05' });
    expect(rows).toEqual([
      { date: '2026-03-04', provider: 'anthropic', model: 'claude-x', calls: 2, failedCalls: 0, inputTokens: 20, outputTokens: 10, cachedInputTokens: 4 },
      { date: '2026-03-04', provider: 'openai', model: 'gpt', calls: 1, failedCalls: 0, inputTokens: 10, outputTokens: 5, cachedInputTokens: 2 },
    ]);
  });

  it('read - counts a call whose write is in flight once: neither missing while the store writes it nor twice after', async () => {
    const memory = createMemoryUsageStore();
    let release = () => {};
    const writing = new Promise<void>((resolve) => (release = resolve));
    let adds = 0;
    const store: UsageStore = {
      add: async (entries) => {
        adds += 1;
        await writing;
        await memory.add(entries);
      },
      read: (query) => memory.read(query),
      prune: (before) => memory.prune(before),
    };
    const meter = meterOf({ store, now: day('2026-03-04') });
    meter.record(call());
    const flushed = meter.flush();
    await expect.poll(() => adds).toBe(1);
    const read = meter.read({ scope: 'tenant-a', from: '2026-03-04', to: '2026-03-04' });
    release();
    await flushed;
    expect((await read).map((row) => row.calls)).toEqual([1]);
    expect((await meter.read({ scope: 'tenant-a', from: '2026-03-04', to: '2026-03-04' })).map((row) => row.calls)).toEqual([1]);
  });

  it('record - counts each call in the UTC day of its own time, on either side of midnight and when the clock goes back', async () => {
    const store = createMemoryUsageStore();
    const times = ['2026-03-04T23:59:59.999Z', '2026-03-05T00:00:00.000Z', '2026-03-04T00:00:00.000Z', '1969-12-31T23:59:59.999Z', '2026-03-05T23:59:59.999Z'];
    let at = 0;
    const meter = meterOf({ store, now: () => new Date(times[at++]!) });
    for (let i = 0; i < times.length; i++) meter.record(call());
    await meter.flush();
    const days = (await store.read({ scope: 'tenant-a', from: '1969-12-01', to: '2026-03-31' })).map((row) => [row.date, row.calls]);
    expect(days.sort()).toEqual([['1969-12-31', 1], ['2026-03-04', 2], ['2026-03-05', 2]]);
  });

  it('read - refuses a date that is not YYYY-MM-DD or does not exist, and from after to, with a ValidationError', async () => {
    const meter = meterOf({ store: createMemoryUsageStore() });
    for (const [from, to] of [
      ['2026-3-1', '2026-03-02'],
      ['2026-02-30', '2026-03-02'],
      ['2026-03-02', 'tomorrow'],
      ['2026-03-02', '2026-03-01'],
    ]) {
      await expect(meter.read({ from: from!, to: to! })).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(meter.read({ scope: 'bad scope!', from: '2026-03-01', to: '2026-03-01' })).rejects.toBeInstanceOf(ValidationError);
  });
});
