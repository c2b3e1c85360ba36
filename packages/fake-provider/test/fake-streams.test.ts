import { randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultModelFor } from '@llm-settings/core';
import { fakeAnswerText, startFakeProvider, type FakeProvider } from '@llm-settings/fake-provider';

const DELAY_MS = 40;
const ANTHROPIC_MODEL = defaultModelFor('anthropic');
const OPENAI_MODEL = defaultModelFor('openai');
const MESSAGES = [{ role: 'user' as const, content: 'Hello' }];

let fake: FakeProvider;
let anthropic: Anthropic;
let openai: OpenAI;

beforeAll(async () => {
  fake = await startFakeProvider();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
  anthropic = new Anthropic({ apiKey: `sk-ant-api03-${randomUUID()}`, baseURL: fake.baseUrls.anthropic, maxRetries: 0, logLevel: 'off' });
  openai = new OpenAI({ apiKey: `sk-proj-${randomUUID()}`, baseURL: fake.baseUrls.openai, maxRetries: 0, logLevel: 'off' });
});

describe('slow streams', () => {
  it('setStreamDelay - spaces the events of a stream, and a finished stream is not counted as aborted', async () => {
    fake.setStreamDelay(DELAY_MS);
    const arrivals: number[] = [];
    const started = performance.now();
    const stream = anthropic.messages.stream({ model: ANTHROPIC_MODEL, max_tokens: 64, messages: MESSAGES });
    stream.on('text', () => arrivals.push(performance.now()));
    expect((await stream.finalMessage()).content).toMatchObject([{ text: fakeAnswerText(ANTHROPIC_MODEL, 1) }]);
    const ended = performance.now();

    // 11 events, 10 pauses; timers may fire a millisecond early.
    expect(ended - started).toBeGreaterThanOrEqual(10 * DELAY_MS - 5);
    // The text came as it was written, not all at the end: 7 pauses follow the first delta.
    expect(arrivals).toHaveLength(5);
    expect(ended - (arrivals[0] ?? ended)).toBeGreaterThanOrEqual(3 * DELAY_MS);
    expect(fake.abortedStreams).toBe(0);
  });

  it('setStreamDelay(Infinity) holds streams after their first event; lowering the delay releases them', async () => {
    fake.setStreamDelay(Infinity);
    const stream = openai.chat.completions.stream({ model: OPENAI_MODEL, messages: MESSAGES });
    const deltas: string[] = [];
    stream.on('content', (delta) => deltas.push(delta));
    const started = new Promise((resolve) => stream.once('chunk', resolve));
    const final = stream.finalChatCompletion();

    await started;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(deltas).toEqual([]); // the first chunk carries the role only
    fake.setStreamDelay(0);
    expect((await final).choices[0]?.message.content).toBe(fakeAnswerText(OPENAI_MODEL, 1));
    expect(deltas.length).toBeGreaterThan(1);
  });

  it('reset() releases held streams', async () => {
    fake.setStreamDelay(Infinity);
    const stream = anthropic.messages.stream({ model: ANTHROPIC_MODEL, max_tokens: 64, messages: MESSAGES });
    await new Promise((resolve) => stream.once('streamEvent', resolve));
    fake.reset();
    expect(await stream.finalText()).toBe(fakeAnswerText(ANTHROPIC_MODEL, 1));
  });

  it('setStreamDelay - refuses a negative delay', () => {
    expect(() => fake.setStreamDelay(-1)).toThrow(RangeError);
    expect(() => fake.setStreamDelay(Number.NaN)).toThrow(RangeError);
  });
});

describe('streams cut short by the client', () => {
  it('anthropic - aborting messages.stream() mid-stream resolves nextStreamAborted() with the request and counts it', async () => {
    fake.setStreamDelay(DELAY_MS);
    const aborted = fake.nextStreamAborted();
    const stream = anthropic.messages.stream({ model: ANTHROPIC_MODEL, max_tokens: 64, messages: MESSAGES });
    stream.once('text', () => stream.abort());
    await expect(stream.finalMessage()).rejects.toThrow(Anthropic.APIUserAbortError);

    expect(await aborted).toMatchObject({ provider: 'anthropic', method: 'POST', path: '/v1/messages', body: { stream: true } });
    expect(fake.abortedStreams).toBe(1);
  });

  it('openai - leaving the for-await loop of a chat stream (the SDK aborts the request) is observed the same way', async () => {
    fake.setStreamDelay(DELAY_MS);
    const aborted = fake.nextStreamAborted();
    const stream = await openai.chat.completions.create({ model: OPENAI_MODEL, messages: MESSAGES, stream: true });
    const received: string[] = [];
    for await (const chunk of stream) {
      received.push(chunk.choices[0]?.delta.content ?? '');
      if (received.length === 2) break;
    }

    expect(await aborted).toMatchObject({ provider: 'openai', path: '/v1/chat/completions' });
    expect(fake.abortedStreams).toBe(1);
    fake.reset();
    expect(fake.abortedStreams).toBe(0);
  });

  it('close() ends held streams', async () => {
    const own = await startFakeProvider();
    own.setStreamDelay(Infinity);
    const client = new OpenAI({ apiKey: `sk-proj-${randomUUID()}`, baseURL: own.baseUrls.openai, maxRetries: 0, logLevel: 'off' });
    const stream = await client.responses.create({ model: OPENAI_MODEL, input: 'Hello', stream: true });
    const events = (async () => {
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      return types;
    })().catch((e: unknown) => e);
    await own.close();
    expect(await events).toBeInstanceOf(Error);
  });
});
