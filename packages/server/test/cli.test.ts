import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider } from '@llm-settings/fake-provider';
import { CLI, assertBuilt, freePort, run, start, waitForOk, type Spawned } from './support/processes.js';
import { killGroup } from './support/signals.js';

const KEY = 'sk-ant-api03-CLI-TEST-SECRET-0123456789';
let dir: string;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'llm-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('llm-settings CLI', () => {
  it('--help lists every command, through npm as the README runs it', async () => {
    const { code, output } = await run('npm', ['run', '--silent', 'llm-settings', '--', '--help'], {});
    expect(code).toBe(0);
    for (const command of ['serve', 'migrate', 'generate-key', 'rotate-key', 'confirm-endpoint']) expect(output).toContain(command);
  });

  it('prints the help for "<command> --help" instead of running the command', async () => {
    const port = await freePort();
    for (const command of ['serve', 'rotate-key', 'demo']) {
      const { code, output } = await run('node', [CLI, command, '--help'], { PORT: String(port), DATABASE_URL: `sqlite:${join(dir, 'help', 's.db')}` });
      expect(code, command).toBe(0);
      expect(output, command).toContain('Usage: llm-settings <command>');
      expect(output, command).not.toContain('listening');
    }
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(dirname(CLI), '..', 'package.json'), 'utf8')) as { version: string };
    const { code, output } = await run('node', [CLI, '--version'], {});
    expect(code).toBe(0);
    expect(output.trim()).toBe(version);
  });

  it('rejects an unknown command with exit code 2', async () => {
    const { code, output } = await run('node', [CLI, 'frobnicate'], {});
    expect(code).toBe(2);
    expect(output).toContain('unknown command "frobnicate"');
  });

  it.each([
    ['rotate-key', '--dry-run'],
    ['migrate', '--database-url', 'sqlite:/tmp/elsewhere.db'],
    ['serve', '--port', '1'],
    ['generate-key', '--count', '3'],
    ['confirm-endpoint', '--provider', 'openai', '--dry-run'],
    ['confirm-endpoint', '--provider', 'openai', 'extra'],
    ['revoke-tokens', '--scope', 'a', '--scope', 'b'],
  ])('refuses %s with arguments it does not take (exit 2), doing nothing, rather than ignoring them', async (...command) => {
    const database = join(dir, 'refused', `${command[0]}.db`);
    const { code, output } = await run('node', [CLI, ...command], { DATABASE_URL: `sqlite:${database}`, PORT: '0' });
    expect(code).toBe(2);
    expect(output).toMatch(new RegExp(`^llm-settings: ${command[0]} (takes no arguments|needs --[a-z]+ <[a-z]+>, each once \\(and nothing else\\))\n$`));
    // Nothing ran: no database was opened, no key file made.
    expect(existsSync(join(dir, 'refused'))).toBe(false);
  });

  it('generate-key prints a fresh 44-character url-safe Fernet key', async () => {
    const a = await run('node', [CLI, 'generate-key'], {});
    const b = await run('node', [CLI, 'generate-key'], {});
    expect(a.output.trim()).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(a.output).not.toBe(b.output);
  });

  it('serves with "npm start" on SQLite with a generated key file, as the README says', async () => {
    const port = await freePort();
    const database = join(dir, 'start', 'settings.db');
    const server = start('npm', ['start'], { PORT: String(port), DATABASE_URL: `sqlite:${database}` });
    try {
      await waitForOk(`http://127.0.0.1:${port}/readyz`);
      const put = await fetch(`http://127.0.0.1:${port}/api/settings/llm`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'anthropic', api_key: KEY }),
      });
      expect(put.status).toBe(200);
      const view = await (await fetch(`http://127.0.0.1:${port}/api/settings/llm`)).json();
      expect(view).toMatchObject({ provider: 'anthropic', api_key_masked: '...6789' });
      expect(statSync(join(dir, 'start', 'encryption.key')).mode & 0o777).toBe(0o600);
      expect(server.output()).toContain(join(dir, 'start', 'encryption.key'));
      expect(server.output()).not.toContain('CLI-TEST-SECRET');
    } finally {
      process.kill(-server.child.pid!, 'SIGTERM');
      await server.exited;
    }
  });

  it('stops on SIGTERM with exit code 0 after finishing, with every log line written', async () => {
    const port = await freePort();
    const server = start('node', [CLI, 'serve'], { PORT: String(port), DATABASE_URL: `sqlite:${join(dir, 'term', 's.db')}` });
    await waitForOk(`http://127.0.0.1:${port}/healthz`);
    await fetch(`http://127.0.0.1:${port}/api/settings/llm`, { headers: { 'x-request-id': 'just-before-sigterm' } });
    const done = closed(server);
    server.child.kill('SIGTERM');
    expect(await done).toBe(0);
    const lines = jsonLines(server.output());
    // Lines are written in the background; close() writes the ones still buffered before the exit.
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 30, service: 'llm-settings', request_id: 'just-before-sigterm', route: '/api/settings/llm', status: 200, msg: 'http request' }),
    );
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped' });
  });

  it('answers while nobody reads its stdout, and writes every line of a burst before it exits on SIGTERM', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = start('node', [CLI, 'serve'], { PORT: String(port), DATABASE_URL: `sqlite:${join(dir, 'burst', 's.db')}` });
    const stdout = stdoutOf(server);
    const done = closed(server);
    try {
      await waitForOk(`${url}/healthz`);
      server.child.stdout!.pause();
      // Several times what the pipe holds: a writer that waits for stdout would stop answering here.
      const ids = Array.from({ length: 4_000 }, (_, i) => `burst-${i}`);
      const queue = [...ids];
      const client = async () => {
        for (let id = queue.shift(); id; id = queue.shift()) {
          await (await fetch(`${url}/api/settings/llm`, { headers: { 'x-request-id': id } })).arrayBuffer();
        }
      };
      await Promise.all(Array.from({ length: 16 }, client));
      const asked = performance.now();
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(performance.now() - asked).toBeLessThan(1_000);
      const burstIds = () => jsonLines(stdout()).flatMap((line) => (String(line.request_id).startsWith('burst-') ? [String(line.request_id)] : []));
      expect(burstIds().length, 'lines read while stdout was paused').toBeLessThan(ids.length);

      server.child.kill('SIGTERM');
      await sleep(300);
      server.child.stdout!.resume();
      expect(await done).toBe(0);
      expect(burstIds().sort()).toEqual(ids.sort());
      expect(jsonLines(stdout()).at(-1)).toMatchObject({ msg: 'stopped' });
    } finally {
      if (server.child.exitCode === null) process.kill(-server.child.pid!, 'SIGKILL');
      server.child.stdout!.resume();
      await done;
    }
  });

  it('writes the lines a process logged before it crashed', async () => {
    const logger = pathToFileURL(join(dirname(CLI), 'logger.js')).href;
    const script = [
      `import { createLogDestination, createLogger } from ${JSON.stringify(logger)};`,
      'const logger = createLogger({ destination: createLogDestination() });',
      "for (let n = 0; n < 2000; n++) logger.info({ n }, 'before the crash');",
      "throw new Error('crash');",
    ].join('\n');
    const crashed = start('node', ['--input-type=module', '-e', script], {});
    const stdout = stdoutOf(crashed);
    expect(await closed(crashed)).toBe(1);
    expect(jsonLines(stdout()).map((line) => line.n)).toEqual(Array.from({ length: 2000 }, (_, n) => n));
  });

  it('finishes an in-flight request after SIGTERM before exiting', async () => {
    await withKeyTestInFlight('node', [CLI, 'serve'], 'inflight', async (server, inFlight) => {
      server.child.kill('SIGTERM');
      const response = await inFlight;
      expect(response.status).toBe(200);
      // Draining: the answer closes its keep-alive connection, so the client reconnects and is refused.
      expect(response.headers.get('connection')).toBe('close');
      expect(await response.json()).toMatchObject({ success: false, code: 'timeout' });
      expect(await server.exited).toBe(0);
    });
  });

  it('Ctrl-C on "npm start" (SIGINT to npm and the server, which npm passes on again) finishes an in-flight request and exits 0', async () => {
    await withKeyTestInFlight('npm', ['start'], 'ctrl-c', async (server, inFlight) => {
      // What a terminal does on Ctrl-C: the signal goes to the whole foreground process group.
      process.kill(-server.child.pid!, 'SIGINT');
      const response = await inFlight;
      expect(await response.json()).toMatchObject({ success: false, code: 'timeout' });
      expect(await server.exited).toBe(0);
      expect(server.output()).toContain('"msg":"stopped"');
    });
  });

  it('exits at once with a clear message when encryption.key is a dangling symlink', async () => {
    const data = join(dir, 'dangling');
    mkdirSync(data, { mode: 0o700 });
    const link = join(data, 'encryption.key');
    symlinkSync(join(data, 'gone.key'), link);
    const server = start('node', [CLI, 'serve'], { PORT: '0', DATABASE_URL: `sqlite:${join(data, 's.db')}` });
    // It used to retry forever at full CPU without a log line: give up after 10 s.
    const hung = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000).unref());
    const code = await Promise.race([server.exited, hung]);
    if (code === 'hung') process.kill(-server.child.pid!, 'SIGKILL');
    expect(code).toBe(1);
    expect(server.output()).toContain(`${link} is a symbolic link`);
  }, 15_000);

  it('refuses to serve on a non-loopback HOST without a token', async () => {
    const { code, output } = await run('node', [CLI, 'serve'], { HOST: '0.0.0.0', PORT: '0', DATABASE_URL: 'sqlite::memory:' });
    expect(code).toBe(1);
    expect(output).toContain('SETTINGS_API_TOKEN');
  });

  it('refuses a bad configuration with one line per problem and exit code 1', async () => {
    const { code, output } = await run('node', [CLI, 'serve'], { PORT: 'http', ENCRYPTION_KEY: 'not-a-key-at-all' });
    expect(code).toBe(1);
    expect(output).toContain('PORT must be an integer');
    expect(output).not.toContain('not-a-key-at-all');
  });

  it.each([['rotate-key'], ['confirm-endpoint', '--provider', 'openai'], ['revoke-tokens', '--scope', 'tenant-42']])(
    '%s refuses a deployment that is not there: no database file, no key file (neither is created), or a database llm-settings was never set up in, naming it',
    async (...command) => {
      const home = join(dir, 'never-set-up', command[0]!);
      const database = join(home, 'llm-settings.db');
      const env = { LLM_SETTINGS_HOME: home, SETTINGS_TOKEN_SECRET: 'a-token-secret-of-32-characters-or-more-0123' };
      const nothing = await run('node', [CLI, ...command], env);
      expect(nothing.code).toBe(1);
      expect(nothing.output).toContain(`There is no SQLite database file ${database}`);
      expect(existsSync(home)).toBe(false);

      mkdirSync(home, { recursive: true, mode: 0o700 });
      writeFileSync(database, '', { mode: 0o600 });
      const keyless = await run('node', [CLI, ...command], env);
      expect(keyless.code).toBe(1);
      expect(keyless.output).toContain(`ENCRYPTION_KEY is not set and there is no key file ${join(home, 'encryption.key')}`);
      expect(existsSync(join(home, 'encryption.key'))).toBe(false);

      const key = (await run('node', [CLI, 'generate-key'], {})).output.trim();
      const empty = await run('node', [CLI, ...command], { ...env, ENCRYPTION_KEY: key });
      expect(empty.code).toBe(1);
      expect(empty.output).toContain(`The database sqlite:${database} is not set up for llm-settings`);
      expect(empty.output).toContain('check DATABASE_URL');
    },
  );

  it('migrate and rotate-key re-encrypt stored values under the first key', async () => {
    const keyA = (await run('node', [CLI, 'generate-key'], {})).output.trim();
    const keyB = (await run('node', [CLI, 'generate-key'], {})).output.trim();
    const databaseUrl = `sqlite:${join(dir, 'rotate', 's.db')}`;
    const migrated = await run('node', [CLI, 'migrate'], { DATABASE_URL: databaseUrl, ENCRYPTION_KEY: keyA });
    expect(migrated).toMatchObject({ code: 0 });

    const port = await freePort();
    const server = start('node', [CLI, 'serve'], { PORT: String(port), DATABASE_URL: databaseUrl, ENCRYPTION_KEY: keyA });
    await waitForOk(`http://127.0.0.1:${port}/healthz`);
    await fetch(`http://127.0.0.1:${port}/api/settings/llm`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'openai', api_key: KEY }),
    });
    server.child.kill('SIGTERM');
    await server.exited;

    const rotated = await run('node', [CLI, 'rotate-key'], { DATABASE_URL: databaseUrl, ENCRYPTION_KEY: `${keyB},${keyA}` });
    expect(rotated.code).toBe(0);
    expect(rotated.output).toContain(`Re-encrypted 1 of 1 stored value(s) under the first key, in ${databaseUrl}.`);
    const again = await run('node', [CLI, 'rotate-key'], { DATABASE_URL: databaseUrl, ENCRYPTION_KEY: `${keyB},${keyA}` });
    expect(again.output).toContain('Re-encrypted 0 of 1 stored value(s)');

    const onlyB = start('node', [CLI, 'serve'], { PORT: String(port), DATABASE_URL: databaseUrl, ENCRYPTION_KEY: keyB });
    try {
      await waitForOk(`http://127.0.0.1:${port}/healthz`);
      const view = await (await fetch(`http://127.0.0.1:${port}/api/settings/llm`)).json();
      expect(view).toMatchObject({ provider: 'openai', api_key_masked: '...6789' });
      // One rotate entry by the CLI (the second run rotated nothing), after the save by the operator.
      const history = (await (await fetch(`http://127.0.0.1:${port}/api/settings/llm/history`)).json()) as { entries: { action: string; actor: string }[] };
      expect(history.entries.map((entry) => `${entry.action} ${entry.actor}`)).toEqual(['rotate cli', 'update admin']);
    } finally {
      onlyB.child.kill('SIGTERM');
      await onlyB.exited;
    }
  });
});

