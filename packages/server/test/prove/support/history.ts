import type { Operation, SentSettings } from './traffic.js';

/** A read of the settings: what it saw and when it ran. */
export interface Read {
  start: number;
  end: number;
  /** The model of the view (identifies the PUT), or null for the defaults. */
  model: string | null;
  etag: string;
  masked: string | null;
  provider: string;
}

/** An acknowledged write: a PUT answered 200 or a DELETE answered 204. */
interface Write {
  start: number;
  end: number;
  put?: SentSettings & { etag: string };
}

/**
 * Checks a history of reads and acknowledged writes of one register for lost writes
 * and stale or invented reads. Client-side times only widen each operation's real
 * interval, so every violation reported is real:
 * - a read shows the settings of a PUT that started before the read ended, with that
 *   PUT's ETag, provider and key mask (no torn or invented view);
 * - no acknowledged write started after that PUT was acknowledged and was itself
 *   acknowledged before the read started (nothing newer was lost or hidden);
 * - a read of the defaults follows some DELETE (or the empty start) in the same sense.
 * The final state, read after all traffic, is checked with the same rules.
 * @returns one line per violation.
 */
export function historyViolations(operations: readonly Operation[], reads: readonly Read[]): string[] {
  const writes: Write[] = [];
  for (const op of operations) {
    if (op.kind === 'PUT' && op.answer?.status === 200) writes.push({ start: op.start, end: op.end, put: { ...op.sent!, etag: String(op.answer.headers.etag) } });
    if (op.kind === 'DELETE' && op.answer?.status === 204) writes.push({ start: op.start, end: op.end });
  }
  const byModel = new Map(writes.filter((w) => w.put).map((w) => [w.put!.model, w]));
  const allByEnd = prefixMaxStart(writes);
  const putsByEnd = prefixMaxStart(writes.filter((w) => w.put));
  const deletes = writes.filter((w) => !w.put).sort((a, b) => a.start - b.start);

  const violations: string[] = [];
  for (const read of reads) {
    if (read.model === null) {
      // The latest-acknowledged DELETE that started before the read ended justifies the most.
      let after = Number.NEGATIVE_INFINITY;
      for (const d of deletes) if (d.start < read.end) after = Math.max(after, d.end);
      if (latestStartBefore(putsByEnd, read.start) > after) violations.push(`defaults read at ${read.start.toFixed(1)} although a PUT was acknowledged after every earlier DELETE`);
      continue;
    }
    const put = byModel.get(read.model);
    if (!put) {
      violations.push(`read settings ${read.model} that no acknowledged PUT wrote`);
      continue;
    }
    if (put.start >= read.end) violations.push(`read ${read.model} before its PUT started`);
    if (put.put!.etag !== read.etag) violations.push(`read ${read.model} with ETag ${read.etag}, its PUT answered ${put.put!.etag}`);
    if (put.put!.provider !== read.provider || read.masked !== `...${put.put!.api_key.slice(-4)}`) violations.push(`read ${read.model} with another provider or key`);
    if (latestStartBefore(allByEnd, read.start) > put.end) {
      const later = writes.find((w) => w.start > put.end && w.end < read.start)!;
      violations.push(
        `stale read of ${read.model} [${span(read)}]: its PUT [${span(put)}], then ${later.put ? `PUT ${later.put.model}` : 'DELETE'} [${span(later)}] was acknowledged before the read started`,
      );
    }
  }
  return violations;
}

const span = (op: { start: number; end: number }) => `${op.start.toFixed(1)}..${op.end.toFixed(1)} ms`;

interface ByEnd {
  ends: number[];
  maxStart: number[];
}

function prefixMaxStart(writes: readonly Write[]): ByEnd {
  const sorted = [...writes].sort((a, b) => a.end - b.end);
  const maxStart: number[] = [];
  let max = Number.NEGATIVE_INFINITY;
  for (const w of sorted) maxStart.push((max = Math.max(max, w.start)));
  return { ends: sorted.map((w) => w.end), maxStart };
}

/** Latest start among writes acknowledged before `time`. */
function latestStartBefore(index: ByEnd, time: number): number {
  let lo = 0;
  let hi = index.ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (index.ends[mid]! < time) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? Number.NEGATIVE_INFINITY : index.maxStart[lo - 1]!;
}

/** The GETs among the operations that answered a view. */
export function readsOf(operations: readonly Operation[]): Read[] {
  return operations
    .filter((op) => op.kind === 'GET' && op.answer?.status === 200)
    .map((op) => {
      const view = op.answer!.json();
      return {
        start: op.start,
        end: op.end,
        model: view.api_key_set ? view.model : null,
        etag: String(op.answer!.headers.etag),
        masked: view.api_key_masked,
        provider: view.provider,
      };
    });
}
