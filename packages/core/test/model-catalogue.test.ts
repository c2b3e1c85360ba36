import { describe, expect, it } from 'vitest';
import { ModelSchema, PROVIDERS, catalogueModel, catalogueModels, catalogueProviderOf, looksLikeApiKey } from '../src/index.js';

describe('the model catalogue', () => {
  it.each(PROVIDERS.map((p) => [p.id, p.defaultModel] as const))("lists %s's default model %s", (provider, defaultModel) => {
    expect(catalogueModel(provider, defaultModel)).not.toBeNull();
  });

  it('lists every id once per provider, as a model settings accept', () => {
    for (const provider of PROVIDERS) {
      const ids = catalogueModels(provider.id).map((m) => m.id);
      expect(new Set(ids).size, provider.id).toBe(ids.length);
    }
    for (const id of PROVIDERS.flatMap((p) => catalogueModels(p.id).map((m) => m.id))) {
      expect(ModelSchema.safeParse(id).success, id).toBe(true);
      expect(looksLikeApiKey(id), id).toBe(false);
    }
  });

  it('lists each model of the two default providers under one of them only', () => {
    const ids = ['anthropic', 'openai'].flatMap((provider) => catalogueModels(provider).map((m) => m.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('knows which provider a model belongs to, and nothing of an id it does not list', () => {
    expect(catalogueProviderOf('gpt-4o')).toBe('openai');
    expect(catalogueProviderOf('claude-sonnet-4-5')).toBe('anthropic');
    expect(catalogueProviderOf('my-gateway/llama-3')).toBeNull();
    expect(catalogueProviderOf('GPT-4O')).toBeNull();
  });
});
