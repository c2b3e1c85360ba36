import { describe, expect, it } from 'vitest';
import { isSecretFieldName, PROVIDERS, REDACTED, redactDeep, redactedFields, redactLogText, redactText, Secret, SECRET_FIELD_NAMES } from '../src/index.js';
import { NAMES_LIKE_PREFIXES, PREFIXED_KEYS } from './prefixed-keys.js';

describe('redactText', () => {
  it('replaces provider-key-shaped substrings and masked echoes of them', () => {
    expect(redactText('key sk-ant-api03-AbC_dEf-123 failed')).toBe(`key ${REDACTED} failed`);
    expect(redactText('Incorrect API key provided: sk-proj-****abcd.')).toBe(`Incorrect API key provided: ${REDACTED}.`);
  });

  it('replaces masked echoes whose mask hides all but the last four: after the prefix, or bullets and asterisks alone', () => {
    for (const echo of ['sk-…abcd', 'sk-...abcd', 'sk-proj-abcdefgh...wxyz', '••••abcd', '****abcd', 'sk-••••abcd']) {
      expect(redactText(`key ${echo}, refused`), echo).toBe(`key ${REDACTED}, refused`);
    }
  });

  it("leaves our own mask (...abcd) and ordinary punctuation alone", () => {
    expect(redactText('api_key_masked ...abcd; wait... done; **bold** text')).toBe('api_key_masked ...abcd; wait... done; **bold** text');
  });

  it('replaces every given secret', () => {
    expect(redactText('a=hunter2hunter2; b=hunter2hunter2', ['hunter2hunter2'])).toBe(`a=${REDACTED}; b=${REDACTED}`);
  });

  it('leaves ordinary text alone', () => {
    expect(redactText('model gpt-4o not found (task-sk)')).toBe('model gpt-4o not found (task-sk)');
  });
});

describe('redactText - keys without the sk- prefix', () => {
  it.each(PREFIXED_KEYS)('replaces a %s key in text, whole', (_provider, key) => {
    expect(redactText(`Incorrect API key provided: ${key}.`)).toBe(`Incorrect API key provided: ${REDACTED}.`);
    expect(redactText(`values=${key},other`)).toBe(`values=${REDACTED},other`);
  });

  it.each(PREFIXED_KEYS)('replaces a %s key in a field of any name, and a masked echo of one', (_provider, key) => {
    expect(redactDeep({ values: [key], scope: key })).toEqual({ values: [REDACTED], scope: REDACTED });
    const echo = `${key.slice(0, 4)}...${key.slice(-4)}`;
    expect(redactText(`key ${echo} refused`)).toBe(`key ${REDACTED} refused`);
  });

  it('leaves names and words that merely start like those keys alone', () => {
    for (const name of [...NAMES_LIKE_PREFIXES, 'model xai-org/grok-1', 'AIzaWord and gsk_ alone']) expect(redactText(name), name).toBe(name);
  });
});

describe('SECRET_FIELD_NAMES', () => {
  it("names the header every built-in provider's key travels in", () => {
    for (const { id, auth } of PROVIDERS) {
      if (auth === 'none') continue;
      expect(SECRET_FIELD_NAMES, id).toContain(auth === 'bearer' ? 'authorization' : auth);
    }
  });

  it("redacts Azure OpenAI's api-key header and Google's x-goog-api-key", () => {
    const headers = { 'api-key': '3f9c2a7b8e1d4c6fa0b5e9d2c7a4f1e8', 'X-Goog-Api-Key': 'fake-google-key-0123456789', accept: 'application/json' };
    expect(redactDeep({ headers })).toEqual({ headers: { 'api-key': REDACTED, 'X-Goog-Api-Key': REDACTED, accept: 'application/json' } });
  });
});

describe('isSecretFieldName', () => {
  it('takes a name ending, in any case and without _ or -, with key, token, secret, password, authorization or cookie', () => {
    const secret = [...SECRET_FIELD_NAMES, 'ENCRYPTION_KEY', 'encryptionKey', 'OPENAI_API_KEY', 'SETTINGS_TOKEN_SECRET', 'tokenSecrets', 'PGPASSWORD', 'sslpassword', 'Proxy-Authorization', 'Set-Cookie', 'private_key', 'refresh-token', 'GOOGLE_APPLICATION_CREDENTIALS'];
    expect(secret.filter((name) => !isSecretFieldName(name))).toEqual([]);
  });

  it('leaves names that describe a secret without holding it, and usage counts', () => {
    const described = ['api_key_set', 'api_key_masked', 'api_key_source', 'key_check', 'keyTest', 'input_tokens', 'output_tokens', 'cache_read_input_tokens', 'max_tokens', 'token_count', 'x-ratelimit-remaining-tokens', 'api_key_length', 'scope', 'provider', 'kid'];
    expect(described.filter(isSecretFieldName)).toEqual([]);
  });
});

