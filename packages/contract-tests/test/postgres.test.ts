import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ensurePostgresAnswers, postgresAnswers, postgresOrSkip } from '../src/postgres.js';

const POSTGRES = await postgresOrSkip();

/** A port on which nothing listens: one that was just listened on and closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('PostgreSQL test support', () => {
  it('reads a refused connection as no answer, and says so naming the host but not the credentials', async () => {
    const url = `postgres://someone:s3cret-pass@127.0.0.1:${await closedPort()}/test`;
    expect(await postgresAnswers(url)).toBe(false);
    const failure = ensurePostgresAnswers(url);
    await expect(failure).rejects.toThrow(/^PostgreSQL on 127\.0\.0\.1:\d+ did not answer; start it, or point TEST_DATABASE_URL at one$/);
    await expect(failure).rejects.not.toThrow(/s3cret|someone/);
  });

  it('tries to bring a silent server up once, then asks again', async () => {
    const url = `postgres://127.0.0.1:${await closedPort()}/test`;
    let tries = 0;
    await expect(ensurePostgresAnswers(url, async () => void (tries += 1))).rejects.toThrow(/did not answer/);
    expect(tries).toBe(1);
  });

  POSTGRES.describe('with the tests\' server', () => {
    it('answers, and is not skipped', async () => {
      expect(POSTGRES.skipped).toBeUndefined();
      expect(await postgresAnswers(POSTGRES.url)).toBe(true);
      await expect(ensurePostgresAnswers(POSTGRES.url, () => Promise.reject(new Error('not needed')))).resolves.toBeUndefined();
    });
  });
});
