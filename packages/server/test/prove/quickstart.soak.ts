import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { freePort, start, waitForOk } from '../support/processes.js';
import { expectStopsOnSignal, killGroup } from '../support/signals.js';

/*
 * `npm run quickstart` installs, builds and serves: a chain of shells and package managers
 * in which a signal could stop the launcher and leave the server running. Soak only: each
 * run rebuilds every package.
 */

const dir = mkdtempSync(join(tmpdir(), 'llm-quickstart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('"npm run quickstart" stops on a signal sent to npm', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: npm exits 0, the server is gone and the port refuses connections`, async () => {
      const port = await freePort();
      const quickstart = start('npm', ['run', 'quickstart'], {
        PORT: String(port),
        DATABASE_URL: `sqlite:${join(dir, signal, 'settings.db')}`,
      });
      try {
        await waitForOk(`http://127.0.0.1:${port}/healthz`, 180_000);
        await expectStopsOnSignal(quickstart, signal, port);
      } finally {
        killGroup(quickstart);
      }
    });
  }
});