describe('redactLogText', () => {
  it("replaces a URL's password and its secret-named query values, and leaves the rest of the URL", () => {
    expect(redactLogText('connecting to postgres://app:p@ss:w0rd@db:5432/x?sslmode=require&sslpassword=k3y now')).toBe(
      `connecting to postgres://app:${REDACTED}@db:5432/x?sslmode=require&sslpassword=${REDACTED} now`,
    );
    expect(redactLogText('GET https://gw.example/v1/models?key=abc123&alt=json')).toBe(`GET https://gw.example/v1/models?key=${REDACTED}&alt=json`);
    expect(redactLogText('https://gw.example:8443/v1?page=2 and http://user@host/x')).toBe('https://gw.example:8443/v1?page=2 and http://user@host/x');
  });

  it('redacts what redactText does', () => {
    expect(redactLogText('key sk-ant-api03-AbC_dEf-123')).toBe(`key ${REDACTED}`);
  });
});

describe('redactDeep', () => {
  it('passes fields marked by redactedFields as they are, and walks a marked object met below the top', () => {
    const marked = redactedFields({ route: '/api/settings/llm', note: 'sk-live-1234567890' });
    expect(redactDeep(marked)).toBe(marked);
    const { inner } = redactDeep({ inner: marked }) as { inner: typeof marked };
    expect([inner.route, inner.note]).toEqual(['/api/settings/llm', REDACTED]);
  });

  it('redactedFields - the mark is not serialized', () => {
    expect(JSON.stringify(redactedFields({ a: 1 }))).toBe('{"a":1}');
  });

  it('replaces secret-named fields at any depth and key-shaped strings anywhere', () => {
    const input = { api_key: 'x', nested: { Authorization: 'Bearer t', list: ['sk-live-1234567890'] }, ok: 1 };
    expect(redactDeep(input)).toEqual({ api_key: REDACTED, nested: { Authorization: REDACTED, list: [REDACTED] }, ok: 1 });
  });

  it('keeps a secret-named field that is null or a boolean: it says whether a secret is there, not what it is', () => {
    expect(redactDeep({ api_key: null, has_api_key: true, token: 0, password: '' })).toEqual({ api_key: null, has_api_key: true, token: REDACTED, password: REDACTED });
  });

  it("writes an object with toJSON as JSON.stringify would, then redacts that: a class's hidden field stays hidden", () => {
    class Endpoint {
      readonly url = 'https://idp.example/jwks?appid=hunter2';
      toJSON() {
        return { url: 'https://idp.example/jwks?appid=***', note: 'sk-live-1234567890' };
      }
    }
    expect(redactDeep({ endpoint: new Endpoint() })).toEqual({ endpoint: { url: 'https://idp.example/jwks?appid=***', note: REDACTED } });
    const secret = new Secret('correct-horse-battery-staple-42');
    expect(redactDeep({ at: new Date(0), key: secret, shown: secret })).toEqual({ at: '1970-01-01T00:00:00.000Z', key: REDACTED, shown: String(secret) });
  });

  it('falls back to the own fields of an object whose toJSON throws, or returns the object itself', () => {
    const throwing = {
      a: 'sk-live-1234567890',
      toJSON: () => {
        throw new Error('no');
      },
    };
    const itself = {
      a: 1,
      toJSON() {
        return this;
      },
    };
    expect(redactDeep({ throwing, itself })).toMatchObject({ throwing: { a: REDACTED }, itself: { a: 1 } });
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redactDeep(a)).toEqual({ name: 'a', self: '[Truncated]' });
  });
});

describe('redactDeep copies', () => {
  it('returns clean plain data unchanged, without copying', () => {
    const clean = { route: '/api/settings/llm', status: 200, tags: ['a', 'b'], nested: { ok: true } };
    expect(redactDeep(clean)).toBe(clean);
  });

  it('copies only what it changes and never mutates the input', () => {
    const input = { keep: { a: 1 }, change: { api_key: 'x' } };
    const out = redactDeep(input) as typeof input;
    expect(out).not.toBe(input);
    expect(out.keep).toBe(input.keep);
    expect(out.change).toEqual({ api_key: REDACTED });
    expect(input.change.api_key).toBe('x');
  });

  it('turns other objects into plain copies of their own fields, dropping what they hide', () => {
    const error = Object.assign(new Error('sk-ant-api03-hidden-in-message'), { code: 'E1' });
    expect(redactDeep(error)).toEqual({ code: 'E1' });
    expect(JSON.stringify(redactDeep({ error }))).not.toContain('hidden');
  });
});
