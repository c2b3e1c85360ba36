import type { UsageCounts, UsageQuery, UsageStore } from '../ports/usage-store.port.js';
import { byDateProviderModel } from '../use-cases/usage-meter.js';

export interface MemoryUsageStore extends UsageStore {
  /** Makes the next `count` calls of `add` fail, as an unreachable database would; 0 stops it. */
  failNextAdds(count: number): void;
  /** Every row, all scopes, in the order of `read`. */
  rows(): UsageCounts[];
}

type MutableCounts = { -readonly [K in keyof UsageCounts]: UsageCounts[K] };

/** A UsageStore in memory, for tests and the contract suite's reference. */
export function createMemoryUsageStore(): MemoryUsageStore {
  const rows = new Map<string, MutableCounts>();
  let failures = 0;
  const sorted = () => [...rows.values()].map((row) => ({ ...row })).sort(byDateProviderModel);
  return {
    async add(entries) {
      if (failures > 0) {
        failures -= 1;
        throw new Error('memory usage store: add failed as asked');
      }
      for (const entry of entries) {
        const key = JSON.stringify([entry.scope, entry.date, entry.provider, entry.model]);
        const row = rows.get(key);
        if (row === undefined) {
          rows.set(key, { ...entry });
          continue;
        }
        row.calls += entry.calls;
        row.failedCalls += entry.failedCalls;
        row.inputTokens += entry.inputTokens;
        row.outputTokens += entry.outputTokens;
        row.cachedInputTokens += entry.cachedInputTokens;
      }
    },
    async read({ scope, from, to }: UsageQuery) {
      return sorted().filter((row) => row.scope === scope && row.date >= from && row.date <= to);
    },
    async prune(before) {
      let deleted = 0;
      for (const [key, row] of rows) {
        if (row.date < before) {
          rows.delete(key);
          deleted += 1;
        }
      }
      return deleted;
    },
    failNextAdds(count) {
      failures = count;
    },
    rows: sorted,
  };
}
