import { Writable } from 'node:stream';
import type { RequestLogEntry } from '@llm-settings/http-koa';
import { describe, expect, it } from 'vitest';
import type { LogLevel } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createRequestLogLines } from '../src/request-log-lines.js';

const KEY = 'sk-ant-api03-REQUEST-LINE-SECRET-0123456789';

const OK: RequestLogEntry = { request_id: '6f1c2a4e-0b8d-4c1e-9a57-2f3b4c5d6e7f', method: 'GET', route: '/api/settings/llm', status: 200, duration_ms: 0.4 };
const FAILED: RequestLogEntry = {
  request_id: 'req-9',
  method: 'PUT',
  route: null,
  status: 503,
  duration_ms: 12.5,
  error_code: 'STORAGE.UNAVAILABLE',
  error_message: 'StorageUnavailableError: "quoted"\nnext line \\ and ünïcode, a\u2028separator, NEL\u0085 and \u202ereversed',
};

function writeWith(level: LogLevel, entries: readonly RequestLogEntry[]): { fast: string[]; pino: string[] } {
  const fast: string[] = [];
  const write = createRequestLogLines({ level, destination: { write: (line: string) => fast.push(line) } });
  const pino: string[] = [];
  const logger = createLogger({
    level,
    destination: new Writable({
      write(chunk, _encoding, done) {
        pino.push(String(chunk));
        done();
      },
    }),
  });
  for (const entry of entries) {
    write(entry);
    if (entry.status >= 500) logger.error(entry, 'http request failed');
    else logger.info(entry, 'http request');
  }
  return { fast, pino };
}

/** A line without its timestamp, which differs between two writes. */
const untimed = (line: string) => line.replace(/"time":\d+/, '"time":0');

describe('createRequestLogLines', () => {
  it('writes the line the pino logger writes for the same entry: same fields, order, levels and messages', () => {
    const { fast, pino } = writeWith('info', [OK, FAILED]);
    expect(fast).toHaveLength(2);
    expect(fast.map(untimed)).toEqual(pino.map(untimed));
    expect(JSON.parse(fast[1]!)).toMatchObject({ level: 50, msg: 'http request failed', error_message: FAILED.error_message });
    expect(Math.abs(JSON.parse(fast[0]!).time - Date.now())).toBeLessThan(5_000);
    expect(fast[1]).not.toMatch(/[\u2028\u0085\u202e]/);
  });

  it.each([
    ['debug', 2],
    ['info', 2],
    ['warn', 1],
    ['error', 1],
    ['fatal', 0],
    ['silent', 0],
  ] as const)('at LOG_LEVEL=%s writes %i of an ok and a failed request, as pino does', (level, count) => {
    const { fast, pino } = writeWith(level, [OK, FAILED]);
    expect(fast).toHaveLength(count);
    expect(fast.map(untimed)).toEqual(pino.map(untimed));
  });

  it('redacts key-shaped text in the request id and the message once more', () => {
    const { fast } = writeWith('info', [{ ...FAILED, request_id: KEY, error_message: `upstream echoed ${KEY}` }]);
    expect(fast[0]).not.toContain('REQUEST-LINE-SECRET');
    expect(JSON.parse(fast[0]!)).toMatchObject({ request_id: '[REDACTED]', error_message: 'upstream echoed [REDACTED]' });
  });
});
