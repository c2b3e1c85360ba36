import { concatBytes } from './bytes.js';
import { MASK_PREFIX, maskApiKey } from './masking.js';
import { REDACTED } from './redaction.js';

/** A run of this many characters of a key's secret part is a leak. */
const RUN_LENGTH = 8;
/** A key's public prefix (`sk-ant-api03-`, `sk-proj-`, `gw_`) ends within this many characters. */
const PREFIX_SCAN_LENGTH = 16;
/** Text without whitespace held back by a stream before part of it is sent anyway. */
const MAX_STREAM_HOLD = 16 * 1024;
/** What a forced cut keeps back, longer than any key (512 characters at most). */
const STREAM_OVERLAP = 1024;
/**
 * The open-addressing tables of a key's runs and 4-byte blocks are at most an eighth
 * full, sized to the key (a table is built per call: a 48-character key's takes 2 KiB
 * where a fixed size for 512-character keys took 16 KiB), and never under 64 slots.
 */
const TABLE_LOAD = 8;
const MIN_TABLE_SLOTS = 64;
const BLOCK = 4;
const HASH_BASE = 16777619;
const HASH_MIX = 0x9e3779b1;
const HASH_BASE_POW_RUN = Array.from({ length: RUN_LENGTH }).reduce<number>((power) => Math.imul(power, HASH_BASE), 1);

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const REDACTED_BYTES = encoder.encode(REDACTED);
const NOTHING = new Uint8Array(0);

/**
 * What the caller itself sent in one request, as the provider reads it: the raw body,
 * the strings of a JSON body once decoded (a `\u0041` escape reaches the provider as
 * `A`), and the forwarded query values and header values. Decoded only when an answer
 * holds part of the key, which is rare.
 */
export class CallerText {
  readonly #parts: CallerParts | (() => CallerParts);
  #texts: string[] | undefined;

  /** @param parts what the caller sent, or a function that lists it, called only when an answer holds part of the key. */
  constructor(parts: CallerParts | (() => CallerParts)) {
    this.#parts = parts;
  }

  /** True when `text` is part of what the caller sent. */
  includes(text: string): boolean {
    this.#texts ??= (typeof this.#parts === 'function' ? this.#parts() : this.#parts)
      .filter((part): part is string | Uint8Array => part !== null && part !== undefined && part.length > 0)
      .flatMap(decodedTexts);
    return this.#texts.some((part) => part.includes(text));
  }
}

type CallerParts = ReadonlyArray<string | Uint8Array | null | undefined>;

/** A request whose caller sent nothing the answer could quote. */
export const NO_CALLER_TEXT = new CallerText([]);

/**
 * Removes echoes of one stored key from answers that go back to a caller: the whole key,
 * every run of 8 or more characters of its secret part, and masked echoes (`****abcd`,
 * `sk-proj-...abcd`, `...abcd`: mask characters or the key's public prefix, then its last
 * four). Each is replaced with `[REDACTED]`, stretched over what touches it of the key
 * (its prefix, its tail), so that a whole echoed key becomes one `[REDACTED]`.
 *
 * No answer may vary with the key (an oracle): a caller who could tell whether a guess
 * of its own comes back scrubbed could read the key off a few characters at a time. So:
 * - the key's public parts never decide anything: its prefix up to the last `-` or `_`
 *   in its first 16 characters (`sk-ant-api03-`, `sk-proj-`, `gw_live_`) and, for keys
 *   of 16 characters or more, the last four (the mask every settings view shows). A run
 *   counts only when it has 8 characters of the rest, which a caller cannot guess at
 *   once (64^8 guesses); were the public parts counted, a caller knowing 7 of a run's
 *   characters could guess the 8th in 64 tries, one character after another;
 * - a run or masked echo that the caller itself sent in this request ({@link CallerText})
 *   stays as it is: the caller has it already, and the answer then depends on the
 *   provider's answer and the caller's request only.
 * Residual limits: text the provider derives from the caller's rather than quotes (a
 * model asked to spell out a guess, a changed case) is not recognised as the caller's;
 * the rule above is what keeps guessing it useless. A run straddling caller text and the
 * provider's own text is judged as a whole. An echo escaped (`\u0041`, percent-encoding),
 * encoded (base64, hex) or cut to fewer than 8 secret characters is not recognised. Masked echoes need the
 * last four to be public: keys under 16 characters have none. A key whose secret part
 * is shorter than 8 characters is found only whole, and one under 8 not at all. The
 * time taken grows with the 4-byte blocks of the key an answer holds (a rolling hash
 * around each, well under a microsecond), far below a network's jitter.
 *
 * Cost: one look-up per 4 bytes of the answer, never decoded, and a rolling hash only
 * around 4-byte blocks of the key, which answers rarely hold (figures in
 * docs/performance.md); an answer holding the key's last four takes two more passes, for
 * masked echoes: linear in the answer however it is built. Build one per call from the
 * revealed key, like the upstream header: it holds the key while it lives, and nothing
 * keeps it after.
 */
