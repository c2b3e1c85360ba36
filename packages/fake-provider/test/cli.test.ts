import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseUrlVariableOf, defaultModelFor, PROVIDERS } from '@llm-settings/core';
import { fakeAnswerText } from '@llm-settings/fake-provider';
import { freePorts } from './ports.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

interface Started {
  readonly child: ChildProcess;
  /** The printed lines: one `<provider> <url>` each, then the variables' line. */
  readonly lines: Promise<string[]>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Runs the built bin as a user does: `node dist/cli.js`, with only PATH and `env`. */
function startCli(args: string[], env: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const lines = new Promise<string[]>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      // The variables' line comes last.
      if (/_BASE_URL=.*\n/.test(stdout)) resolve(stdout.trimEnd().split('\n'));
    });
    void exited.then(({ code }) => reject(new Error(`the bin exited (${code}) before printing its URLs: ${stderr}`)));
  });
  return { child, lines, exited, stderr: () => stderr };
}

/** The base URLs of the printed `<provider> <url>` lines, by provider. */
function urlsOf(lines: string[]): Record<string, string> {
  return Object.fromEntries(lines.slice(0, -1).map((line) => line.split(' ') as [string, string]));
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "pnpm build" first`);
});

describe('llm-settings-fake-provider', () => {
  it('prints each provider\'s URL and the variables, answers the official SDKs there, and exits 0 on SIGTERM', async () => {
    const cli = startCli([]);
    const lines = await cli.lines;
    const urls = urlsOf(lines);
    expect(Object.keys(urls)).toEqual(PROVIDERS.map((p) => p.id));
    for (const url of Object.values(urls)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+(\/[\w/.-]*)?$/);
    expect(lines.at(-1)).toBe(PROVIDERS.map((p) => `${baseUrlVariableOf(p.id)}=${urls[p.id]}`).join(' '));

    const anthropic = new Anthropic({ apiKey: 'sk-ant-any-key', baseURL: urls.anthropic, maxRetries: 0 });
    const message = await anthropic.messages.create({ model: defaultModelFor('anthropic'), max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] });
    expect(message.content).toMatchObject([{ type: 'text', text: fakeAnswerText(defaultModelFor('anthropic'), 1) }]);
    const openai = new OpenAI({ apiKey: 'sk-any-key', baseURL: urls.openai, maxRetries: 0 });
    const completion = await openai.chat.completions.create({ model: defaultModelFor('openai'), messages: [{ role: 'user', content: 'Hi' }] });
    expect(completion.choices[0]?.message.content).toBe(fakeAnswerText(defaultModelFor('openai'), 2));

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    await expect(fetch(`${urls.openai}/models`)).rejects.toThrow();
  });

  it('listens from --port on, the providers on the ports after it, and exits 0 on SIGINT', async () => {
    const first = await freePorts(PROVIDERS.length);
    const cli = startCli(['--port', String(first)]);
    const urls = urlsOf(await cli.lines);
    expect(PROVIDERS.map((p) => new URL(urls[p.id]!).port)).toEqual(PROVIDERS.map((_, index) => String(first + index)));
    expect((await fetch(`${urls.openai}/models`, { headers: { authorization: 'Bearer sk-any-key' } })).status).toBe(200);

    cli.child.kill('SIGINT');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
  });

  it('takes the first port from FAKE_PROVIDER_PORT, and refuses a port that is not one with exit code 2', async () => {
    const first = await freePorts(PROVIDERS.length);
    const cli = startCli([], { FAKE_PROVIDER_PORT: String(first) });
    expect(urlsOf(await cli.lines).anthropic).toBe(`http://127.0.0.1:${first}`);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });

    const refused = startCli(['--port', '70000']);
    await expect(refused.lines).rejects.toThrow('the port must be an integer from 0 (free ones) to 65535');
    expect((await refused.exited).code).toBe(2);
  });
});
