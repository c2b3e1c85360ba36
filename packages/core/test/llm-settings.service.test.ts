import { inspect } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ErrorCodes,
  LlmSettingsService,
  isLlmSettingsError,
  type Logger,
  type SettingsStore,
} from '../src/index.js';
import { createMemoryCipher, createMemorySettingsStore, createScriptedProbe, settingsKeyFor, type ScriptedProbe } from '../src/testing/index.js';

const ANTHROPIC_KEY = 'sk-ant-api03-REAL-KEY-abcdefgh1234';
const OPENAI_KEY = 'sk-proj-OPENAI-KEY-zyxwvuts9876';

interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

function captureLogger(lines: LogLine[]): Logger {
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => lines.push({ level, fields, message });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<Error> {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}, got success`);
    },
    (e: unknown) => e,
  );
  expect(isLlmSettingsError(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  return error as Error;
}

describe('LlmSettingsService', () => {
  let store: SettingsStore;
  let cipher: ReturnType<typeof createMemoryCipher>;
  let probe: ScriptedProbe;
  let logs: LogLine[];
  let service: LlmSettingsService;

  beforeEach(() => {
    store = createMemorySettingsStore();
    cipher = createMemoryCipher({ keys: ['key-a'] });
    probe = createScriptedProbe();
    logs = [];
    service = new LlmSettingsService({ store, cipher, probe, logger: captureLogger(logs), probeTimeoutMs: 1234 });
  });

  describe('get', () => {
    it('returns the defaults when nothing is stored', async () => {
      const snapshot = await service.get();
      // The contract's defaults, which the HTTP adapter and the server answer as they are.
      const noKey = { api_key_set: false, api_key_masked: null, api_key_source: 'none', updated_at: null, inherit_from: null };
      expect(snapshot.view).toEqual({ provider: 'anthropic', model: 'claude-sonnet-4-20250514', model_verified: true, ...noKey });
      expect(snapshot.etag).toBe('0');
      expect(snapshot.version).toBe(0);
    });

    it('shows the stored settings with a masked key and an ISO timestamp', async () => {
      await service.update({ provider: 'openai', api_key: OPENAI_KEY, model: 'gpt-4.1' });
      const { view } = await service.get();
      expect(view).toEqual({
        provider: 'openai',
        model: 'gpt-4.1',
        api_key_set: true,
        api_key_masked: '...9876',
        updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        model_verified: true,
        api_key_source: 'own',
        inherit_from: null,
      });
    });

    it('rejects an invalid scope name', async () => {
      await expectCode(service.get({ scope: 'bad scope' }), ErrorCodes.VALIDATION_INVALID_INPUT);
    });
  });

  describe('update', () => {
    it('stores a cipher token of {provider, model, api_key, scope, origin} under llm_config', async () => {
      await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
      const record = await store.get('llm_config');
      expect(record).not.toBeNull();
      expect(record!.value).not.toContain(ANTHROPIC_KEY);
      expect(JSON.parse(await cipher.decrypt(record!.value))).toEqual({
        provider: 'anthropic',
        model: 'claude-sonnet-4-20250514',
        api_key: ANTHROPIC_KEY,
        scope: 'default',
        origin: 'https://api.anthropic.com',
      });
    });

    it('stores other scopes under llm_config:<scope>, independently', async () => {
      await service.update({ provider: 'openai', api_key: OPENAI_KEY }, { scope: 'tenant-7' });
      expect(settingsKeyFor('tenant-7')).toBe('llm_config:tenant-7');
      expect(await store.get('llm_config:tenant-7')).not.toBeNull();
      expect(await store.get('llm_config')).toBeNull();
      expect((await service.get({ scope: 'tenant-7' })).view.provider).toBe('openai');
      expect((await service.get()).view.api_key_set).toBe(false);
    });

    it('refuses a token copied onto another scope row', async () => {
      await service.update({ provider: 'openai', api_key: OPENAI_KEY }, { scope: 'tenant-a' });
      const token = (await store.get('llm_config:tenant-a'))!.value;
      await store.set('llm_config:tenant-b', token);
      await expectCode(service.get({ scope: 'tenant-b' }), ErrorCodes.SETTINGS_CORRUPTED);
      await expectCode(service.test({ scope: 'tenant-b' }), ErrorCodes.SETTINGS_CORRUPTED);
    });

    it('refuses stored plaintext that is not valid settings JSON', async () => {
      await store.set('llm_config', await cipher.encrypt('{"provider":"openai"'));
      await expectCode(service.get(), ErrorCodes.SETTINGS_CORRUPTED);
    });

    it('uses the provider default model when model is omitted', async () => {
      await service.update({ provider: 'openai', api_key: OPENAI_KEY, model: 'gpt-4.1' });
      const { view } = await service.update({ provider: 'openai' });
      expect(view.model).toBe('gpt-4o');
    });

    it('keeps the stored key when api_key is omitted and the provider is unchanged', async () => {
      await service.update({ provider: 'openai', api_key: OPENAI_KEY });
      const { view } = await service.update({ provider: 'openai', model: 'gpt-4o-mini' });
      expect(view).toMatchObject({ model: 'gpt-4o-mini', api_key_masked: '...9876', api_key_set: true });
      const stored = JSON.parse(await cipher.decrypt((await store.get('llm_config'))!.value));
      expect(stored.api_key).toBe(OPENAI_KEY);
    });

    it('requires api_key when the provider changes', async () => {
      await service.update({ provider: 'openai', api_key: OPENAI_KEY });
      const error = await expectCode(service.update({ provider: 'anthropic' }), ErrorCodes.VALIDATION_API_KEY_REQUIRED);
      expect(error.message).toContain('provider changes');
      expect((await service.get()).view.provider).toBe('openai');
    });

    it('requires api_key when nothing is stored yet', async () => {
      await expectCode(service.update({ provider: 'openai' }), ErrorCodes.VALIDATION_API_KEY_REQUIRED);
      expect(await store.get('llm_config')).toBeNull();
    });

    it('rejects invalid input with field issues and stores nothing', async () => {
      const error = await expectCode(
        service.update({ provider: 'gemini', api_key: 'sk-****1234', extra: true }),
        ErrorCodes.VALIDATION_INVALID_INPUT,
      );
      const issues = (error as unknown as { issues: { path: string }[] }).issues.map((i) => i.path).sort();
      expect(issues).toEqual(['(body)', 'api_key', 'provider']);
      expect(await store.get('llm_config')).toBeNull();
    });

    it('gives every write a new etag and version', async () => {
      const first = await service.update({ provider: 'openai', api_key: OPENAI_KEY });
      const second = await service.update({ provider: 'openai', api_key: OPENAI_KEY });
      expect(first.version).toBe(1);
      expect(second.version).toBe(2);
      expect(second.etag).not.toBe(first.etag);
      expect((await service.get()).etag).toBe(second.etag);
    });

    it('honours If-Match: the current etag writes, a stale one fails with a precondition error', async () => {
      const first = await service.update({ provider: 'openai', api_key: OPENAI_KEY });
      await service.update({ provider: 'openai', api_key: OPENAI_KEY, model: 'a' }, { ifMatch: first.etag });
      await expectCode(
        service.update({ provider: 'openai', api_key: OPENAI_KEY, model: 'b' }, { ifMatch: first.etag }),
        ErrorCodes.SETTINGS_PRECONDITION_FAILED,
      );
      expect((await service.get()).view.model).toBe('a');
    });

    it('treats If-Match "*" as "must exist" and "0" as "must not exist"', async () => {
      await expectCode(service.update({ provider: 'openai', api_key: OPENAI_KEY }, { ifMatch: '*' }), ErrorCodes.SETTINGS_PRECONDITION_FAILED);
      await service.update({ provider: 'openai', api_key: OPENAI_KEY }, { ifMatch: '0' });
      await expectCode(service.update({ provider: 'openai', api_key: OPENAI_KEY }, { ifMatch: '0' }), ErrorCodes.SETTINGS_PRECONDITION_FAILED);
      await service.update({ provider: 'openai', api_key: OPENAI_KEY }, { ifMatch: '*' });
    });

    it('refuses an If-Match that is not a string or a list of strings (a version number, say) with a ValidationError, writing nothing', async () => {
      const first = await service.update({ provider: 'openai', api_key: OPENAI_KEY, model: 'a' });
      for (const ifMatch of [first.version, [first.version], null, {}]) {
        await expectCode(service.update({ provider: 'openai', api_key: OPENAI_KEY, model: 'b' }, { ifMatch: ifMatch as never }), ErrorCodes.VALIDATION_INVALID_INPUT);
        await expectCode(service.clear({ ifMatch: ifMatch as never }), ErrorCodes.VALIDATION_INVALID_INPUT);
      }
      expect((await service.get()).view.model).toBe('a');
    });

    it('does not reuse an etag after the settings are deleted and written again', async () => {
      const before = await service.update({ provider: 'openai', api_key: OPENAI_KEY });
      await service.clear();
      await new Promise((r) => setTimeout(r, 5));
      const after = await service.update({ provider: 'openai', api_key: OPENAI_KEY });
      expect(after.version).toBe(before.version);
      expect(after.etag).not.toBe(before.etag);
    });

    it('retries a key-keeping update that lost a race, and reports a conflict when it keeps losing', async () => {
      await service.update({ provider: 'openai', api_key: OPENAI_KEY });
      let interfere = 1;
      const racing: SettingsStore = {
        ...store,
        async set(key, value, options) {
          if (interfere-- > 0) await store.set(key, await cipher.encrypt(JSON.stringify({ provider: 'openai', model: 'x', api_key: OPENAI_KEY, scope: 'default' })));
          return store.set(key, value, options);
        },
      };
      const racy = new LlmSettingsService({ store: racing, cipher, probe });
      expect((await racy.update({ provider: 'openai', model: 'kept' })).view.model).toBe('kept');

      interfere = Number.POSITIVE_INFINITY;
      await expectCode(racy.update({ provider: 'openai', model: 'lost' }), ErrorCodes.SETTINGS_CONFLICT);
    });

    it('logs the change without the key', async () => {
      await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
      expect(logs).toHaveLength(1);
      expect(logs[0]!.fields).toMatchObject({ scope: 'default', provider: 'anthropic', version: 1 });
      expect(JSON.stringify(logs)).not.toContain(ANTHROPIC_KEY.slice(-8));
    });
  });

  describe('clear', () => {
    it('removes the settings so the defaults show again, and clearing twice is fine', async () => {
      await service.update({ provider: 'openai', api_key: OPENAI_KEY });
      await service.clear();
      expect((await service.get()).view.api_key_set).toBe(false);
      await service.clear();
    });

    it('honours If-Match', async () => {
      const snapshot = await service.update({ provider: 'openai', api_key: OPENAI_KEY });
      await expectCode(service.clear({ ifMatch: '7-x' }), ErrorCodes.SETTINGS_PRECONDITION_FAILED);
      await service.clear({ ifMatch: snapshot.etag });
      expect(await store.get('llm_config')).toBeNull();
    });
  });

  describe('test', () => {
    it('tests a candidate without storing anything', async () => {
      const result = await service.test({ candidate: { provider: 'openai', api_key: ` ${OPENAI_KEY} ` } });
      expect(result).toEqual({ success: true, message: 'Connection OK.', latency_ms: 1, code: 'ok' });
      expect(probe.calls).toEqual([{ provider: 'openai', apiKey: OPENAI_KEY, model: 'gpt-4o', timeoutMs: 1234, partition: 'default' }]);
      expect(await store.get('llm_config')).toBeNull();
    });

    it('tests the stored settings when there is no candidate', async () => {
      await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY, model: 'claude-x' });
      await service.test();
      expect(probe.calls[0]).toMatchObject({ provider: 'anthropic', apiKey: ANTHROPIC_KEY, model: 'claude-x' });
    });

    it('reports not configured when nothing is stored and no candidate is given', async () => {
      await expectCode(service.test(), ErrorCodes.SETTINGS_NOT_CONFIGURED);
      expect(probe.calls).toHaveLength(0);
    });

    it('validates the candidate', async () => {
      await expectCode(service.test({ candidate: { provider: 'openai' } }), ErrorCodes.VALIDATION_INVALID_INPUT);
      await expectCode(service.test({ candidate: { provider: 'openai', api_key: '...1234' } }), ErrorCodes.VALIDATION_INVALID_INPUT);
      expect(probe.calls).toHaveLength(0);
    });

    it('maps failed outcomes to success false with the code, and rounds latency', async () => {
      const failing = new LlmSettingsService({
        store,
        cipher,
        probe: createScriptedProbe(() => ({ code: 'invalid_api_key', message: 'OpenAI rejected the API key.', latencyMs: 41.6 })),
      });
      expect(await failing.test({ candidate: { provider: 'openai', api_key: OPENAI_KEY } })).toEqual({
        success: false,
        message: 'OpenAI rejected the API key.',
        latency_ms: 42,
        code: 'invalid_api_key',
      });
    });

    it('passes the caller signal to the probe', async () => {
      const controller = new AbortController();
      await service.test({ candidate: { provider: 'openai', api_key: OPENAI_KEY }, signal: controller.signal });
      expect(probe.calls[0]!.signal).toBe(controller.signal);
    });
  });

  describe('settings no configured key can decrypt', () => {
    beforeEach(async () => {
      await service.update({ provider: 'openai', api_key: OPENAI_KEY });
      service = new LlmSettingsService({ store, cipher: createMemoryCipher({ keys: ['key-c'] }), probe });
    });

    it('get fails with a typed error saying the encryption key does not match', async () => {
      const error = await expectCode(service.get(), ErrorCodes.CRYPTO_UNDECRYPTABLE);
      expect(error.message).toContain('encryption key does not match');
    });

    it('test of the stored settings fails the same way and calls no provider', async () => {
      await expectCode(service.test(), ErrorCodes.CRYPTO_UNDECRYPTABLE);
      expect(probe.calls).toHaveLength(0);
    });

    it('a key-keeping update fails and overwrites nothing', async () => {
      const before = await store.get('llm_config');
      await expectCode(service.update({ provider: 'openai' }), ErrorCodes.CRYPTO_UNDECRYPTABLE);
      expect(await store.get('llm_config')).toEqual(before);
    });

    it('an update with a new key recovers', async () => {
      const { view } = await service.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
      expect(view.api_key_masked).toBe('...1234');
      expect((await service.get()).view.provider).toBe('anthropic');
    });

    it('an update with a new key recovers with views cached too', async () => {
      const cached = new LlmSettingsService({ store, cipher: createMemoryCipher({ keys: ['key-c'] }), probe, viewCache: true });
      await expectCode(cached.get(), ErrorCodes.CRYPTO_UNDECRYPTABLE);
      const { view } = await cached.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY });
      expect(view.api_key_masked).toBe('...1234');
      expect((await cached.get()).view.provider).toBe('anthropic');
      cached.close();
    });

    it('clear recovers', async () => {
      await service.clear();
      expect((await service.get()).view.api_key_set).toBe(false);
    });
  });

  describe('resolve', () => {
    it('gives provider, model, version and the key as a Secret that prints its mask', async () => {
      const saved = await service.update({ provider: 'openai', api_key: OPENAI_KEY, model: 'gpt-4.1' }, { scope: 'tenant-1' });
      const resolved = await service.resolve({ scope: 'tenant-1' });
      expect(resolved).toMatchObject({ provider: 'openai', model: 'gpt-4.1', version: saved.version });
      expect(resolved.apiKey.reveal()).toBe(OPENAI_KEY);
      const printed = [String(resolved.apiKey), `${resolved.apiKey}`, JSON.stringify(resolved), inspect(resolved), inspect(resolved.apiKey)];
      for (const text of printed) expect(text).not.toContain(OPENAI_KEY.slice(0, 12));
      expect(JSON.stringify(resolved)).toContain('"apiKey":"...9876"');
      expect(inspect(resolved.apiKey)).toBe('Secret(...9876)');
      expect(Object.keys(resolved.apiKey)).toEqual([]);
      expect({ ...resolved.apiKey }).toEqual({});
    });

    it('answers SETTINGS.NOT_CONFIGURED when nothing is stored, CRYPTO.UNDECRYPTABLE when the key does not match', async () => {
      await expectCode(service.resolve(), ErrorCodes.SETTINGS_NOT_CONFIGURED);
      await service.update({ provider: 'openai', api_key: OPENAI_KEY });
      const other = new LlmSettingsService({ store, cipher: createMemoryCipher({ keys: ['key-b'] }), probe });
      await expectCode(other.resolve(), ErrorCodes.CRYPTO_UNDECRYPTABLE);
    });

    it('with views cached, reads the store once and sees the next write at once', async () => {
      let reads = 0;
      const counting: SettingsStore = { ...store, get: (key) => (reads++, store.get(key)) };
      await new LlmSettingsService({ store, cipher, probe }).update({ provider: 'openai', api_key: OPENAI_KEY, model: 'a' });
      const cached = new LlmSettingsService({ store: counting, cipher, probe, viewCache: true });
      for (let i = 0; i < 5; i++) expect((await cached.resolve()).model).toBe('a');
      expect(reads).toBe(1);
      await cached.update({ provider: 'anthropic', api_key: ANTHROPIC_KEY, model: 'b' });
      expect(await cached.resolve()).toMatchObject({ provider: 'anthropic', model: 'b' });
      expect((await cached.resolve()).apiKey.reveal()).toBe(ANTHROPIC_KEY);
      cached.close();
    });
  });

  describe('If-Match lists', () => {
    it('hold when any tag is the current one, and never when none is', async () => {
      const first = await service.update({ provider: 'openai', api_key: OPENAI_KEY });
      const second = await service.update({ provider: 'openai', model: 'm2' }, { ifMatch: ['1-zzz', first.etag] });
      expect(second.view.model).toBe('m2');
      await expectCode(service.update({ provider: 'openai', model: 'm3' }, { ifMatch: [first.etag, '9-x'] }), ErrorCodes.SETTINGS_PRECONDITION_FAILED);
      await expectCode(service.clear({ ifMatch: [] }), ErrorCodes.SETTINGS_PRECONDITION_FAILED);
      await service.clear({ ifMatch: ['x', second.etag] });
      expect((await service.get()).view.api_key_set).toBe(false);
    });
  });
});