export class KeyEchoScrubber {
  readonly #key: Uint8Array;
  readonly #runsFrom: number;
  readonly #runsTo: number;
  /** Every 4-byte block of the counted part: the first, cheap pass looks for these only. */
  readonly #blocks: Int32Array;
  #runs: KeyRuns | undefined;
  /** The whole key, when it has no counted run; else null. */
  readonly #whole: Uint8Array | null;
  readonly #tail: Uint8Array | null;
  /** The public prefix, which may start a masked echo; empty when the key has none. */
  readonly #prefix: Uint8Array;

  constructor(apiKey: string) {
    this.#key = encoder.encode(apiKey);
    const key = this.#key;
    const prefixEnd = publicPrefixLength(apiKey);
    const tailLength = maskApiKey(apiKey).length - MASK_PREFIX.length;
    this.#runsFrom = prefixEnd;
    this.#runsTo = key.length - tailLength;
    this.#blocks = keyBlocks(key, prefixEnd, this.#runsTo);
    this.#whole = this.#runsTo - prefixEnd < RUN_LENGTH && key.length >= RUN_LENGTH ? key : null;
    this.#tail = tailLength > 0 ? key.subarray(key.length - tailLength) : null;
    this.#prefix = key.subarray(0, prefixEnd);
  }

  /** `bytes` (UTF-8 text) with the key's echoes replaced; the same object when there are none. */
  scrubBytes(bytes: Uint8Array, caller: CallerText): Uint8Array {
    const scan = scanBlocks(bytes, this.#blocks, this.#tail);
    const spans = this.#keySpans(bytes, scan.zones, caller);
    const masked = scan.tailSeen ? this.#maskedSpans(bytes, caller) : [];
    return spans.length + masked.length === 0 ? bytes : replaceSpans(bytes, [...spans, ...masked]);
  }

  /** `text` with the key's echoes replaced; the same string when there are none. */
  scrubText(text: string, caller: CallerText): string {
    // Shorter than any echo: a run is 8 characters, a masked echo 7 (`...` and four).
    if (text.length < 7) return text;
    const bytes = encoder.encode(text);
    const scrubbed = this.scrubBytes(bytes, caller);
    return scrubbed === bytes ? text : decoder.decode(scrubbed);
  }

  /**
   * A scrubber for an answer that arrives in chunks: each chunk goes out at once up to
   * its last whitespace (no key holds any, so no echo is cut there), and what follows
   * waits for the next chunk, so that an echo split across chunks is still found. An
   * event stream's events end with a newline, so they go out undelayed. Text without
   * whitespace is held up to 16 KiB, then sent but its last 1 KiB: an echo that straddles
   * that cut is judged in two parts.
   */
  stream(caller: CallerText): KeyEchoStream {
    return new KeyEchoStream(this, caller);
  }

  /** Spans of the whole key and of counted runs, stretched along the key, that the caller did not send. */
  #keySpans(bytes: Uint8Array, zones: readonly number[], caller: CallerText): Span[] {
    const key = this.#key;
    const spans: Span[] = [];
    if (this.#whole !== null) {
      for (let at = indexOfBytes(bytes, key, 0); at >= 0; at = indexOfBytes(bytes, key, at + key.length)) {
        if (!caller.includes(latin1(bytes, at, at + key.length))) spans.push([at, at + key.length]);
      }
      return spans;
    }
    if (zones.length === 0) return spans;
    this.#runs ??= keyRuns(key, this.#runsFrom, this.#runsTo);
    const regions: number[] = [];
    for (let z = 0; z < zones.length; z += 2) findRegions(bytes, zones[z]!, zones[z + 1]!, key, this.#runs, regions);
    let previousEnd = 0;
    for (let r = 0; r < regions.length; r += 4) {
      let start = regions[r]!;
      let end = regions[r + 1]!;
      const found = end;
      if (!caller.includes(latin1(bytes, start, end))) {
        // Stretched over what touches it of the key: the prefix, the tail, a short rest.
        for (let offset = regions[r + 2]!; start > previousEnd && offset > 0 && bytes[start - 1] === key[offset - 1]; offset--) start--;
        for (let offset = regions[r + 3]! + RUN_LENGTH; end < bytes.length && offset < key.length && bytes[end] === key[offset]; offset++) end++;
        spans.push([start, end]);
      }
      previousEnd = Math.max(found, end);
    }
    return spans;
  }

  /**
   * Spans of masked echoes that the caller did not send: what
   * `[A-Za-z0-9_-]*((?:[*.]|•){3}|prefix)[^\s"'\\]*?tail` matched on the answer read one
   * character per byte, found in one pass where that pattern took time cubic in a run of
   * key characters. The echo proper is three mask characters or the key's public prefix,
   * anything but whitespace, quotes or a backslash, and the first of the key's last four;
   * the span also takes the key characters before it. From where a search starts, the
   * pattern took the last echo that starts in the run of key characters there or right after it.
   */
  #maskedSpans(bytes: Uint8Array, caller: CallerText): Span[] {
    const tailAfter = firstTailAfter(bytes, this.#tail!);
    const spans: Span[] = [];
    for (let at = 0; at < bytes.length; ) {
      const runEnd = keyCharactersEnd(bytes, at);
      let echoStart = runEnd;
      let end = this.#echoEnd(bytes, echoStart, tailAfter);
      while (end < 0 && echoStart > at) end = this.#echoEnd(bytes, --echoStart, tailAfter);
      // None from here: none from anywhere else in the run, whose echoes were all tried.
      if (end < 0) {
        at = runEnd + 1;
        continue;
      }
      if (!caller.includes(decoder.decode(bytes.subarray(echoStart, end)))) spans.push([at, end]);
      at = end;
    }
    return spans;
  }

  /** Where a masked echo that starts at `start` ends, or -1. */
  #echoEnd(bytes: Uint8Array, start: number, tailAfter: Int32Array): number {
    const tailLength = this.#tail!.length;
    const masked = maskEnd(bytes, start);
    if (masked >= 0 && tailAfter[masked]! >= 0) return tailAfter[masked]! + tailLength;
    const prefix = this.#prefix;
    if (prefix.length > 0 && startsWithBytes(bytes, prefix, start) && tailAfter[start + prefix.length]! >= 0) return tailAfter[start + prefix.length]! + tailLength;
    return -1;
  }
}

