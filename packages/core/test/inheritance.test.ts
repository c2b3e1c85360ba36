import { inspect } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes, InheritanceTooDeepError, LlmSettingsService, isLlmSettingsError, type SettingsStore } from '../src/index.js';
import { createMemoryCipher, createMemorySettingsStore, createScriptedProbe, settingsKeyFor } from '../src/testing/index.js';

const PARENT_KEY = 'sk-proj-PARENT-KEY-aaaabbbb1111';
const CHILD_KEY = 'sk-proj-CHILD-KEY-ccccdddd2222';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => new Error('expected a failure, got success'),
    (e: unknown) => e,
  );
  expect(isLlmSettingsError(error)).toBe(true);
  return (error as { code: string }).code;
}

describe('keys lent by a parent scope', () => {
  let store: SettingsStore;
  let service: LlmSettingsService;
  const cipher = createMemoryCipher({ keys: ['inheritance'] });

  beforeEach(() => {
    store = createMemorySettingsStore();
    service = new LlmSettingsService({ store, cipher, probe: createScriptedProbe(), viewCache: true });
  });

  it('update - a body of inherit_from alone needs no provider, and the child then uses the parent provider, model and key', async () => {
    await service.update({ provider: 'openai', api_key: PARENT_KEY, model: 'gpt-4.1' }, { scope: 'team-3' });
    const linked = await service.update({ inherit_from: 'team-3' }, { scope: 'tenant-a' });
    expect(linked.view).toMatchObject({
      provider: 'openai',
      model: 'gpt-4.1',
      api_key_set: true,
      api_key_masked: null,
      api_key_source: 'inherited',
      inherit_from: 'team-3',
    });
    const resolved = await service.resolve({ scope: 'tenant-a' });
    expect({ provider: resolved.provider, model: resolved.model, key: resolved.apiKey.reveal() }).toEqual({ provider: 'openai', model: 'gpt-4.1', key: PARENT_KEY });
    expect(JSON.stringify(await service.get({ scope: 'tenant-a' }))).not.toContain(PARENT_KEY.slice(-4));
  });

  it('update - refuses a key pasted as inherit_from or named as the scope: nothing stored, no part of it in the error', async () => {
    const key = 'sk-proj-SCOPEKEY-Zq7vXw4TnLpR2mKc9HsJd6';
    await service.update({ provider: 'openai', api_key: CHILD_KEY }, { scope: 'user-1' });
    const attempts = [service.update({ inherit_from: key }, { scope: 'user-1' }), service.update({ provider: 'openai', api_key: CHILD_KEY }, { scope: key }), service.get({ scope: key })];
    for (const attempt of attempts) {
      const error = await attempt.then(
        () => new Error('expected a refusal'),
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: ErrorCodes.VALIDATION_INVALID_INPUT });
      expect(inspect(error, { depth: Infinity })).not.toContain(key.slice(-8));
    }
    const stored = [];
    for await (const record of store.list()) stored.push(record.key);
    expect(stored).toEqual([settingsKeyFor('user-1')]);
    expect((await service.get({ scope: 'user-1' })).view.inherit_from).toBeNull();
  });

  it('get - a scope own key always wins over its parent', async () => {
    await service.update({ provider: 'openai', api_key: PARENT_KEY }, { scope: 'team-3' });
    await service.update({ provider: 'anthropic', api_key: 'sk-ant-api03-CHILD-OWN-eeee3333', inherit_from: 'team-3' }, { scope: 'tenant-a' });
    expect((await service.get({ scope: 'tenant-a' })).view).toMatchObject({ provider: 'anthropic', api_key_source: 'own', inherit_from: 'team-3', api_key_masked: '...3333' });
    expect((await service.resolve({ scope: 'tenant-a' })).apiKey.reveal()).toBe('sk-ant-api03-CHILD-OWN-eeee3333');
  });

  it('get - follows a chain to the first scope with settings, and an update without inherit_from keeps the link', async () => {
    await service.update({ provider: 'openai', api_key: PARENT_KEY, model: 'gpt-4o' }, { scope: 'org' });
    await service.update({ inherit_from: 'org' }, { scope: 'team' });
    await service.update({ inherit_from: 'team' }, { scope: 'user' });
    expect((await service.get({ scope: 'user' })).view).toMatchObject({ model: 'gpt-4o', api_key_source: 'inherited', inherit_from: 'team' });
    await service.update({ provider: 'openai', api_key: CHILD_KEY }, { scope: 'team' });
    expect((await service.get({ scope: 'team' })).view).toMatchObject({ api_key_source: 'own', inherit_from: 'org' });
    expect((await service.resolve({ scope: 'user' })).apiKey.reveal()).toBe(CHILD_KEY);
  });

  it('get - a parent deleted leaves the child with no key, and resolve refuses it', async () => {
    await service.update({ provider: 'openai', api_key: PARENT_KEY }, { scope: 'team-3' });
    await service.update({ inherit_from: 'team-3' }, { scope: 'tenant-a' });
    await service.clear({ scope: 'team-3' });
    expect((await service.get({ scope: 'tenant-a' })).view).toMatchObject({ api_key_set: false, api_key_source: 'none', inherit_from: 'team-3' });
    expect(await codeOf(service.resolve({ scope: 'tenant-a' }))).toBe(ErrorCodes.SETTINGS_NOT_CONFIGURED);
  });

  it('clear - keepLink clears the own provider, model and key, keeps the link, and records a delete of those fields', async () => {
    await service.update({ provider: 'openai', api_key: PARENT_KEY }, { scope: 'team-3' });
    await service.update({ provider: 'anthropic', api_key: 'sk-ant-api03-CHILD-OWN-eeee3333', inherit_from: 'team-3' }, { scope: 'tenant-a' });
    await service.clear({ scope: 'tenant-a', keepLink: true, actor: 'token:t1' });
    expect((await service.get({ scope: 'tenant-a' })).view).toMatchObject({ provider: 'openai', api_key_source: 'inherited', inherit_from: 'team-3' });
    expect((await service.resolve({ scope: 'tenant-a' })).apiKey.reveal()).toBe(PARENT_KEY);
    const [latest] = (await service.history({ scope: 'tenant-a' })).entries;
    expect(latest).toMatchObject({ action: 'delete', actor: 'token:t1', fields: ['provider', 'model', 'api_key'], api_key_changed: true });
  });

  it('clear - keepLink leaves a scope with a link alone untouched, and removes a scope without a link', async () => {
    await service.update({ inherit_from: 'team-3' }, { scope: 'tenant-a' });
    const before = await store.get(settingsKeyFor('tenant-a'));
    await service.clear({ scope: 'tenant-a', keepLink: true });
    expect(await store.get(settingsKeyFor('tenant-a'))).toEqual(before);
    await service.update({ provider: 'openai', api_key: CHILD_KEY }, { scope: 'tenant-b' });
    await service.clear({ scope: 'tenant-b', keepLink: true });
    expect(await store.get(settingsKeyFor('tenant-b'))).toBeNull();
  });

  it('clear - keepLink removes settings that cannot be opened whole, and a replacement of them records that any field, the link too, may have changed', async () => {
    await service.update({ provider: 'openai', api_key: CHILD_KEY, inherit_from: 'team-3' }, { scope: 'lost-a' });
    await service.update({ provider: 'openai', api_key: CHILD_KEY, inherit_from: 'team-3' }, { scope: 'lost-b' });
    // The key they were saved under is gone.
    const rekeyed = new LlmSettingsService({ store, cipher: createMemoryCipher({ keys: ['another'] }), probe: createScriptedProbe() });
    await rekeyed.clear({ scope: 'lost-a', keepLink: true, actor: 'token:t1' });
    expect(await store.get(settingsKeyFor('lost-a'))).toBeNull();
    await rekeyed.update({ provider: 'openai', api_key: PARENT_KEY }, { scope: 'lost-b', actor: 'token:t2' });
    for (const [scope, action] of [['lost-a', 'delete'], ['lost-b', 'update']] as const) {
      const [latest] = (await rekeyed.history({ scope })).entries;
      expect(latest).toMatchObject({ action, fields: ['provider', 'model', 'api_key', 'inherit_from'], api_key_changed: true });
    }
  });

  it('clear - keepLink holds If-Match, and never removes a link written after its read', async () => {
    await service.update({ provider: 'openai', api_key: CHILD_KEY }, { scope: 'tenant-a' });
    const { etag } = await service.get({ scope: 'tenant-a' });
    await service.update({ inherit_from: 'team-3' }, { scope: 'tenant-a' });
    expect(await codeOf(service.clear({ scope: 'tenant-a', keepLink: true, ifMatch: etag }))).toBe(ErrorCodes.SETTINGS_PRECONDITION_FAILED);
    // A link set between the read and the write: the retry reads it and keeps it.
    const read = store.get.bind(store);
    let raced = false;
    store.get = async (key) => {
      const record = await read(key);
      if (!raced && key === settingsKeyFor('tenant-a')) {
        raced = true;
        await service.update({ inherit_from: 'team-9' }, { scope: 'tenant-a' });
      }
      return record;
    };
    await service.clear({ scope: 'tenant-a', keepLink: true });
    expect(raced).toBe(true);
    expect((await service.get({ scope: 'tenant-a' })).view).toMatchObject({ api_key_source: 'none', inherit_from: 'team-9' });
  });

  it('update - inherit_from null stops inheriting; a scope left with nothing is removed', async () => {
    await service.update({ provider: 'openai', api_key: PARENT_KEY }, { scope: 'team-3' });
    await service.update({ inherit_from: 'team-3' }, { scope: 'tenant-a' });
    const stopped = await service.update({ inherit_from: null }, { scope: 'tenant-a' });
    expect(stopped.view).toMatchObject({ api_key_source: 'none', inherit_from: null, api_key_set: false });
    expect(await store.get(settingsKeyFor('tenant-a'))).toBeNull();
  });

  it('update - of two racing links that would close a cycle, one is refused: a process writes links one at a time', async () => {
    const results = await Promise.allSettled([service.update({ inherit_from: 'cycle-b' }, { scope: 'cycle-a' }), service.update({ inherit_from: 'cycle-a' }, { scope: 'cycle-b' })]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((result) => result.status === 'rejected');
    expect(isLlmSettingsError(refused?.reason, ErrorCodes.VALIDATION_INVALID_INPUT)).toBe(true);
    const links = await Promise.all(['cycle-a', 'cycle-b'].map(async (scope) => (await service.get({ scope })).view.inherit_from));
    expect(links.filter((link) => link !== null)).toHaveLength(1);
  });

  it('update - a replacement that keeps a link never puts back one the operator removed between its read and its write', async () => {
    await service.update({ provider: 'openai', api_key: PARENT_KEY }, { scope: 'team-3' });
    await service.update({ provider: 'openai', api_key: CHILD_KEY, inherit_from: 'team-3' }, { scope: 'tenant-a' });
    // The replacement's process: its first write waits until the operator's process has removed the link.
    let beforeFirstWrite: (() => Promise<unknown>) | null = () => service.update({ inherit_from: null }, { scope: 'tenant-a' });
    const delayed = new Proxy(store, {
      get(target, name) {
        if (name !== 'set') return Reflect.get(target, name, target);
        return async (...args: Parameters<SettingsStore['set']>) => {
          const removeLink = beforeFirstWrite;
          beforeFirstWrite = null;
          await removeLink?.();
          return target.set(...args);
        };
      },
    });
    const replacing = new LlmSettingsService({ store: delayed, cipher, probe: createScriptedProbe() });
    const replaced = await replacing.update({ provider: 'openai', api_key: PARENT_KEY, model: 'gpt-4.1' }, { scope: 'tenant-a' });
    expect(beforeFirstWrite).toBeNull();
    expect(replaced.view).toMatchObject({ model: 'gpt-4.1', inherit_from: null });
    expect((await service.get({ scope: 'tenant-a' })).view.inherit_from).toBeNull();
    replacing.close();
  });

  it('update - of two processes racing links that would close a cycle, a link that closes one is put back as it was', async () => {
    // Two services on one store: each checks and writes its links one at a time, not the other's.
    const other = new LlmSettingsService({ store, cipher, probe: createScriptedProbe(), viewCache: true });
    await service.update({ provider: 'openai', api_key: CHILD_KEY }, { scope: 'race-b' });
    const before = await store.get(settingsKeyFor('race-b'));
    // Both checks pass before either write; a write's check, run again once written, sees the other's if it landed.
    const [linkedA, linkedB] = await Promise.allSettled([service.update({ inherit_from: 'race-b' }, { scope: 'race-a' }), other.update({ inherit_from: 'race-a' }, { scope: 'race-b' })]);
    const refused = (result: PromiseSettledResult<unknown>) => result.status === 'rejected' && isLlmSettingsError(result.reason, ErrorCodes.VALIDATION_INVALID_INPUT);
    for (const result of [linkedA, linkedB]) expect(result.status === 'fulfilled' || refused(result)).toBe(true);
    expect(refused(linkedA) || refused(linkedB)).toBe(true);
    // Which one is refused depends on how the writes interleave; each refused link is put back as it was, and no cycle stays.
    expect((await other.get({ scope: 'race-a' })).view.inherit_from).toBe(refused(linkedA) ? null : 'race-b');
    expect((await other.get({ scope: 'race-b' })).view.inherit_from).toBe(refused(linkedB) ? null : 'race-a');
    if (refused(linkedA)) expect(await store.get(settingsKeyFor('race-a'))).toBeNull();
    if (refused(linkedB)) {
      // Put back exactly (the same token: its key and model), the history naming the link set and removed.
      expect((await store.get(settingsKeyFor('race-b')))?.value).toBe(before?.value);
      expect((await other.resolve({ scope: 'race-b' })).apiKey.reveal()).toBe(CHILD_KEY);
      expect((await other.history({ scope: 'race-b' })).entries.map((entry) => entry.fields)).toEqual([['inherit_from'], ['inherit_from'], ['provider', 'model', 'api_key']]);
    }
    other.close();
  });

  it('update - a link put back on a race never undoes a write acknowledged between its read and its write', async () => {
    const NEW_KEY = 'sk-proj-NEW-KEY-eeeeffff3333';
    await service.update({ provider: 'openai', api_key: CHILD_KEY }, { scope: 'put-a' });
    await service.update({ provider: 'openai', api_key: PARENT_KEY }, { scope: 'put-b' });
    // Before the link's first write: the user saves a new key for put-a, then the operator links put-b to put-a.
    let beforeFirstWrite: (() => Promise<unknown>) | null = async () => {
      await service.update({ provider: 'openai', api_key: NEW_KEY }, { scope: 'put-a' });
      await service.update({ inherit_from: 'put-a' }, { scope: 'put-b' });
    };
    const delayed = new Proxy(store, {
      get(target, name) {
        if (name !== 'set') return Reflect.get(target, name, target);
        return async (...args: Parameters<SettingsStore['set']>) => {
          const interleave = args[0] === settingsKeyFor('put-a') ? beforeFirstWrite : null;
          if (interleave !== null) beforeFirstWrite = null;
          await interleave?.();
          return target.set(...args);
        };
      },
    });
    const linking = new LlmSettingsService({ store: delayed, cipher, probe: createScriptedProbe() });
    expect(await codeOf(linking.update({ provider: 'openai', api_key: PARENT_KEY, inherit_from: 'put-b' }, { scope: 'put-a' }))).toBe(ErrorCodes.VALIDATION_INVALID_INPUT);
    expect((await service.resolve({ scope: 'put-a' })).apiKey.reveal()).toBe(NEW_KEY);
    expect((await service.get({ scope: 'put-a' })).view.inherit_from).toBeNull();
    linking.close();
  });

  it('update - a link a racing link up the chain made too long once written is put back and answered 400, not read as too long', async () => {
    for (const [scope, parent] of [['long-3', 'long-4'], ['long-2', 'long-3'], ['long-1', 'long-2']]) await service.update({ inherit_from: parent }, { scope });
    const other = new LlmSettingsService({ store, cipher, probe: createScriptedProbe() });
    // Right after long-0's link is written, another process links long-4 on (its check looks above long-4 alone).
    let interleave: (() => Promise<unknown>) | null = () => other.update({ inherit_from: 'long-5' }, { scope: 'long-4' });
    const racing = new Proxy(store, {
      get(target, name) {
        if (name !== 'set') return Reflect.get(target, name, target);
        return async (...args: Parameters<SettingsStore['set']>) => {
          const written = await target.set(...args);
          const run = interleave;
          interleave = null;
          await run?.();
          return written;
        };
      },
    });
    const linking = new LlmSettingsService({ store: racing, cipher, probe: createScriptedProbe() });
    expect(await codeOf(linking.update({ inherit_from: 'long-1' }, { scope: 'long-0' }))).toBe(ErrorCodes.VALIDATION_INVALID_INPUT);
    expect(await store.get(settingsKeyFor('long-0'))).toBeNull();
    expect((await service.get({ scope: 'long-1' })).view.inherit_from).toBe('long-2');
    linking.close();
    other.close();
  });

  it('update - refuses a cycle, a link to the scope itself, and a chain of more than 4 links, storing nothing', async () => {
    await service.update({ inherit_from: 'b' }, { scope: 'a' });
    expect(await codeOf(service.update({ inherit_from: 'a' }, { scope: 'b' }))).toBe(ErrorCodes.VALIDATION_INVALID_INPUT);
    expect(await codeOf(service.update({ inherit_from: 'a' }, { scope: 'a' }))).toBe(ErrorCodes.VALIDATION_INVALID_INPUT);
    expect(await store.get(settingsKeyFor('b'))).toBeNull();

    await service.update({ provider: 'openai', api_key: PARENT_KEY }, { scope: 's5' });
    for (const [child, parent] of [['s4', 's5'], ['s3', 's4'], ['s2', 's3'], ['s1', 's2']]) await service.update({ inherit_from: parent }, { scope: child });
    expect((await service.resolve({ scope: 's1' })).apiKey.reveal()).toBe(PARENT_KEY);
    expect(await codeOf(service.update({ inherit_from: 's1' }, { scope: 's0' }))).toBe(ErrorCodes.VALIDATION_INVALID_INPUT);
    expect(await store.get(settingsKeyFor('s0'))).toBeNull();
  });

  /** Links `${prefix}0` to `${prefix}1` and so on up to `${prefix}${links}`, which has a key: child first, so that each link is short when written. */
  async function chainBuiltChildFirst(prefix: string, links: number): Promise<void> {
    await service.update({ provider: 'openai', api_key: PARENT_KEY }, { scope: `${prefix}${links}` });
    for (let child = 0; child < links; child++) await service.update({ inherit_from: `${prefix}${child + 1}` }, { scope: `${prefix}${child}` });
  }

  it('get - a chain of 4 links built child first inherits from its far end', async () => {
    await chainBuiltChildFirst('four-', 4);
    expect((await service.get({ scope: 'four-0' })).view).toMatchObject({ api_key_source: 'inherited', inherit_from: 'four-1', provider: 'openai' });
    expect((await service.resolve({ scope: 'four-0' })).apiKey.reveal()).toBe(PARENT_KEY);
  });

  it('get, resolve, test and listModels - a chain of 5 links built child first is a problem naming the scope, never a read of no settings', async () => {
    await chainBuiltChildFirst('five-', 5);
    expect((await service.get({ scope: 'five-1' })).view.api_key_source).toBe('inherited');
    const asked = { scope: 'five-0' };
    for (const attempt of [() => service.get(asked), () => service.resolve(asked), () => service.test(asked), () => service.listModels(asked)]) {
      const error = await attempt().then(
        () => new Error('expected a failure, got success'),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InheritanceTooDeepError);
      expect(error).toMatchObject({ code: ErrorCodes.SETTINGS_INHERITANCE_TOO_DEEP });
      const { message } = error as Error;
      expect(message).toContain('inherit_from chain of scope five-0 is longer than 4 links');
      expect(message).toMatch(/Shorten the chain/);
      expect(message).not.toMatch(/five-[1-5]/);
      expect(inspect(error, { depth: Infinity })).not.toContain(PARENT_KEY.slice(-8));
    }
    // Shortened, it reads again.
    await service.update({ inherit_from: 'five-2' }, { scope: 'five-0' });
    expect((await service.get({ scope: 'five-0' })).view.api_key_source).toBe('inherited');
  });

  it('get and resolve - an own value that cannot be decrypted is an error, never a fall-back to the parent key', async () => {
    await service.update({ provider: 'openai', api_key: PARENT_KEY }, { scope: 'team-3' });
    await service.update({ provider: 'openai', api_key: CHILD_KEY, inherit_from: 'team-3' }, { scope: 'tenant-a' });
    const foreign = await createMemoryCipher({ keys: ['another key'] }).encrypt(JSON.stringify({ provider: 'openai', model: 'm', api_key: CHILD_KEY, scope: 'tenant-a' }));
    await store.set(settingsKeyFor('tenant-a'), foreign);
    expect(await codeOf(service.get({ scope: 'tenant-a' }))).toBe(ErrorCodes.CRYPTO_UNDECRYPTABLE);
    expect(await codeOf(service.resolve({ scope: 'tenant-a' }))).toBe(ErrorCodes.CRYPTO_UNDECRYPTABLE);
    expect(await codeOf(service.update({ inherit_from: null }, { scope: 'tenant-a' }))).toBe(ErrorCodes.CRYPTO_UNDECRYPTABLE);
  });

  it('get and resolve - a parent write reaches a child whose view is cached at once', async () => {
    await service.update({ provider: 'openai', api_key: PARENT_KEY, model: 'gpt-4o' }, { scope: 'team-3' });
    await service.update({ inherit_from: 'team-3' }, { scope: 'tenant-a' });
    expect((await service.get({ scope: 'tenant-a' })).view.model).toBe('gpt-4o');
    await service.update({ provider: 'openai', api_key: CHILD_KEY, model: 'gpt-4.1' }, { scope: 'team-3' });
    expect((await service.get({ scope: 'tenant-a' })).view.model).toBe('gpt-4.1');
    expect((await service.resolve({ scope: 'tenant-a' })).apiKey.reveal()).toBe(CHILD_KEY);
  });

  it('update - a body without provider that is not inherit_from alone is refused on provider', async () => {
    expect(await codeOf(service.update({ model: 'gpt-4o', inherit_from: 'team-3' }))).toBe(ErrorCodes.VALIDATION_INVALID_INPUT);
    expect(await codeOf(service.update({}))).toBe(ErrorCodes.VALIDATION_INVALID_INPUT);
  });
});
