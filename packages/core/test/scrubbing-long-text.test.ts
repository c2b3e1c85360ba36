import vm from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CallerText, KeyEchoScrubber, looksLikeApiKey, ModelSchema, NO_CALLER_TEXT, PREFIXED_KEY_SOURCE, REDACTED, redactText, scrubKeyFromLogText } from '../src/index.js';

/**
 * Outside text (error bodies quoting the caller, answers, log lines, model names) can be
 * long and built to be slow. The texts below are 256 KiB of the shapes on which the
 * patterns that scrubbed them before took time quadratic or cubic in the length: minutes
 * to hours each, the server frozen meanwhile. No time is measured: each scrub runs under
 * a hard limit, far above what a linear one takes on a slow machine, and is cut off there.
 */
const HARD_LIMIT_MS = 10_000;
const LONG = 256 * 1024;

/** `work()`'s result; throws once it has run for the hard limit (vm's timeout stops a RegExp too). */
function withinHardLimit<T>(work: () => T): T {
  return vm.runInNewContext('work()', { work }, { timeout: HARD_LIMIT_MS }) as T;
}

/** `unit` repeated to about `length` characters. */
function repeated(unit: string, length = LONG): string {
  return unit.repeat(Math.ceil(length / unit.length));
}

const KEY = 'sk-proj-Hn4kT9wQz2LmXc7VbR5sYp8DfJg3AeU6tKo1iNq0WxE';
const TAIL = KEY.slice(-4);

describe('redactText on 256 KiB built to be slow', () => {
  it.each([
    ['a run of key characters and two stars', `${repeated('a')}**`, `${repeated('a')}**`],
    ['a run of key characters masked at its end', `${repeated('a')}***abcd`, REDACTED],
    ['xAI prefixes in one run', repeated('xai-'), repeated('xai-')],
    ['Groq prefixes in one run', repeated('gsk_'), repeated('gsk_')],
    ['xAI prefixes in one run, masked at its end', `${repeated('xai-')}…abcd`, REDACTED],
    ['a prefix at the end of a run, masked', `${repeated('org-')}sk-…abcd`, `${repeated('org-')}${REDACTED}`],
    ['stars', repeated('*'), repeated('*')],
    ['bullets', repeated('•'), repeated('•')],
    ['stars then a tail', `${repeated('*')}abcd`, REDACTED],
  ])('%s: right, within the hard limit', (_, text, expected) => {
    expect(withinHardLimit(() => redactText(text))).toBe(expected);
  });
});

describe('KeyEchoScrubber on a whole answer of 256 KiB built to be slow', () => {
  const scrubber = new KeyEchoScrubber(KEY);
  it.each([
    ['a run of key characters, then the last four', `${repeated('a')}${TAIL}`, `${repeated('a')}${TAIL}`],
    ['the last four, then dots', `${TAIL}${repeated('.')}`, `${TAIL}${repeated('.')}`],
    ['the last four, then bullets', `${TAIL}${repeated('•')}`, `${TAIL}${repeated('•')}`],
    ['the last four, then the public prefix over and over', `${TAIL}${repeated('sk-proj-')}`, `${TAIL}${repeated('sk-proj-')}`],
    ['a run of key characters masked at its end', `${repeated('a')}***${TAIL}`, REDACTED],
    ["OpenAI's starred echo, long", `"sk-proj-${repeated('*')}${TAIL}"`, `"${REDACTED}"`],
  ])('%s: right, within the hard limit', (_, text, expected) => {
    expect(withinHardLimit(() => scrubber.scrubText(text, NO_CALLER_TEXT))).toBe(expected);
  });
});

describe('scrubKeyFromLogText on 256 KiB built to be slow', () => {
  it.each([
    ['a run, then the last four', `${repeated('a')}${TAIL}`, `${repeated('a')}${TAIL}`],
    ['the last four, then dots', `${TAIL}${repeated('.')}`, `${TAIL}${repeated('.')}`],
    ["the last four, then the key's first three over and over", `${TAIL}${repeated('sk-!')}`, `${TAIL}${repeated('sk-!')}`],
    ['a run masked at its end', `${repeated('a')}...${TAIL}`, REDACTED],
  ])('%s: right, within the hard limit', (_, text, expected) => {
    expect(withinHardLimit(() => scrubKeyFromLogText(text, KEY))).toBe(expected);
  });
});

describe('looksLikeApiKey and the model schema on 256 KiB', () => {
  it('tells a long run of hex digits without a letter or a digit from a hex secret, within the hard limit', () => {
    expect(withinHardLimit(() => looksLikeApiKey(repeated('a')))).toBe(false);
    expect(withinHardLimit(() => looksLikeApiKey(repeated('1')))).toBe(false);
    expect(withinHardLimit(() => looksLikeApiKey(`${repeated('a')}0`))).toBe(true);
    expect(withinHardLimit(() => looksLikeApiKey(`${repeated('g')}-${'3f9c2a7b8e1d4c6f'.repeat(2)}`))).toBe(true);
  });

  it('refuses a model of 256 KiB as too long, within the hard limit', () => {
    const parsed = withinHardLimit(() => ModelSchema.safeParse(repeated('a')));
    expect(parsed.error?.issues.map((issue) => issue.message)).toContain('model must be 1 to 256 printable characters without whitespace');
  });
});

