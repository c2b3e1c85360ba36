import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@llm-settings/core';
import { generateFernetKey } from '@llm-settings/crypto-fernet';
import { createLlmSettings } from '../src/create-llm-settings.js';
import { CLI, assertBuilt } from './support/processes.js';

/*
 * `llm-settings demo` (what `npm run demo` runs after the build) as a real process, from
 * a folder of its own: what it prints is all a newcomer gets, so the test uses only that.
 */

interface Printed {
  url: string;
  keys: { anthropic: string; openai: string };
  baseUrls: { ANTHROPIC_BASE_URL: string; OPENAI_BASE_URL: string };
}

let cwd: string;
let demo: ReturnType<typeof spawn>;
let output = '';
let exited: Promise<number | null>;
let printed: Printed;

function parse(text: string): Printed {
  const field = (pattern: RegExp) => {
    const match = pattern.exec(text);
    if (!match) throw new Error(`the demo did not print ${pattern}:\n${text}`);
    return match[1]!;
  };
  return {
    url: field(/Settings page:\s+(http:\/\/\S+?)\/\s/),
    keys: { anthropic: field(/Anthropic key:\s+(\S+)/), openai: field(/OpenAI key:\s+(\S+)/) },
    baseUrls: { ANTHROPIC_BASE_URL: field(/ANTHROPIC_BASE_URL=(\S+)/), OPENAI_BASE_URL: field(/OPENAI_BASE_URL=(\S+)/) },
  };
}

function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${printed.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  assertBuilt();
  cwd = mkdtempSync(join(tmpdir(), 'llm-demo-'));
  demo = spawn('node', [CLI, 'demo'], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  demo.stdout!.on('data', (chunk) => (output += chunk));
  demo.stderr!.on('data', (chunk) => (output += chunk));
  exited = new Promise((resolve) => demo.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!output.includes('Ctrl-C')) {
    if (Date.now() > deadline || demo.exitCode !== null) throw new Error(`the demo did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  printed = parse(output);
});

afterAll(() => {
  if (demo.exitCode === null) demo.kill('SIGKILL');
  rmSync(cwd, { recursive: true, force: true });
});

describe('llm-settings demo', () => {
  it('serves the settings page at the printed URL', async () => {
    const page = await fetch(`${printed.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
  });

  it('the printed OpenAI key, saved through the API, tests successfully and lists live models', async () => {
    expect((await api('PUT', '/api/settings/llm', { provider: 'openai', api_key: printed.keys.openai })).status).toBe(200);
    const test = await api('POST', '/api/settings/llm/test');
    expect(test.json).toMatchObject({ success: true });
    const models = await api('GET', '/api/settings/llm/models?provider=openai');
    expect(models.json).toMatchObject({ source: 'live' });
  });

  it("the README's curl flow succeeds: save with a model, change the model with the ETag of the previous answer, test", async () => {
    const saved = await fetch(`${printed.url}/api/settings/llm`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'llm-settings-scope': 'readme' },
      body: JSON.stringify({ provider: 'anthropic', api_key: printed.keys.anthropic, model: 'claude-sonnet-4-20250514' }),
    });
    const changed = await fetch(`${printed.url}/api/settings/llm`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'llm-settings-scope': 'readme', 'if-match': saved.headers.get('etag')! },
      body: JSON.stringify({ provider: 'anthropic', model: 'claude-opus-4-1' }),
    });
    expect(changed.status).toBe(200);
    const test = await fetch(`${printed.url}/api/settings/llm/test`, { method: 'POST', headers: { 'llm-settings-scope': 'readme' } });
    expect(await test.json()).toMatchObject({ success: true });
  });

  it('the printed Anthropic key tests successfully as a candidate, and any other key is refused', async () => {
    expect((await api('POST', '/api/settings/llm/test', { provider: 'anthropic', api_key: printed.keys.anthropic })).json).toMatchObject({ success: true });
    const other = await api('POST', '/api/settings/llm/test', { provider: 'anthropic', api_key: 'sk-ant-not-the-demo-key-0000' });
    expect(other.json).toMatchObject({ success: false, code: 'invalid_api_key' });
  });

  it("the README's SDK snippets succeed through the pass-through with the stored key", async () => {
    for (const [provider, api_key] of Object.entries(printed.keys)) {
      const scope = { 'LLM-Settings-Scope': `user-7-${provider}` };
      const saved = await fetch(`${printed.url}/api/settings/llm`, { method: 'PUT', headers: { 'content-type': 'application/json', ...scope }, body: JSON.stringify({ provider, api_key }) });
      expect(saved.status).toBe(200);
    }

    const openai = new OpenAI({ baseURL: `${printed.url}/api/llm/openai/v1`, apiKey: 'any-string-on-loopback', defaultHeaders: { 'LLM-Settings-Scope': 'user-7-openai' } });
    const chat = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello' }] });
    expect(chat.choices[0]?.message.content).toBeTruthy();
    // Passed unchanged: no run of the printed key matches a word of the answer.
    expect(JSON.stringify(chat)).not.toContain('REDACTED');
    const anthropic = new Anthropic({ baseURL: `${printed.url}/api/llm/anthropic`, apiKey: 'any-string-on-loopback', defaultHeaders: { 'LLM-Settings-Scope': 'user-7-anthropic' } });
    const message = await anthropic.messages.create({ model: 'claude-opus-4-1', max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }] });
    expect(message.content[0]?.type).toBe('text');
    expect(JSON.stringify(message)).not.toContain('REDACTED');
  });

  it('client() succeeds against the printed base URLs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-demo-client-'));
    const settings = await createLlmSettings({
      env: { ...printed.baseUrls, DATABASE_URL: `sqlite:${join(dir, 'settings.db')}`, ENCRYPTION_KEY: generateFernetKey() },
      logger: silentLogger,
    });
    try {
      await settings.service.update({ provider: 'openai', api_key: printed.keys.openai }, { scope: 'user-7' });
      const llm = await settings.client({ scope: 'user-7' });
      if (llm.dialect !== 'openai') throw new Error(`expected an OpenAI client, got ${llm.provider}`);
      const chat = await llm.client.chat.completions.create({ model: llm.model, messages: [{ role: 'user', content: 'Hello' }] });
      expect(chat.choices[0]?.message.content).toBeTruthy();
    // Passed unchanged: no run of the printed key matches a word of the answer.
    expect(JSON.stringify(chat)).not.toContain('REDACTED');
    } finally {
      await settings.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SIGINT stops the server and both fake providers, exits 0, and nothing was written to its folder', async () => {
    // Twice, as Ctrl-C on "npm run demo" delivers it: from the terminal, and passed on by npm.
    demo.kill('SIGINT');
    demo.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('llm-settings demo: stopped.');
    for (const url of [printed.url, printed.baseUrls.ANTHROPIC_BASE_URL, printed.baseUrls.OPENAI_BASE_URL]) expect(await refused(url), url).toBe(true);
    expect(readdirSync(cwd)).toEqual([]);
  });
});
