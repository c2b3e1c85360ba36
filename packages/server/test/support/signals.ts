import { connect } from 'node:net';
import { expect } from 'vitest';
import type { Spawned } from './processes.js';

/**
 * Sends `signal` to the launcher's own pid (npm's or pnpm's, as a process manager or a
 * terminal does) and checks that the server stopped as `serve` does: the launcher exits 0,
 * "stopped" was logged, the port refuses connections and no process of the group is left.
 */
export async function expectStopsOnSignal(launched: Spawned, signal: NodeJS.Signals, port: number): Promise<void> {
  launched.child.kill(signal);
  expect(await launched.exited).toBe(0);
  expect(launched.output()).toContain('"msg":"stopped"');
  expect(await refused(port)).toBe(true);
  expect(groupGone(launched.child.pid!)).toBe(true);
}

/** Kills what is left of a process group `start` created, if anything. */
export function killGroup(launched: Spawned): void {
  try {
    process.kill(-launched.child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

function groupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
