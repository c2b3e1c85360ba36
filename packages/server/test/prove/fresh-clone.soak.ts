import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, REPO_ROOT, run, start, waitForOk } from '../support/processes.js';
import { expectStopsOnSignal, killGroup } from '../support/signals.js';

/*
 * The README's two commands, as its first section says: on a fresh clone (of the commit
 * under test, in a folder of its own, so nothing from beside the repository), as a
 * non-root user, with nothing installed but Node.js, npm and the build tools. The npm
 * cache and the pnpm store of this user are reused, as a second clone on one machine
 * would. The test command runs restricted to one project (`npm run test:all -- --project
 * core`): the whole suite runs in CI anyway, as this same user in its own clone (.ci/run).
 */

const IS_ROOT = process.getuid?.() === 0;
const SKIPPED = 'runs as root: this proof is a non-root user’s, and .ci/run runs the soak as one';
if (IS_ROOT) console.warn(`fresh-clone proof skipped: ${SKIPPED}`);

const dir = mkdtempSync(join(tmpdir(), 'llm-fresh-clone-'));
const clone = join(dir, 'llm-settings');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What a user's shell passes on: no variable of this test run (vitest's, NODE_OPTIONS, …). */
const userEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  ...(process.env.CI ? { CI: process.env.CI } : {}),
  ...extra,
});

describe.skipIf(IS_ROOT)(IS_ROOT ? `the README's two commands on a fresh clone (skipped: ${SKIPPED})` : "the README's two commands on a fresh clone, as a non-root user", () => {
  it('"npm run quickstart" serves the API and the settings page, and stops on SIGINT', async () => {
    const cloned = await run('git', ['clone', '--quiet', '--no-hardlinks', REPO_ROOT, clone], userEnv());
    expect(cloned.code, cloned.output).toBe(0);

    const port = await freePort();
    const quickstart = start('npm', ['run', 'quickstart'], userEnv({ PORT: String(port) }), clone);
    try {
      await waitForOk(`http://127.0.0.1:${port}/healthz`, 480_000).catch((error: Error) => {
        throw new Error(`${error.message}\n${quickstart.output()}`);
      });
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
      expect((await fetch(`http://127.0.0.1:${port}/api/settings/llm`)).status).toBe(200);
      // One line per set-up step, no tool's noise (compiler warnings, update notices).
      expect(quickstart.output()).toContain('set-up: done (log: ');
      expect(quickstart.output()).not.toMatch(/gyp|Update available|npm notice/i);
      await expectStopsOnSignal(quickstart, 'SIGINT', port);
    } finally {
      killGroup(quickstart);
    }
  }, 600_000);

  it('"npm run test:all -- --project core" installs, builds and passes', async () => {
    const tests = await run('npm', ['run', 'test:all', '--', '--project', 'core'], userEnv(), clone);
    const output = stripVTControlCharacters(tests.output);
    expect(tests.code, output.slice(-3000)).toBe(0);
    expect(output).toMatch(/Test Files\s+\d+ passed/);
  }, 600_000);
});