/** The chunked form of {@link KeyEchoScrubber.scrubBytes}; see {@link KeyEchoScrubber.stream}. */
export class KeyEchoStream {
  readonly #scrubber: KeyEchoScrubber;
  readonly #caller: CallerText;
  #held: Uint8Array = NOTHING;

  constructor(scrubber: KeyEchoScrubber, caller: CallerText) {
    this.#scrubber = scrubber;
    this.#caller = caller;
  }

  /** What can go out of the text so far, scrubbed; possibly empty. */
  push(chunk: Uint8Array): Uint8Array {
    const text = this.#held.length === 0 ? chunk : concatBytes(this.#held, chunk);
    let cut = lastWhitespace(text) + 1;
    if (cut === 0 && text.length > MAX_STREAM_HOLD) cut = text.length - STREAM_OVERLAP;
    this.#held = text.subarray(cut);
    return cut === 0 ? NOTHING : this.#scrubber.scrubBytes(text.subarray(0, cut), this.#caller);
  }

  /** The rest, scrubbed, at the end of the answer. */
  end(): Uint8Array {
    const rest = this.#held;
    this.#held = NOTHING;
    return rest.length === 0 ? NOTHING : this.#scrubber.scrubBytes(rest, this.#caller);
  }
}

type Span = readonly [start: number, end: number];

