import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what its last full collection left live
 * before it collects again, in percent, for `llm-settings serve`.
 */
export const SERVE_HEAP_GROWING_PERCENT = 30;

const GIVEN_ON_COMMAND_LINE = /^--heap[-_]growing[-_]percent(=|$)/;

/**
 * Has V8 collect the old generation once it has grown {@link SERVE_HEAP_GROWING_PERCENT}
 * past the live heap. V8's own factor grows with Node's heap limit (with ample memory the old
 * generation reached several times the live heap), and the pages of that promoted garbage
 * stay resident. Not a limit: the heap still grows as far as the live data needs, up to
 * Node's own heap limit as before, so a full cache is no nearer running out; garbage is only
 * collected sooner (docs/performance.md, "Memory"). V8 reads the flag at each full
 * collection, so setting it at start-up applies. Left alone when the command line sets it
 * (`--heap-growing-percent=0`: V8's own factor).
 */
export function collectOldGarbageSooner(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((arg) => GIVEN_ON_COMMAND_LINE.test(arg))) return;
  setFlagsFromString(`--heap-growing-percent=${SERVE_HEAP_GROWING_PERCENT}`);
}
