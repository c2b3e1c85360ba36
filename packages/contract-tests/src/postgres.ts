import { describe } from 'vitest';

/*
 * Test support for adapters that store in PostgreSQL: whether the tests' server answers,
 * and skipping the tests that need it when it does not. `pg` is loaded only when a probe
 * runs, so suites that never need PostgreSQL do not need it installed.
 */

/**
 * The PostgreSQL server the tests use: `TEST_DATABASE_URL`, or this machine's on
 * 127.0.0.1:5432 with trust authentication.
 */
export const TEST_POSTGRES_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** Whether the server at `url` answers a query within two seconds; a refusal is an answer, not an error. */
export async function postgresAnswers(url: string = TEST_POSTGRES_URL): Promise<boolean> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  // A connection lost after connecting is reported as an event: without a listener it would crash the run.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Resolves once the server at `url` answers, after `bringUp` (such as starting a local
 * cluster) when it did not at first.
 * @throws Error naming the server's host (never its credentials) when it still does not answer.
 */
export async function ensurePostgresAnswers(url: string = TEST_POSTGRES_URL, bringUp?: () => Promise<void>): Promise<void> {
  if (await postgresAnswers(url)) return;
  if (bringUp !== undefined) {
    await bringUp();
    if (await postgresAnswers(url)) return;
  }
  const { hostname, port } = new URL(url);
  throw new Error(`PostgreSQL on ${hostname}:${port || '5432'} did not answer; start it, or point TEST_DATABASE_URL at one`);
}

/** The PostgreSQL server of a test run, and whether its tests run. */
export interface TestPostgres {
  readonly url: string;
  /** Why this run skips the tests that need PostgreSQL, or undefined when they run. */
  readonly skipped: string | undefined;
  /** `describe` for tests that need PostgreSQL: skipped, with the reason in its title, when {@link skipped}. */
  describe(title: string, body: () => void): void;
}

/**
 * Probes the tests' server once, for a test file's top level. Outside CI an unreachable
 * server skips the tests that need it (said once on stderr); in CI (`CI` set) they always
 * run, so that an unreachable server fails them instead of losing them silently.
 */
export async function postgresOrSkip(options: { url?: string; bringUp?: () => Promise<void> } = {}): Promise<TestPostgres> {
  const url = options.url ?? TEST_POSTGRES_URL;
  const skipped = process.env.CI
    ? undefined
    : await ensurePostgresAnswers(url, options.bringUp).then(
        () => undefined,
        (error: Error) => error.message,
      );
  // The reporter names a skipped test, not why: say it once per file, plainly.
  if (skipped) console.warn(`PostgreSQL tests skipped: ${skipped}`);
  return {
    url,
    skipped,
    describe(title, body) {
      describe.skipIf(skipped !== undefined)(skipped ? `${title} (skipped: ${skipped})` : title, body);
    },
  };
}
