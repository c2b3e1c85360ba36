import { spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBatchedLineWriter } from '../src/batched-line-writer.js';
import { createLogger } from '../src/logger.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'llm-lines-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines = (count: number, prefix = 'line') => Array.from({ length: count }, (_, i) => `{"n":${i},"msg":"${prefix} ${i}"}\n`);

describe('createBatchedLineWriter', () => {
  it('holds lines briefly, then writes them together in order', async () => {
    const path = join(dir, 'out.log');
    const fd = openSync(path, 'w');
    const writer = createBatchedLineWriter(fd);
    const written = lines(5);
    for (const line of written) writer.write(line);
    expect(readFileSync(path, 'utf8')).toBe('');
    await sleep(50);
    expect(readFileSync(path, 'utf8')).toBe(written.join(''));
    closeSync(fd);
  });

  it('flush() writes what is queued at once', () => {
    const path = join(dir, 'out.log');
    const fd = openSync(path, 'w');
    const writer = createBatchedLineWriter(fd);
    writer.write('{"msg":"stopped"}\n');
    writer.flush();
    expect(readFileSync(path, 'utf8')).toBe('{"msg":"stopped"}\n');
    closeSync(fd);
  });

  it('serves as a pino destination whose logger.flush(cb) writes and then calls back', async () => {
    const path = join(dir, 'out.log');
    const fd = openSync(path, 'w');
    const logger = createLogger({ destination: createBatchedLineWriter(fd) });
    logger.info({ route: '/api/settings/llm' }, 'hello');
    expect(readFileSync(path, 'utf8')).toBe('');
    await new Promise<void>((resolve, reject) => logger.flush((error) => (error ? reject(error) : resolve())));
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ level: 30, route: '/api/settings/llm', msg: 'hello' });
    closeSync(fd);
  });

  it('writes without waiting once 64 KiB are gathered', async () => {
    const path = join(dir, 'out.log');
    const fd = openSync(path, 'w');
    const writer = createBatchedLineWriter(fd);
    const written = lines(3_000).join('');
    expect(written.length).toBeGreaterThan(64 * 1024);
    for (const line of lines(3_000)) writer.write(line);
    const early = readFileSync(path, 'utf8');
    expect(early.length).toBeGreaterThanOrEqual(64 * 1024 - 100);
    expect(written.startsWith(early)).toBe(true);
    await sleep(50);
    expect(readFileSync(path, 'utf8')).toBe(written);
    closeSync(fd);
  });

  it('writes a line larger than the buffer whole, after the lines before it', () => {
    const path = join(dir, 'out.log');
    const fd = openSync(path, 'w');
    const writer = createBatchedLineWriter(fd);
    const huge = `{"msg":"${'ü'.repeat(100_000)}"}\n`;
    writer.write('{"msg":"before"}\n');
    writer.write(huge);
    writer.write('{"msg":"after"}\n');
    writer.flush();
    expect(readFileSync(path, 'utf8')).toBe(`{"msg":"before"}\n${huge}{"msg":"after"}\n`);
    closeSync(fd);
  });

  it('writes everything through a full non-blocking pipe, waiting for its reader', async () => {
    const fifo = join(dir, 'pipe');
    const out = join(dir, 'out.log');
    await run('mkfifo', [fifo]);
    // A slow reader in another process; the pipe holds 64 KiB, the batch is about 5 MiB.
    const reader = spawn('sh', ['-c', `sleep 0.2; cat "${fifo}" > "${out}"`]);
    const readerDone = new Promise((resolve) => reader.once('exit', resolve));
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    const writer = createBatchedLineWriter(fd);
    const written = lines(999, 'x'.repeat(5_000));
    for (const line of written) writer.write(line);
    writer.flush();
    closeSync(fd);
    await readerDone;
    expect(readFileSync(out, 'utf8')).toBe(written.join(''));
  });

  it('drops the lines when the descriptor refuses writes, without throwing', () => {
    const path = join(dir, 'read-only.log');
    closeSync(openSync(path, 'w'));
    const fd = openSync(path, 'r');
    const writer = createBatchedLineWriter(fd);
    writer.write('{"msg":"lost"}\n');
    expect(() => writer.flush()).not.toThrow();
    expect(readFileSync(path, 'utf8')).toBe('');
    closeSync(fd);
  });
});

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    spawn(command, args).once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
  });
}