/** Resolves with the exit code once stdout and stderr have been read to their end. */
function closed(spawned: Spawned): Promise<number | null> {
  return new Promise((resolve) => spawned.child.once('close', (code) => resolve(code)));
}

/** Stdout alone: lines written in chunks are not interleaved with stderr. */
function stdoutOf(spawned: Spawned): () => string {
  let text = '';
  spawned.child.stdout!.on('data', (chunk) => (text += chunk));
  return () => text;
}

/** The complete JSON lines of `output` (a line still being written is left out). */
function jsonLines(output: string): Array<Record<string, unknown>> {
  return output
    .slice(0, output.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * Serves with `command` on a SQLite database in `folder`, its Anthropic a fake that never
 * answers, and runs `stop` once a key test has reached the fake (an in-flight request).
 */
async function withKeyTestInFlight(
  command: string,
  args: string[],
  folder: string,
  stop: (server: Spawned, inFlight: Promise<Response>) => Promise<void>,
): Promise<void> {
  const fake = await startFakeProvider();
  fake.setBehavior('anthropic', 'hang');
  const port = await freePort();
  const server = start(command, args, {
    PORT: String(port),
    DATABASE_URL: `sqlite:${join(dir, folder, 's.db')}`,
    ANTHROPIC_BASE_URL: fake.baseUrls.anthropic,
    PROBE_TIMEOUT_MS: '1500',
  });
  try {
    await waitForOk(`http://127.0.0.1:${port}/healthz`);
    const inFlight = fetch(`http://127.0.0.1:${port}/api/settings/llm/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'anthropic', api_key: KEY }),
    });
    while (fake.requestCount('anthropic') === 0) await sleep(20);
    await stop(server, inFlight);
  } finally {
    killGroup(server);
    await fake.close();
  }
}
