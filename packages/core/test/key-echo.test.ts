import { describe, expect, it } from 'vitest';
import { CallerText, KeyEchoScrubber, NO_CALLER_TEXT, REDACTED } from '../src/index.js';

const SECRET = 'Qw7Lp2Zx9Rk4Mn6BvHd3Fj8Gs5Ty1Uo0IeAbCdEfGh';
const KEYS = {
  anthropic: `sk-ant-api03-${SECRET}`,
  'openai project': `sk-proj-${SECRET}`,
  gateway: `gw7${SECRET}`,
  long: `sk-${SECRET.repeat(8)}`,
} as const;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Every 8-character run of the key's secret part (the part after its public prefix, before its last four). */
function secretRuns(key: string, prefix: number): string[] {
  const secret = key.slice(prefix, -4);
  return Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8));
}

describe.each(Object.entries(KEYS))('KeyEchoScrubber, %s key', (_, key) => {
  const scrubber = new KeyEchoScrubber(key);
  const prefix = key.startsWith('sk-ant-api03-') ? 13 : key.startsWith('sk-proj-') ? 8 : key.startsWith('sk-') ? 3 : 0;
  const tail = key.slice(-4);

  it.each([
    ['the whole key', `Invalid key: ${key}.`],
    ['the key in JSON', JSON.stringify({ error: { message: 'bad', key } })],
    ['a run of 8 from the middle', `seen ${key.slice(prefix + 10, prefix + 18)} here`],
    ['a run at the end', `ends with ${key.slice(-12)}`],
    ["OpenAI's starred echo", `Incorrect API key provided: ${key.slice(0, prefix)}${'*'.repeat(20)}${tail}.`],
    ['an echo with an ellipsis', `key ${key.slice(0, prefix)}****...${tail}`],
    ['our own mask', `stored key ...${tail}`],
    ['a bulleted mask', `key ••••${tail}`],
  ])('removes %s', (_, text) => {
    const out = scrubber.scrubText(text, NO_CALLER_TEXT);
    expect(out).toContain(REDACTED);
    expect(out).not.toContain(tail);
    for (const run of secretRuns(key, prefix)) expect(out).not.toContain(run);
  });

  it.each([0, 1, 2, 3, 4, 5, 6, 7])('finds a run and a masked echo %i bytes into the text, and at its very end', (offset) => {
    const pad = '#'.repeat(offset);
    const run = key.slice(prefix + 3, prefix + 11);
    expect(scrubber.scrubText(`${pad}${run}`, NO_CALLER_TEXT)).toBe(`${pad}${REDACTED}`);
    expect(scrubber.scrubText(`${pad}${run} `, NO_CALLER_TEXT)).toBe(`${pad}${REDACTED} `);
    expect(scrubber.scrubText(`${pad}...${tail}`, NO_CALLER_TEXT)).toBe(`${pad}${REDACTED}`);
    expect(scrubber.scrubText(`${pad}***${tail}!`, NO_CALLER_TEXT)).toBe(`${pad}${REDACTED}!`);
  });

  it('replaces a whole echoed key with one [REDACTED], prefix and tail included, and keeps the text around it', () => {
    expect(scrubber.scrubText(`{"request_id":"${key}","ok":true}`, NO_CALLER_TEXT)).toBe(`{"request_id":"${REDACTED}","ok":true}`);
  });

  it('leaves text without any part of the key as it is, the same object', () => {
    const text = 'Model said: Wait...what? The "id" is req_0123456789abcdef.';
    expect(scrubber.scrubText(text, NO_CALLER_TEXT)).toBe(text);
    const bytes = encoder.encode(text);
    expect(scrubber.scrubBytes(bytes, NO_CALLER_TEXT)).toBe(bytes);
  });

  it('leaves the public prefix alone: it decides nothing', () => {
    const text = `keys look like ${key.slice(0, prefix)}...`;
    expect(scrubber.scrubText(text, NO_CALLER_TEXT)).toBe(text);
  });

  it('leaves a run the caller itself sent, raw or JSON-escaped, and scrubs the same run when the caller did not send it', () => {
    const run = key.slice(prefix + 5, prefix + 17);
    const answer = JSON.stringify({ error: { message: `The model '${run}' does not exist` } });
    expect(scrubber.scrubText(answer, new CallerText([encoder.encode(JSON.stringify({ model: run }))]))).toBe(answer);
    const escaped = `{"model":"${[...run].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"}`;
    expect(scrubber.scrubText(answer, new CallerText([escaped]))).toBe(answer);
    expect(scrubber.scrubText(answer, new CallerText(['{"model":"something else"}']))).not.toContain(run);
  });

  it('scrubs the whole key echoed next to a run the caller sent: the run sent does not uncover the rest', () => {
    const run = key.slice(prefix + 5, prefix + 17);
    expect(scrubber.scrubText(`model ${run}; key ${key}`, new CallerText([run]))).toBe(`model ${run}; key ${REDACTED}`);
  });

  it('finds an echo split across the chunks of a stream, and sends each event when it ends', () => {
    const stream = scrubber.stream(NO_CALLER_TEXT);
    const out: string[] = [];
    for (const chunk of [`data: {"a":"${key.slice(0, 20)}`, `${key.slice(20)}"}\n\n`, 'data: {"b":1}\n\n', 'data: tail']) {
      out.push(decoder.decode(stream.push(encoder.encode(chunk))));
    }
    expect(out).toEqual(['data: ', `{"a":"${REDACTED}"}\n\n`, 'data: {"b":1}\n\n', 'data: ']);
    expect(decoder.decode(stream.end())).toBe('tail');
  });
});

describe('KeyEchoScrubber, keys without a counted run', () => {
  it('finds a key with a short secret part only whole', () => {
    const key = 'sk-ant-api03-abcdefg1234';
    const scrubber = new KeyEchoScrubber(key);
    expect(scrubber.scrubText(`k=${key}`, NO_CALLER_TEXT)).toBe(`k=${REDACTED}`);
    expect(scrubber.scrubText('k=api03-abcdefg', NO_CALLER_TEXT)).toBe('k=api03-abcdefg');
  });

  it('counts every run of a key under 16 characters, which has no public tail', () => {
    const scrubber = new KeyEchoScrubber('abcdefghij12');
    expect(scrubber.scrubText('x cdefghij y', NO_CALLER_TEXT)).toBe(`x ${REDACTED} y`);
  });
});

describe('KeyEchoScrubber, no oracle', () => {
  const key = KEYS.anthropic;
  const scrubber = new KeyEchoScrubber(key);

  it('answers a guess that extends the public prefix by one character the same, right or wrong', () => {
    const right = `-api03-${SECRET[0]}`;
    const wrong = `-api03-${SECRET[0] === 'x' ? 'y' : 'x'}`;
    // A model asked to spell a guess out writes it without the caller having sent it.
    const asWritten = (guess: string) => scrubber.scrubText(`Here it is: ${guess}`, NO_CALLER_TEXT);
    expect(asWritten(right)).toBe(`Here it is: ${right}`);
    expect(asWritten(wrong)).toBe(`Here it is: ${wrong}`);
  });

  it('answers a guess that ends in the public last four the same, right or wrong', () => {
    const right = key.slice(-8);
    const wrong = `zzzz${key.slice(-4)}`;
    expect(scrubber.scrubText(`id ${right}`, NO_CALLER_TEXT)).toBe(`id ${right}`);
    expect(scrubber.scrubText(`id ${wrong}`, NO_CALLER_TEXT)).toBe(`id ${wrong}`);
  });
});
