import { writeSync } from 'node:fs';

/** A pino destination that can also be flushed on demand. */
export interface BatchedLineWriter {
  /** Queues a line (or lines) for the next write; always returns true. */
  write(line: string): boolean;
  /** Writes whatever is queued, now, then calls `done` (pino's `logger.flush(cb)` passes one). */
  flush(done?: (error?: Error) => void): void;
}

/** Longest a line waits for company before it is written. */
const FLUSH_DELAY_MS = 10;
/** Bytes gathered before a write happens without waiting for the delay. */
const BUFFER_BYTES = 64 * 1024;
/** UTF-8 bytes per UTF-16 code unit, at most: room for a line is checked without encoding it twice. */
const MAX_BYTES_PER_UNIT = 3;
const RETRY_WAIT_MS = 1;
const retryWait = new Int32Array(new SharedArrayBuffer(4));

/**
 * Log lines to a file descriptor, written together: the first line of a batch starts a
 * 10 ms timer, and lines made meanwhile are encoded into one buffer that goes out in a
 * single write call (at once when 64 KiB are gathered). Under load a write carries
 * hundreds of request lines instead of one, and the lines do not stay on the JS heap
 * to be copied by the garbage collector. Writes are synchronous, as pino's default
 * destination and Node's stdout to files and pipes are, so `flush()` on exit loses
 * nothing. A write that fails for good (a closed pipe) drops the lines: logging must
 * not take the service down.
 */
export function createBatchedLineWriter(fd: number): BatchedLineWriter {
  const buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  let used = 0;
  let timer: NodeJS.Timeout | undefined;

  const flush = (done?: (error?: Error) => void) => {
    clearTimeout(timer);
    timer = undefined;
    if (used > 0) writeFully(fd, buffer.subarray(0, used));
    used = 0;
    done?.();
  };

  return {
    write(line) {
      const room = line.length * MAX_BYTES_PER_UNIT;
      if (used + room > BUFFER_BYTES) flush();
      if (room > BUFFER_BYTES) {
        writeFully(fd, Buffer.from(line));
        return true;
      }
      used += buffer.write(line, used);
      // Unreferenced: pending lines never keep the process alive; the exit flush writes them.
      timer ??= setTimeout(flush, FLUSH_DELAY_MS).unref();
      return true;
    },
    flush,
  };
}

function writeFully(fd: number, bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      // A non-blocking descriptor whose reader is behind: wait for it, as a blocking one would.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      Atomics.wait(retryWait, 0, 0, RETRY_WAIT_MS);
    }
  }
}