/*
 * The patterns as they were: the references the linear scrubs must agree with, on short
 * texts dense in what they look for (prefixes, mask characters, tails, separators).
 */
const WORD_START = '(?<![A-Za-z0-9])';
const PREVIOUS_KEY_SHAPED = new RegExp(
  [
    `${WORD_START}(?:sk-|xai-|gsk_|AIza)[A-Za-z0-9_-]*(?:[*•]+|…|\\.{3})[A-Za-z0-9_-]{4,}`,
    `${WORD_START}sk-[A-Za-z0-9_*•-]{6,}`,
    `${WORD_START}(?:${PREFIXED_KEY_SOURCE})`,
    '[A-Za-z0-9_-]*[*•]{3,}[A-Za-z0-9_-]{4,}',
  ].join('|'),
  'g',
);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Texts joined from pieces, so that they often hold what the patterns look for. */
function textsOf(...pieces: string[]) {
  return fc.array(fc.constantFrom(...pieces), { maxLength: 24 }).map((parts) => parts.join(''));
}

describe('the linear scrubs against the patterns before them', () => {
  it('redactText replaces what the previous key-shaped pattern replaced', () => {
    const texts = fc.oneof(
      textsOf('sk-', 'xai-', 'gsk_', 'AIza', '*', '***', '•', '…', '.', '...', '-', '_', 'a', 'Z', '0', ' ', '!', 'abcd', 'abcdefgh', 'a'.repeat(32)),
      fc.string({ unit: fc.constantFrom(...'skxaigAIz_-*•….01 w'), maxLength: 60 }),
    );
    fc.assert(
      fc.property(texts, (text) => {
        // The pattern ran only on text holding one of these, as it still does.
        const marked = ['sk-', 'xai-', 'gsk_', 'AIza', '**', '••'].some((mark) => text.includes(mark));
        expect(redactText(text)).toBe(marked ? text.replace(PREVIOUS_KEY_SHAPED, REDACTED) : text);
      }),
      { numRuns: 20_000 },
    );
  });

  it('scrubKeyFromLogText replaces the masked echoes the previous pattern replaced', () => {
    const key = 'sk-QWERTYUIOPASDFGH.w"z';
    const tail = key.slice(-4);
    const previousEcho = new RegExp(`(?:\\S*[*•.]{3}|${escapeRegExp(key.slice(0, 3))})\\S*?${escapeRegExp(tail)}`, 'g');
    fc.assert(
      fc.property(textsOf('sk-', 'sk', tail, '.w', '"z', '*', '•', '.', '...', 'a', '-', ' ', '\u00a0'), (text) => {
        const redacted = redactText(text, [key]);
        const expected = redacted.includes(tail) ? redacted.replace(previousEcho, REDACTED) : redacted;
        expect(scrubKeyFromLogText(text, key)).toBe(expected);
      }),
      { numRuns: 20_000 },
    );
  });

  /** The key's masked echoes as the previous pattern replaced them, on the answer read one character per byte. */
  function previousMaskedEchoes(text: string, prefix: string, tail: string, caller: CallerText): string {
    const bytes = Buffer.from(text, 'utf8');
    const bullet = Buffer.from('•').toString('latin1');
    const start = [`(?:[*.]|${bullet}){3}`, ...(prefix === '' ? [] : [escapeRegExp(prefix)])].join('|');
    const pattern = new RegExp(`[A-Za-z0-9_-]*((?:${start})[^\\s"'\\\\]*?${escapeRegExp(tail)})`, 'g');
    const scrubbed = bytes.toString('latin1').replace(pattern, (match: string, echo: string, at: number) => {
      const end = at + match.length;
      return caller.includes(bytes.subarray(end - echo.length, end).toString('utf8')) ? match : REDACTED;
    });
    return Buffer.from(scrubbed, 'latin1').toString('utf8');
  }

  // Secret parts in capitals, which the texts never hold: the masked echoes alone decide.
  it.each([
    ['an OpenAI-shaped key', 'sk-proj-QWERTYUIOPASDFGHwxyz', 'sk-proj-'],
    ['a key without a public prefix', 'QWERTYUIOPASDFGHwxyz', ''],
    ['a key whose last four hold a dot and a quote', 'gw_QWERTYUIOPASDFGH.w"z', 'gw_'],
  ])('KeyEchoScrubber finds the masked echoes of %s that the previous pattern found', (_, key, prefix) => {
    const tail = key.slice(-4);
    const scrubber = new KeyEchoScrubber(key);
    const texts = textsOf(prefix || 'sk-', 'sk-', 'proj-', tail, tail.slice(0, 2), tail.slice(2), '*', '.', '...', '•', '…', 'a', '-', '_', ' ', '"', "'", '\\', 'é', '\u00a0');
    fc.assert(
      fc.property(texts, fc.option(texts, { nil: undefined }), (text, sent) => {
        const caller = sent === undefined ? NO_CALLER_TEXT : new CallerText([sent]);
        expect(scrubber.scrubText(text, caller)).toBe(previousMaskedEchoes(text, prefix, tail, caller));
      }),
      { numRuns: 20_000 },
    );
  });
});
