import { createHmac, randomBytes, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect } from 'vitest';
import { Secret, type RevokedBefore, type ScopedCaller, type TokenMinter, type TokenVerifier } from '@llm-settings/core';
import type { TokenVerifierContractOptions } from './options.js';

/** One random secret per name, the same for the whole run: 43 url-safe characters. */
const secrets = new Map<string, string>();
export function secretsNamed(names: readonly string[]): string[] {
  return names.map((name) => {
    if (!secrets.has(name)) secrets.set(name, randomBytes(32).toString('base64url'));
    return secrets.get(name)!;
  });
}

/** A clock the test sets, in whole seconds from a fixed start (a whole second, as JWT times are). */
export function testClock() {
  const start = Date.UTC(2030, 0, 1);
  let offsetSeconds = 0;
  return {
    now: () => new Date(start + offsetSeconds * 1000),
    /** Seconds since the start, at the clock's time. */
    set(seconds: number) {
      offsetSeconds = seconds;
    },
    /** The clock's time as JWT's NumericDate, at `seconds` from the start. */
    numericDate: (seconds = offsetSeconds) => Math.floor(start / 1000) + seconds,
    at: (seconds: number) => new Date(start + seconds * 1000),
  };
}

/** The suite's view of the adapter: minters and verifiers by secret names, on one clock. */
export interface TokenFixture {
  readonly clock: ReturnType<typeof testClock>;
  minter(secretNames?: readonly string[]): Promise<TokenMinter>;
  verifier(secretNames?: readonly string[], revokedBefore?: RevokedBefore | null): Promise<TokenVerifier>;
  /** verify, which must resolve (a rejection fails the test). */
  verify(verifier: TokenVerifier, token: string): Promise<ScopedCaller | null>;
}

export function tokenFixture<V extends TokenVerifier>(options: TokenVerifierContractOptions<V>): TokenFixture {
  const clock = testClock();
  return {
    clock,
    minter: async (names = ['current']) => options.createMinter({ secrets: secretsNamed(names), now: clock.now }),
    verifier: async (names = ['current'], revokedBefore = null) => options.createVerifier({ secrets: secretsNamed(names), now: clock.now, revokedBefore }),
    verify: (verifier, token) => verifier.verify(new Secret(token)),
  };
}

/** Registers `checks` under the suite's title (`TokenVerifier contract: <name>`). */
export function describeTokenChecks<V extends TokenVerifier>(
  options: TokenVerifierContractOptions<V>,
  ...checks: readonly ((options: TokenVerifierContractOptions<V>, fixture: TokenFixture) => void)[]
): void {
  describe(`TokenVerifier contract: ${options.name}`, () => {
    const fixture = tokenFixture(options);
    for (const register of checks) register(options, fixture);
  });
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const decodePart = (part: string | undefined): Record<string, unknown> => JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

/** The header and claims of a JWT, unverified. */
export function partsOf(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return { header: decodePart(header), payload: decodePart(payload) };
}

/**
 * A token like `token`, with header fields and claims changed (`undefined` removes one),
 * signed as `signer` says: HMAC with a secret (the header's `alg` picks SHA-256/384/512),
 * RSA (RS256) with a fresh key, or no signature at all.
 */
export function forge(
  token: string,
  changes: { header?: Record<string, unknown>; payload?: Record<string, unknown> },
  signer: { hmacSecret: string } | 'rsa' | 'unsigned',
): string {
  const parts = partsOf(token);
  const header = withChanges(parts.header, changes.header);
  const payload = withChanges(parts.payload, changes.payload);
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  if (signer === 'unsigned') return `${input}.`;
  if (signer === 'rsa') return `${input}.${base64url(sign('sha256', Buffer.from(input), rsaKey()))}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[String(header.alg)] ?? 'sha256';
  return `${input}.${createHmac(hash, signer.hmacSecret).update(input).digest('base64url')}`;
}

function withChanges(record: Record<string, unknown>, changes: Record<string, unknown> = {}): Record<string, unknown> {
  const result = { ...record, ...changes };
  for (const [name, value] of Object.entries(changes)) if (value === undefined) delete result[name];
  return result;
}

let rsa: string | undefined;
function rsaKey(): string {
  rsa ??= generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }).privateKey;
  return rsa;
}

/** Copies of the token changed at one character each: in the header, the claims and the signature, its last character included. */
export function tamperedVariants(token: string): string[] {
  const [header = '', payload = ''] = token.split('.');
  const positions = [1, header.length - 2, header.length + 3, header.length + payload.length - 1, header.length + payload.length + 3, token.length - 2, token.length - 1];
  return positions.map((position) => token.slice(0, position) + flippedTopBit(token[position]!) + token.slice(position + 1));
}

const BASE64URL_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The base64url digit whose 6-bit value differs in the top bit, which every position uses (the low bits of the last may be padding). */
function flippedTopBit(char: string): string {
  return BASE64URL_DIGITS[BASE64URL_DIGITS.indexOf(char) ^ 32]!;
}

export async function expectRefused(fixture: TokenFixture, verifier: TokenVerifier, token: string, label: string): Promise<void> {
  expect(await fixture.verify(verifier, token), `${label} must be refused`).toBeNull();
}

/** A valid mint request. */
export const GRANT = { scope: 'tenant-a', can: ['read', 'test'] as const, ttlSeconds: 600 };
