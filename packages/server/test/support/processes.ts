import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const CLI = join(REPO_ROOT, 'packages', 'server', 'dist', 'cli.js');

/** The CLI runs from the build, as users run it: fail clearly when it is missing. */
export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "pnpm build" first (npm run test:all does)`);
}

/**
 * A port of 127.0.0.1 that is free when looked at, for a child server to take. Below
 * the ephemeral ports (32768-60999 on Linux, 49152-65535 elsewhere) that servers listening
 * on port 0 are given: one of those (a fake provider of another test file) could take a
 * port from that range before the slow-starting child, and get the requests meant for it,
 * waitForOk's polls included.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
}

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts a command in its own process group so the whole tree can be signalled; `cwd` defaults to the repository. */
export function start(command: string, args: string[], env: Record<string, string>, cwd = REPO_ROOT): Spawned {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Runs a command to completion. */
export async function run(command: string, args: string[], env: Record<string, string>, cwd = REPO_ROOT): Promise<{ code: number | null; output: string }> {
  const spawned = start(command, args, env, cwd);
  const code = await spawned.exited;
  return { code, output: spawned.output() };
}

/** Polls `url` until it answers 200. */
export async function waitForOk(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