/** The key's prefix through its last `-` or `_` among its first 16 characters. */
function publicPrefixLength(apiKey: string): number {
  const head = apiKey.slice(0, PREFIX_SCAN_LENGTH);
  return Math.max(head.lastIndexOf('-'), head.lastIndexOf('_')) + 1;
}

/** Per byte: 1 where `[A-Za-z0-9_-]` matches its character, which may precede a masked echo. */
const KEY_CHARACTER = byteTable(/[A-Za-z0-9_-]/);
/** Per byte: 1 where `[\s"'\\]` matches its character (one per byte), which ends a masked echo's middle. */
const ECHO_STOP = byteTable(/[\s"'\\]/);
const BULLET = encoder.encode('•');
const MASK_UNITS = 3;

function byteTable(character: RegExp): Uint8Array {
  return Uint8Array.from({ length: 256 }, (_, byte) => (character.test(String.fromCharCode(byte)) ? 1 : 0));
}

/** Where the run of key characters from `at` ends (`at` itself when there is none). */
function keyCharactersEnd(bytes: Uint8Array, at: number): number {
  let end = at;
  while (end < bytes.length && KEY_CHARACTER[bytes[end]!] === 1) end++;
  return end;
}

/** Where three mask characters (`*`, `.`, `•` as its three UTF-8 bytes) from `at` end, or -1. */
function maskEnd(bytes: Uint8Array, at: number): number {
  let end = at;
  for (let unit = 0; unit < MASK_UNITS; unit++) {
    if (bytes[end] === 0x2a || bytes[end] === 0x2e) end++;
    else if (startsWithBytes(bytes, BULLET, end)) end += BULLET.length;
    else return -1;
  }
  return end;
}

/**
 * For each position of `bytes` and its end, where the first `tail` at or after it starts
 * with no whitespace, quote or backslash before it, or -1: one pass from the end, so that
 * no echo's start searches onwards for it.
 */
function firstTailAfter(bytes: Uint8Array, tail: Uint8Array): Int32Array {
  const found = new Int32Array(bytes.length + 1).fill(-1);
  for (let at = bytes.length - 1; at >= 0; at--) {
    if (startsWithBytes(bytes, tail, at)) found[at] = at;
    else if (ECHO_STOP[bytes[at]!] === 0) found[at] = found[at + 1]!;
  }
  return found;
}

function startsWithBytes(bytes: Uint8Array, part: Uint8Array, at: number): boolean {
  if (at + part.length > bytes.length) return false;
  for (let i = 0; i < part.length; i++) if (bytes[at + i] !== part[i]) return false;
  return true;
}

/**
 * The counted runs of a key, by hash: run `r` starts at key offset `from + r`. One table and
 * no arrays of hashes or offsets beside it: each typed array is an allocation of its own,
 * about 4,000 instructions.
 */
interface KeyRuns {
  readonly from: number;
  /** Open addressing by the mixed hash: 0 for an empty slot, else a run's index plus one. */
  readonly table: Int32Array;
}

/** The runs of `key` that start at `from` or later and end by `to`. */
function keyRuns(key: Uint8Array, from: number, to: number): KeyRuns {
  const table = tableFor(Math.max(0, to - from - RUN_LENGTH + 1));
  const shift = slotShift(table);
  const mask = table.length - 1;
  let hash = 0;
  for (let i = from; i < to; i++) {
    hash = (Math.imul(hash, HASH_BASE) + key[i]!) | 0;
    if (i - from >= RUN_LENGTH) hash = (hash - Math.imul(key[i - RUN_LENGTH]!, HASH_BASE_POW_RUN)) | 0;
    const start = i - RUN_LENGTH + 1;
    if (start < from) continue;
    // A run the key holds twice stays out: a look-up stops at the first equal run anyway,
    // and a key made of one repeated character would make one chain of all its runs.
    let slot = Math.imul(hash, HASH_MIX) >>> shift;
    let seen = false;
    for (let entry = table[slot]!; entry !== 0 && !seen; slot = (slot + 1) & mask, entry = table[slot]!) seen = equalAt(key, start, key, from + entry - 1);
    if (!seen) table[slot] = start - from + 1;
  }
  return { from, table };
}

/** The 4-byte blocks of `key[from, to)` at every offset, as little-endian numbers, by open addressing (0: empty). */
function keyBlocks(key: Uint8Array, from: number, to: number): Int32Array {
  const table = tableFor(to - from - BLOCK + 1);
  const shift = slotShift(table);
  const mask = table.length - 1;
  for (let offset = from; offset + BLOCK <= to; offset++) {
    const block = blockAt(key, offset);
    let slot = Math.imul(block, HASH_MIX) >>> shift;
    while (table[slot] !== 0 && table[slot] !== block) slot = (slot + 1) & mask;
    table[slot] = block;
  }
  return table;
}

/** An empty table for `entries` entries: a power of two of slots, at most an eighth of them used. */
function tableFor(entries: number): Int32Array {
  let slots = MIN_TABLE_SLOTS;
  while (slots < entries * TABLE_LOAD) slots *= 2;
  return new Int32Array(slots);
}

/** The right shift that turns a mixed 32-bit hash into a slot of `table` (its top bits). */
function slotShift(table: Int32Array): number {
  return Math.clz32(table.length) + 1;
}

/** Printable ASCII bytes, so never 0. */
function blockAt(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24);
}

/**
 * The one pass over every answer, a look-up per 4 bytes. `zones`: where runs of the key
 * can be, around each block of `bytes` at a multiple of 4 that is a block of the key,
 * merged, as start and end pairs (a run of 8 starting at p holds the block at the next
 * multiple of 4, q ≤ p + 3, so it lies in [q - 4, q + 8)); only there is the rolling hash
 * run, and answers rarely have any. `tailSeen`: whether the key's last four are there
 * (each block compared with the tail's start at its four possible shifts), without
 * which there is no masked echo.
 */
function scanBlocks(bytes: Uint8Array, blocks: Int32Array, tail: Uint8Array | null): { zones: number[]; tailSeen: boolean } {
  const zones: number[] = [];
  const tailBlock = tail === null ? 0 : blockAt(tail, 0) >>> 0;
  // The tail's first byte in each of a block's four bytes: a block without it holds no start of the tail.
  const tailFirst = Math.imul(tailBlock & 0xff, 0x01010101);
  let tailSeen = tail === null;
  const shift = slotShift(blocks);
  const mask = blocks.length - 1;
  for (let at = 0; at + BLOCK <= bytes.length; at += BLOCK) {
    const block = blockAt(bytes, at);
    if (!tailSeen && hasZeroByte(block ^ tailFirst)) tailSeen = tailAround(bytes, at, block >>> 0, tailBlock);
    let slot = Math.imul(block, HASH_MIX) >>> shift;
    while (blocks[slot] !== 0 && blocks[slot] !== block) slot = (slot + 1) & mask;
    if (blocks[slot] === 0) continue;
    const start = Math.max(0, at - BLOCK);
    const end = Math.min(bytes.length, at + 2 * BLOCK);
    if (zones.length > 0 && start <= zones[zones.length - 1]!) zones[zones.length - 1] = end;
    else zones.push(start, end);
  }
  return { zones, tailSeen: tail !== null && tailSeen };
}

/** Whether one of the four bytes of `word` is 0 (a bit trick without a false negative). */
function hasZeroByte(word: number): boolean {
  return ((word - 0x01010101) & ~word & 0x80808080) !== 0;
}

/** Whether the 4 bytes `tailBlock` start within the block at `at` (shifted by 0 to 3 bytes). */
function tailAround(bytes: Uint8Array, at: number, block: number, tailBlock: number): boolean {
  for (let shift = 0; shift < BLOCK; shift++) {
    const kept = 8 * (BLOCK - shift);
    const head = kept === 32 ? tailBlock : tailBlock & ((1 << kept) - 1);
    if (block >>> (8 * shift) !== head >>> 0) continue;
    let i = BLOCK - shift;
    while (i < BLOCK && bytes[at + BLOCK + i - (BLOCK - shift)] === ((tailBlock >>> (8 * i)) & 0xff)) i++;
    if (i === BLOCK) return true;
  }
  return false;
}

/**
 * Adds to `regions` those of `bytes[from, to)` covered by counted runs of the key,
 * overlapping runs merged (with the last one already there too): start, end, and the key
 * offsets of the first and last run, four numbers each. One rolling hash of every 8
 * bytes, looked up in the key's table.
 */
function findRegions(bytes: Uint8Array, from: number, to: number, key: Uint8Array, { from: runsFrom, table }: KeyRuns, regions: number[]): void {
  const shift = slotShift(table);
  const mask = table.length - 1;
  let hash = 0;
  for (let i = from; i < to; i++) {
    hash = (Math.imul(hash, HASH_BASE) + bytes[i]!) | 0;
    if (i - from >= RUN_LENGTH) hash = (hash - Math.imul(bytes[i - RUN_LENGTH]!, HASH_BASE_POW_RUN)) | 0;
    let slot = Math.imul(hash, HASH_MIX) >>> shift;
    if (table[slot] === 0 || i - from < RUN_LENGTH - 1) continue;
    const start = i - RUN_LENGTH + 1;
    let offset = -1;
    for (let entry = table[slot]!; entry !== 0; slot = (slot + 1) & mask, entry = table[slot]!) {
      if (equalAt(bytes, start, key, runsFrom + entry - 1)) {
        offset = runsFrom + entry - 1;
        break;
      }
    }
    if (offset < 0) continue;
    const last = regions.length - 4;
    if (last >= 0 && start < regions[last + 1]!) {
      regions[last + 1] = i + 1;
      regions[last + 3] = offset;
    } else {
      regions.push(start, i + 1, offset, offset);
    }
  }
}

function equalAt(bytes: Uint8Array, start: number, key: Uint8Array, offset: number): boolean {
  for (let i = 0; i < RUN_LENGTH; i++) if (bytes[start + i] !== key[offset + i]) return false;
  return true;
}

/** A plain loop: a typed array's indexOf, called at each first-byte match, costs more. */
function indexOfBytes(bytes: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0]!;
  for (let at = from; at + needle.length <= bytes.length; at++) {
    if (bytes[at] !== first) continue;
    let i = 1;
    while (i < needle.length && bytes[at + i] === needle[i]) i++;
    if (i === needle.length) return at;
  }
  return -1;
}

