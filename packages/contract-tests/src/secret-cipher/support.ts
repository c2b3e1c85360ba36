import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { ErrorCodes, type SecretCipher } from '@llm-settings/core';
import type { SecretCipherContractOptions } from './options.js';

/** A plaintext that looks like an API key, so a leak of it is easy to spot. */
export const SECRET = 'sk-ant-CONTRACT-0123456789-abcdefghijklmnopqrstuvwxyz';
/** 64 KiB of UTF-8 mixing one-, two-, three- and four-byte characters (1+2+3+4 = 10 bytes a round). */
export const LARGE_VALUE = 'aé€😀'.repeat(6553) + 'abcdef';

/** Calls decrypt, which must return a rejected promise (a synchronous throw fails the test). */
export async function decryptFailure(cipher: SecretCipher, token: unknown, label: string): Promise<unknown> {
  const result = cipher.decrypt(token as string);
  return result.then(
    () => expect.fail(`decrypt accepted an invalid token (${label})`),
    (error: unknown) => error,
  );
}

/** Copies of the token changed at 8 positions spread over it, the first and the last included. */
export function tamperedVariants(token: string): string[] {
  const last = token.length - 1;
  const positions = new Set(Array.from({ length: 8 }, (_, n) => Math.round((last * n) / 7)));
  return [...positions].map((position) => changedAt(token, position));
}

const BASE64_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** The two alphabets' last digits, each spelling the same 6-bit value as its twin. */
const ALPHABET_TWINS: Readonly<Record<string, string>> = { '-': '+', _: '/', '+': '-', '/': '_' };

const alphabetOf = (token: string) => BASE64_DIGITS + (/[-_]/.test(token) ? '-_' : '+/');

/**
 * The token with the character at `position` replaced so that a byte it encodes changes. A
 * base64 character becomes the one whose 6-bit value differs in its top bit, which every
 * position uses (the low bits of the last character may fall in bits an encoding leaves
 * unused); anything else (padding, hex, punctuation) becomes another printable character.
 */
export function changedAt(token: string, position: number): string {
  const alphabet = alphabetOf(token);
  const char = token[position]!;
  const index = alphabet.indexOf(char);
  const replacement = index >= 0 ? alphabet[index ^ 32]! : char === 'A' ? 'B' : 'A';
  return token.slice(0, position) + replacement + token.slice(position + 1);
}

/**
 * Every copy of the token changed at one character: a base64 character in each of its six
 * bits, and into its twin of the other alphabet (`-` and `+`, `_` and `/`); anything else as
 * {@link changedAt} changes it. Some may spell the same bytes as the token.
 */
export function everySingleChange(token: string): string[] {
  const alphabet = alphabetOf(token);
  return [...token].flatMap((char, position) => {
    const index = alphabet.indexOf(char);
    const twin = ALPHABET_TWINS[char];
    const replacements = index < 0 ? [changedAt(token, position)[position]!] : [1, 2, 4, 8, 16, 32].map((bit) => alphabet[index ^ bit]!);
    return [...replacements, ...(twin === undefined ? [] : [twin])].map((replacement) => token.slice(0, position) + replacement + token.slice(position + 1));
  });
}

/**
 * Checks a refusal as the port asks: a DecryptionError that, printed whole (its own
 * properties and causes included, as a log of it would show), holds neither the plaintext
 * nor a text of `neverMention`. Returns its wording, for the checks that every refusal
 * reads alike and so says not why.
 */
export function checkedRefusal<C extends SecretCipher>(options: SecretCipherContractOptions<C>, error: unknown, label: string): string {
  expect(error, `${label}: expected a DecryptionError`).toMatchObject({ name: 'DecryptionError', code: ErrorCodes.CRYPTO_UNDECRYPTABLE });
  const printed = inspect(error, { depth: Infinity, showHidden: true });
  expect(printed, `${label}: the error shows the plaintext`).not.toContain(SECRET);
  expect(printed, `${label}: the error shows the plaintext's end`).not.toContain(SECRET.slice(-12));
  for (const text of options.neverMention?.() ?? []) expect(printed, `${label}: the error shows a text of neverMention`).not.toContain(text);
  return wordingOf(error as Error);
}

/** Awaits `promise`, which must be refused, and checks its error with {@link checkedRefusal}. */
export async function expectRefusal<C extends SecretCipher>(options: SecretCipherContractOptions<C>, promise: Promise<unknown>, label: string): Promise<string> {
  const error = await promise.then(
    () => expect.fail(`${label}: a token that must be refused was accepted`),
    (e: unknown) => e,
  );
  return checkedRefusal(options, error, label);
}

/** The wording of a token changed in its middle, refused by `cipher`: what every other refusal must read. */
export async function tamperedWording<C extends SecretCipher>(options: SecretCipherContractOptions<C>, cipher: SecretCipher): Promise<string> {
  const token = await cipher.encrypt(SECRET);
  return expectRefusal(options, cipher.decrypt(changedAt(token, Math.floor(token.length / 2))), 'a tampered token');
}

/** Name and message of the error and of each cause below it. */
function wordingOf(error: Error): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) parts.push(`${e.name}: ${e.message}`);
  return parts.join(' <- ');
}

/** The cipher under test, made once for the suite (`create`) and released after it (`teardown`). */
export interface CipherSubject<C extends SecretCipher> {
  readonly cipher: C;
}

/** Checks of one concern of the contract, registered for the cipher under test. */
export type CipherChecks<C extends SecretCipher> = (options: SecretCipherContractOptions<C>, subject: CipherSubject<C>) => void;

/**
 * Registers `checks` under the suite's title (`SecretCipher contract: <name>`), with one
 * cipher for the suite: the whole contract, or one concern of it.
 */
export function describeCipherChecks<C extends SecretCipher>(options: SecretCipherContractOptions<C>, ...checks: readonly CipherChecks<C>[]): void {
  describe(`SecretCipher contract: ${options.name}`, () => {
    let cipher: C | undefined;
    beforeAll(async () => {
      cipher = await options.create();
    });
    afterAll(async () => {
      if (cipher) await options.teardown?.(cipher);
    });
    const subject: CipherSubject<C> = {
      get cipher() {
        if (!cipher) throw new Error('The cipher under test exists only while the suite runs.');
        return cipher;
      },
    };
    for (const register of checks) register(options, subject);
  });
}
