import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, isLlmSettingsError } from '@llm-settings/core';
import { loadConfig } from '../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-providers-'));

function providersFile(entries: unknown): string {
  const path = join(dir, `providers-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, typeof entries === 'string' ? entries : JSON.stringify(entries));
  return path;
}

function configLines(env: Record<string, string>): string[] {
  try {
    loadConfig(env, dir);
  } catch (error) {
    expect(isLlmSettingsError(error, ErrorCodes.CONFIG_INVALID)).toBe(true);
    return (error as Error).message.split('\n').slice(1).map((line) => line.replace(/^ {2}- /, ''));
  }
  throw new Error('expected a configuration error');
}

const LOCAL = { id: 'local-vllm', display_name: 'Local vLLM', base_url: 'http://127.0.0.1:8000/v1', auth: 'none', default_model: 'qwen2.5-7b', models: ['llama-3.1-8b'] };

describe('provider configuration', () => {
  it('enables the providers LLM_PROVIDERS lists, in its order, at their roots or <ID>_BASE_URL', () => {
    const { providers } = loadConfig({ LLM_PROVIDERS: 'groq, openrouter,ollama', OPENROUTER_BASE_URL: 'https://gw.example/api/v1' }, dir);
    expect(providers.enabledIds).toEqual(['groq', 'openrouter', 'ollama']);
    expect(providers.baseUrl('openrouter')).toBe('https://gw.example/api/v1');
    expect(providers.baseUrl('groq')).toBe('https://api.groq.com/openai/v1');
    expect(providers.baseUrl('ollama')).toBe('http://127.0.0.1:11434/v1');
  });

  it('reads AZURE_OPENAI_BASE_URL, and requires it when azure-openai is enabled', () => {
    expect(configLines({ LLM_PROVIDERS: 'openai,azure-openai' })).toEqual([
      "AZURE_OPENAI_BASE_URL is required when azure-openai is enabled: Azure OpenAI has no default API root (give the resource's /openai/v1 root)",
    ]);
    const { providers } = loadConfig({ LLM_PROVIDERS: 'azure-openai', AZURE_OPENAI_BASE_URL: 'https://res.openai.azure.com/openai/v1' }, dir);
    expect(providers.baseUrl('azure-openai')).toBe('https://res.openai.azure.com/openai/v1');
  });

  it('refuses an unknown id in LLM_PROVIDERS by position, and a base URL that is not http(s) by name, never quoting values', () => {
    const lines = configLines({ LLM_PROVIDERS: 'openai,sk-secret-looking', GROQ_BASE_URL: 'ftp://sk-other-secret' });
    expect(lines).toEqual([
      expect.stringMatching(/^LLM_PROVIDERS entry 2 is not a known provider; the known ones are: anthropic, openai, openrouter/),
      'GROQ_BASE_URL must be an http(s) URL',
    ]);
    expect(lines.join('\n')).not.toContain('secret');
  });

  it('adds and enables the providers of LLM_PROVIDERS_FILE, each with its catalogue and key header', () => {
    const path = providersFile([LOCAL, { ...LOCAL, id: 'corp-gw', display_name: 'Corp gateway', base_url: 'https://llm.corp.example/v1', auth: 'api-key' }]);
    const { providers } = loadConfig({ LLM_PROVIDERS_FILE: path, CORP_GW_BASE_URL: 'https://llm2.corp.example/v1' }, dir);
    expect(providers.enabledIds).toEqual(['anthropic', 'openai', 'local-vllm', 'corp-gw']);
    expect(providers.get('local-vllm')).toMatchObject({ dialect: 'openai', auth: 'none', keyRequired: false, defaultModel: 'qwen2.5-7b' });
    expect(providers.get('local-vllm').catalogue.map((m) => m.id)).toEqual(['qwen2.5-7b', 'llama-3.1-8b']);
    expect(providers.get('corp-gw')).toMatchObject({ auth: 'api-key', keyRequired: true });
    expect(providers.baseUrl('corp-gw')).toBe('https://llm2.corp.example/v1');
  });

  it('stops start-up with one line per invalid entry and field, naming the entry', () => {
    const path = providersFile([
      { ...LOCAL, id: 'openai' },
      { ...LOCAL, id: 'Bad Id!' },
      { ...LOCAL, id: 'no-url', base_url: 'file:///etc/passwd' },
      { ...LOCAL, id: 'no-auth', auth: 'basic' },
      { ...LOCAL, id: 'extra', token: 'sk-do-not-print' },
      { id: 'partial', display_name: 'Partial', base_url: 'http://127.0.0.1:1/v1', auth: 'none', models: [] },
      LOCAL,
      LOCAL,
      'not an object',
    ]);
    const lines = configLines({ LLM_PROVIDERS_FILE: path });
    expect(lines).toEqual([
      'LLM_PROVIDERS_FILE entry 1 (openai): id openai is a built-in provider; choose another id',
      'LLM_PROVIDERS_FILE entry 2: id must be 1 to 40 lower-case letters, digits or -',
      'LLM_PROVIDERS_FILE entry 3 (no-url): base_url must be an http(s) URL',
      'LLM_PROVIDERS_FILE entry 4 (no-auth): auth must be one of: bearer, api-key, x-api-key, none',
      'LLM_PROVIDERS_FILE entry 5 (extra): has unknown fields; the fields are: id, display_name, base_url, auth, default_model, models',
      'LLM_PROVIDERS_FILE entry 6 (partial): default_model is required',
      'LLM_PROVIDERS_FILE entry 8 (local-vllm): id local-vllm is listed twice',
      'LLM_PROVIDERS_FILE entry 9: must be a JSON object',
    ]);
    expect(lines.join('\n')).not.toContain('sk-do-not-print');
    expect(lines.join('\n')).not.toContain('passwd');
  });

  it('refuses a base URL with a user name, password, query or fragment, by variable and entry, never quoting it', () => {
    // The SDKs append paths to the root as text: a query or fragment would swallow them, credentials would be sent and quoted in errors.
    const path = providersFile([
      { ...LOCAL, id: 'with-user', base_url: 'http://user:s3cret@127.0.0.1:8000/v1' },
      { ...LOCAL, id: 'with-query', base_url: 'http://127.0.0.1:8000/v1?api-version=s3cret' },
      { ...LOCAL, id: 'with-hash', base_url: 'http://127.0.0.1:8000/v1#s3cret' },
    ]);
    const lines = configLines({
      LLM_PROVIDERS_FILE: path,
      OPENAI_BASE_URL: 'https://user:s3cret@gw.example/v1',
      GROQ_BASE_URL: 'https://gw.example/v1?s3cret',
      MISTRAL_BASE_URL: 'https://gw.example/v1#',
      XAI_BASE_URL: 'https://:s3cret@gw.example/v1',
    });
    const rule = 'must not hold a user name, password, query or fragment';
    expect(lines).toEqual([
      `LLM_PROVIDERS_FILE entry 1 (with-user): base_url ${rule}`,
      `LLM_PROVIDERS_FILE entry 2 (with-query): base_url ${rule}`,
      `LLM_PROVIDERS_FILE entry 3 (with-hash): base_url ${rule}`,
      `OPENAI_BASE_URL ${rule}`,
      `MISTRAL_BASE_URL ${rule}`,
      `GROQ_BASE_URL ${rule}`,
      `XAI_BASE_URL ${rule}`,
    ]);
    expect(lines.join('\n')).not.toContain('s3cret');
    // Plain http to another host stays the operator's choice.
    expect(loadConfig({ OPENAI_BASE_URL: 'http://gw.example/v1' }, dir).providers.baseUrl('openai')).toBe('http://gw.example/v1');
  });

  it("refuses a default_model or models entry that core's model rule refuses (key-shaped), naming the entry, never the value", () => {
    const hex = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const path = providersFile([
      { ...LOCAL, id: 'key-default', default_model: 'sk-s3cret-default' },
      { ...LOCAL, id: 'hex-models', models: ['llama-3.1-8b', hex, 'sk-s3cret-model'] },
      { ...LOCAL, id: 'spaced', models: ['has space'] },
    ]);
    const rule = 'must be a model name: 1 to 256 printable characters without whitespace, not shaped like an API key';
    const lines = configLines({ LLM_PROVIDERS_FILE: path });
    expect(lines).toEqual([
      `LLM_PROVIDERS_FILE entry 1 (key-default): default_model ${rule}`,
      `LLM_PROVIDERS_FILE entry 2 (hex-models): models entry 2 ${rule}`,
      `LLM_PROVIDERS_FILE entry 2 (hex-models): models entry 3 ${rule}`,
      `LLM_PROVIDERS_FILE entry 3 (spaced): models entry 1 ${rule}`,
    ]);
    expect(lines.join('\n')).not.toMatch(/s3cret|a1b2c3/);
  });

  it('takes constructor, a name every object has, as any other provider id', () => {
    // `__proto__` has underscores, which ids may not: core's registry test covers it.
    const [id, variable] = ['constructor', 'CONSTRUCTOR_BASE_URL'];
    const path = providersFile([{ ...LOCAL, id }]);
    expect(loadConfig({ LLM_PROVIDERS_FILE: path }, dir).providers.baseUrl(id)).toBe(LOCAL.base_url);
    const moved = loadConfig({ LLM_PROVIDERS_FILE: path, [variable]: 'http://127.0.0.1:9000/v1' }, dir);
    expect(moved.providers.baseUrl(id)).toBe('http://127.0.0.1:9000/v1');
    expect(moved.providers.get(id).defaultModel).toBe(LOCAL.default_model);
  });

  it('says when LLM_PROVIDERS_FILE cannot be read or is not a JSON array', () => {
    expect(configLines({ LLM_PROVIDERS_FILE: join(dir, 'missing.json') })).toEqual(['LLM_PROVIDERS_FILE cannot be read']);
    expect(configLines({ LLM_PROVIDERS_FILE: providersFile('{ nope') })).toEqual(['LLM_PROVIDERS_FILE is not valid JSON']);
    expect(configLines({ LLM_PROVIDERS_FILE: providersFile({ providers: [] }) })).toEqual(['LLM_PROVIDERS_FILE must hold a JSON array of providers']);
  });
});