/** `bytes[start, end)` one character per byte. */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let at = start; at < end; at += 8192) text += String.fromCharCode(...bytes.subarray(at, Math.min(end, at + 8192)));
  return text;
}

function replaceSpans(bytes: Uint8Array, spans: Span[]): Uint8Array {
  spans.sort((a, b) => a[0] - b[0]);
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const [start, end] of spans) {
    if (end <= at) continue;
    if (start > at) parts.push(bytes.subarray(at, start));
    // Overlapping spans (a run inside a masked echo) make one replacement.
    if (start >= at) parts.push(REDACTED_BYTES);
    at = end;
  }
  parts.push(bytes.subarray(at));
  return concatBytes(...parts);
}


function lastWhitespace(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const byte = bytes[i]!;
    if (byte === 0x20 || (byte >= 0x09 && byte <= 0x0d)) return i;
  }
  return -1;
}

/** A part as the provider reads it: its text, and the strings of a JSON body with escapes. */
function decodedTexts(part: string | Uint8Array): string[] {
  const text = typeof part === 'string' ? part : decoder.decode(part);
  if (!text.includes('\\')) return [text];
  try {
    const strings: string[] = [];
    JSON.parse(text, (name, value: unknown) => {
      strings.push(name);
      if (typeof value === 'string') strings.push(value);
      return value;
    });
    return [text, strings.join('\n')];
  } catch {
    return [text];
  }
}
