import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';

/*
 * Asynchronous on purpose: a synchronous child process would freeze the test's own
 * clients, and their answers would look slow.
 */
const exec = promisify(execFile);

/** The machine's PostgreSQL cluster (Debian layout: /etc/postgresql/<version>/main). */
const VERSION = readdirSync('/etc/postgresql')[0]!;

/** Stops the real cluster at once (`-m fast`: sessions are terminated, as in a crash or failover). */
export async function stopPostgres(): Promise<void> {
  await exec('pg_ctlcluster', ['--skip-systemctl-redirect', VERSION, 'main', 'stop', '-m', 'fast']);
}

/** Starts the cluster if it is down and waits until it accepts connections. */
export async function startPostgres(timeoutMs = 60_000): Promise<void> {
  if (!(await isPostgresReady())) await exec('pg_ctlcluster', ['--skip-systemctl-redirect', VERSION, 'main', 'start']).catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  while (!(await isPostgresReady())) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL did not come back within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function isPostgresReady(): Promise<boolean> {
  return exec('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-q']).then(
    () => true,
    () => false,
  );
}
