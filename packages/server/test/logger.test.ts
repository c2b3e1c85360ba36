import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';

const KEY = 'sk-ant-api03-LOGGED-SECRET-0123456789';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}

describe('createLogger', () => {
  it('writes JSON lines with the level and message', () => {
    const { lines, logger } = capture();
    logger.info({ route: '/api/settings/llm' }, 'hello');
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: 30, msg: 'hello', route: '/api/settings/llm', service: 'llm-settings' });
  });

  it('redacts secret-named fields at any depth', () => {
    const { lines, logger } = capture();
    logger.info({ body: { api_key: KEY }, headers: { authorization: `Bearer ${KEY}` }, apiKey: KEY }, 'request');
    const line = JSON.parse(lines[0]!);
    expect(line.body.api_key).toBe('[REDACTED]');
    expect(line.headers.authorization).toBe('[REDACTED]');
    expect(line.apiKey).toBe('[REDACTED]');
    expect(lines.join('\n')).not.toContain('LOGGED-SECRET');
  });

  it('redacts key-shaped text in values and in the message', () => {
    const { lines, logger } = capture();
    logger.warn({ detail: `provider said: Incorrect API key provided: ${KEY}` }, `failed for ${KEY}`);
    expect(lines.join('\n')).not.toContain('LOGGED-SECRET');
    expect(lines.join('\n')).toContain('[REDACTED]');
  });

  it('writes line separators, NEL and bidirectional controls as escapes, in fields, names and the message', () => {
    const chunks: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination });
    const text = 'a\u2028b\u2029c\u0085d\u202ee';
    logger.info({ [`field${text}`]: text }, `message ${text}`);
    const written = chunks.join('');
    expect(written.split('\n').filter(Boolean)).toHaveLength(1);
    expect(written).not.toMatch(/[\u2028\u2029\u0085\u202e]/);
    expect(JSON.parse(written)).toMatchObject({ [`field${text}`]: text, msg: `message ${text}` });
  });
});
