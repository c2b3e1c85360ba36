import { request } from 'node:http';
import { ConfigError } from '@llm-settings/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../src/index.js';
import { startServer, type TestServer } from './helpers.js';

const FRONTEND = 'https://admin.example.com';
const TOKEN = 'cors-test-token-0123456789abcdef';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with exactly these headers (fetch would not send Origin as given). */
function send(url: string, method: string, headers: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const corsHeadersOf = (answer: RawAnswer) => Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'));
const preflight = (origin: string, method = 'PUT') => ({
  origin,
  'access-control-request-method': method,
  'access-control-request-headers': 'authorization, content-type, if-match, if-none-match, llm-settings-scope',
});

describe('CORS', () => {
  it('lets a listed origin read answers and problems, with ETag exposed', async () => {
    server = await startServer({ corsOrigins: [FRONTEND, 'http://localhost:5173'], apiToken: TOKEN });
    const ok = await send(`${server.url}/api/settings/llm`, 'GET', { origin: FRONTEND, authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(FRONTEND);
    expect(String(ok.headers['access-control-expose-headers']).split(',')).toContain('ETag');
    expect(ok.headers.etag).toBe('"0"');
    expect(ok.headers.vary).toMatch(/Origin/);
    expect(ok.headers['access-control-allow-credentials']).toBeUndefined();

    const refused = await send(`${server.url}/api/settings/llm`, 'GET', { origin: 'http://localhost:5173' });
    expect(refused.status).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe('http://localhost:5173');
  });

  it('answers a preflight of a listed origin 204 with the methods and the headers the API takes', async () => {
    server = await startServer({ corsOrigins: [FRONTEND], apiToken: TOKEN });
    const answer = await send(`${server.url}/api/settings/llm`, 'OPTIONS', preflight(FRONTEND));
    expect(answer.status).toBe(204);
    expect(answer.body).toBe('');
    expect(answer.headers['access-control-allow-origin']).toBe(FRONTEND);
    expect(String(answer.headers['access-control-allow-methods']).split(',')).toEqual(['GET', 'HEAD', 'PUT', 'POST', 'DELETE']);
    expect(String(answer.headers['access-control-allow-headers']).split(',')).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'if-match', 'if-none-match', 'llm-settings-scope']),
    );
    expect(answer.headers['access-control-max-age']).toBe('600');
  });

  it.each([
    ['an attacker origin', 'https://evil.example'],
    ['a listed host under another scheme', 'http://admin.example.com'],
    ['a listed host on another port', 'https://admin.example.com:8443'],
    ['a name that extends a listed one', 'https://admin.example.com.evil.example'],
    ['the null origin of sandboxed and file pages', 'null'],
  ])('refuses %s with 403 and no CORS header, on answers and preflights', async (_name, origin) => {
    server = await startServer({ corsOrigins: [FRONTEND] });
    const answer = await send(`${server.url}/api/settings/llm`, 'GET', { origin });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'HTTP.FORBIDDEN_ORIGIN' });
    expect(corsHeadersOf(answer)).toEqual([]);
    const refusedPreflight = await send(`${server.url}/api/settings/llm`, 'OPTIONS', preflight(origin));
    expect(refusedPreflight.status).toBe(403);
    expect(corsHeadersOf(refusedPreflight)).toEqual([]);
  });

  it('sets no CORS header at all without corsOrigins', async () => {
    server = await startServer();
    const answer = await send(`${server.url}/api/settings/llm`, 'OPTIONS', preflight(FRONTEND));
    expect(answer.status).toBe(403);
    expect(corsHeadersOf(answer)).toEqual([]);
  });

  it("lets a listed origin through the Host and Origin checks, and still refuses others' pages", async () => {
    server = await startServer({ corsOrigins: [FRONTEND], allowedHosts: ['settings.internal'] });
    const allowed = await send(`${server.url}/api/settings/llm`, 'GET', { origin: FRONTEND });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe(FRONTEND);
    expect((await send(`${server.url}/api/settings/llm`, 'OPTIONS', preflight(FRONTEND))).status).toBe(204);

    for (const origin of ['https://evil.example', 'null']) {
      const refused = await send(`${server.url}/api/settings/llm`, 'GET', { origin });
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body)).toMatchObject({ code: 'HTTP.FORBIDDEN_ORIGIN' });
      expect(corsHeadersOf(refused)).toEqual([]);
    }
    // A rebound Host is refused before any CORS header is set, even from a listed origin.
    const rebound = await send(`${server.url}/api/settings/llm`, 'OPTIONS', { ...preflight(FRONTEND), host: 'attacker.example' });
    expect(rebound.status).toBe(421);
    expect(corsHeadersOf(rebound)).toEqual([]);
  });

  it('takes origins as browsers write them', async () => {
    server = await startServer({ corsOrigins: ['HTTPS://Admin.Example.com:443/'] });
    const answer = await send(`${server.url}/api/settings/llm`, 'GET', { origin: FRONTEND });
    expect(answer.headers['access-control-allow-origin']).toBe(FRONTEND);
  });

  it.each(['*', 'null', 'https://admin.example.com/path', 'https://admin.example.com?x', 'ftp://admin.example.com', 'https://user:pw@admin.example.com', 'admin.example.com'])(
    'refuses the entry %s with a ConfigError naming its position only',
    (entry) => {
      const create = () => createHttpApp({ service: {} as never, corsOrigins: [FRONTEND, entry] });
      expect(create).toThrow(ConfigError);
      expect(create).toThrow(/corsOrigins entry 2 /);
      try {
        create();
      } catch (error) {
        if (entry.length > 4) expect((error as Error).message).not.toContain(entry);
      }
    },
  );
});
