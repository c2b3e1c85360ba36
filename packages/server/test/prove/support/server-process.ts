import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOG_FLUSH_INTERVAL_MS } from '../../../src/logger.js';
import { CLI, assertBuilt, freePort, start, waitForOk } from '../../support/processes.js';

/** A `llm-settings serve` child process on a port of its own choosing. */
export interface ServerProcess {
  /** Base URL, http://127.0.0.1:<port>. */
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Stdout once every line logged before the call is written (lines wait for others up to LOG_FLUSH_INTERVAL_MS). */
  loggedSoFar(): Promise<string>;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** True until the process exits. */
  alive(): boolean;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** Sends SIGTERM and waits for the exit code. */
  stop(): Promise<number | null>;
}

const running = new Set<ServerProcess>();

/**
 * Starts `node packages/server/dist/cli.js serve` with `env` on a free port (unless
 * PORT is given) and waits until /healthz answers. Stdout and stderr are kept apart.
 */
export async function startServer(env: Record<string, string>, timeoutMs = 20_000): Promise<ServerProcess> {
  assertBuilt();
  const port = env.PORT ?? String(await freePort());
  const spawned = start('node', [CLI, 'serve'], { ...env, PORT: port });
  let stdout = '';
  let stderr = '';
  spawned.child.stdout!.on('data', (chunk) => (stdout += chunk));
  spawned.child.stderr!.on('data', (chunk) => (stderr += chunk));
  // 'close' rather than 'exit': the log lines are all read once stdout and stderr have ended.
  const exited = new Promise<number | null>((resolve) => spawned.child.once('close', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));

  const url = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    url,
    child: spawned.child,
    stdout: () => stdout,
    async loggedSoFar() {
      await sleep(3 * LOG_FLUSH_INTERVAL_MS);
      return stdout;
    },
    stderr: () => stderr,
    alive: () => exitCode === undefined,
    exited,
    async stop() {
      if (exitCode === undefined) spawned.child.kill('SIGTERM');
      const code = await exited;
      running.delete(server);
      return code;
    },
  };
  running.add(server);
  void exited.then(() => running.delete(server));
  const exitedEarly = exited.then((code) => {
    throw new Error(`the server exited with ${code} before it served:\n${stdout}${stderr}`);
  });
  await Promise.race([waitForOk(`${url}/healthz`, timeoutMs), exitedEarly]);
  return server;
}

/** Kills every server a test left running (for afterAll: a failed test must not leave processes behind). */
export async function killLeftoverServers(): Promise<void> {
  await Promise.all(
    [...running].map(async (server) => {
      try {
        process.kill(-server.child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await server.exited;
    }),
  );
}

/** Parses the server's pino JSON lines (non-JSON lines are skipped). */
export function logLines(output: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** Runs `node packages/server/dist/cli.js <args>` to completion; the output is complete (read until the pipes close). */
export async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  assertBuilt();
  const spawned = start('node', [CLI, ...args], env);
  const code = await new Promise<number | null>((resolve) => spawned.child.once('close', (exitCode) => resolve(exitCode)));
  return { code, output: spawned.output() };
}
