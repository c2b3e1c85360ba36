import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CIPHER_BUGS,
  LISTER_BUGS,
  LOGGER_BUGS,
  PROBE_BUGS,
  STORE_BUGS,
  USAGE_BUGS,
  type CipherBug,
  type ListerBug,
  type LoggerBug,
  type ProbeBug,
  type StoreBug,
  type UsageBug,
} from './fixtures/broken-adapters.js';

/*
 * The suites must fail for adapters with a planted bug: this runs them against the
 * adapters of fixtures/broken-adapters.ts, in a vitest of its own, and checks which tests
 * failed. A check weakened until it passes a bug it was written for fails here.
 */

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const vitestBin = fileURLToPath(new URL('../node_modules/.bin/vitest', import.meta.url));

/** For each bug, tests (title starts) that must fail; 'none' must pass whole. */
const STORE_CAUGHT: Record<StoreBug, readonly string[]> = {
  none: [],
  'compare-and-set write is silent': ['set - emits one change event per key after a compare-and-set write'],
  'compare-and-set delete is silent': ['delete - emits one change event per key after a compare-and-set delete'],
  'setMany is silent': ['setMany - emits one change event per key after a write of several keys'],
  'events before the write': ['set - after a plain write, listeners run once the write is durable'],
  'events after the write resolved': ['delete - after a plain delete, listeners run once the write is durable and before its promise resolves'],
  'only the first listener hears': ['watch - every listener hears each write once'],
  'unsubscribing removes every listener': ['watch - unsubscribing one listener leaves the others subscribed'],
  'calls work after close': ['close - later calls fail with an error'],
  'setMany checks versions while writing': ['setMany - a conflict in the last write (a stale version)'],
  'setMany checks the first write only': ['setMany - a conflict in a middle write'],
  'setMany checks the last write only': ['setMany - a conflict in the first write'],
  'keys sorted by UTF-16 code units': ['list - yields non-ASCII keys in code point order'],
  'keys cut at 191 characters': ['set - a key of the longest allowed length (255 characters, ASCII)'],
  'keys normalized to NFC': ['set - keys differing only in case, accents or normalization are distinct'],
  'own writes echoed as remote': ['watch - this instance hears its own writes as local only'],
  'a closed instance hears remote writes': ["close - ends delivery of another instance's writes"],
  'setMany tells listeners before its commit, which beats their reads': [
    'setMany - after a write of several keys, plain and compare-and-set, no listener hears of it while its commit waits',
  ],
  'remote writes folded into a local write': [
    "watch - another instance's write just before a local write is still reported as remote",
    "watch - another instance's writes made while local writes run are each reported as remote",
  ],
  'the remote feed starts late and silently': ["watch - another instance's write made as this one starts watching is reported"],
  'reads cached across remote writes': [
    "watch - another instance's write made as this one starts watching is reported",
    "get - a value read here before another instance's write reads as that write once the write is reported",
  ],
  'instances write without taking turns': ['set - two instances writing one key at once lose no write'],
  'values written in two steps': ['get - while another instance writes 64 KiB values'],
  'history appended before the version check': ['set - a refused compare-and-set appends nothing'],
  'history of a delete of nothing': ['delete - with a history entry appends it when a record was removed'],
  'history read oldest first': ['readHistory - newest first', 'readHistory - pages with `before`'],
  'history scopes case-folded': ['readHistory - scopes differing only in case, accents, normalization or a trailing space are distinct'],
  'history pruned after close': ['close - later calls fail with an error'],
  'history ids from the place in the log': [
    'readHistory - entries appended after a prune get higher ids',
    'pruneHistory - an entry appended after every entry was pruned gets an id above every earlier one',
  ],
  "pruning the oldest entry's scope only": ['pruneHistory - removes the entries of every scope written before the cutoff'],
  'unsubscribing twice removes another listener': ['watch - calling an unsubscribe function twice leaves the other listeners subscribed'],
};

const CIPHER_CAUGHT: Record<CipherBug, readonly string[]> = {
  none: [],
  'the ring decrypts with its first key only': ['decrypt - a token made under an older key of the ring still decrypts'],
  'the ring encrypts with its last key': ['encrypt - a new token opens with the first key of the ring alone'],
  'ciphers remember retired keys': ['decrypt - a token under a key that left the ring is refused with DecryptionError'],
  'isCurrent is always true': ['isCurrent - is false for a token under an older key of the ring'],
  'rotate returns the token unchanged': ['rotate - re-encrypts a token under an older key'],
  'the last character is not authenticated': ['decrypt - refuses a token changed at any single position, the last one included'],
  'refusals name the keys': ['decrypt - the error for a rejected token, printed whole with its causes, shows neither the plaintext nor a key'],
  'a retired key is refused in words of its own': ['decrypt - a token under a key that left the ring is refused with DecryptionError, in the words of a tampered token'],
  'expired tokens are refused in words of their own': ['decrypt - with a TTL, a token older than the TTL is refused, in the words of a tampered token'],
  'the refusal of an expired token holds the plaintext': ['decrypt - with a TTL, a token older than the TTL is refused, in the words of a tampered token'],
  'decrypt skips characters outside base64url': ['decrypt - refuses a token with a character put in it that no base64 spelling has'],
  'decrypt ignores the lowest bit of the last byte': ['decrypt - refuses a token changed at any single position in any bit'],
};

const USAGE_CAUGHT: Record<UsageBug, readonly string[]> = {
  none: [],
  'rows sorted by a locale': ['read - sorts models of one day and provider in code point order'],
  'rows sorted by UTF-16 code units': ['read - sorts models of one day and provider in code point order'],
  'scopes case-folded': ['add - keeps scopes differing only in case apart'],
  'a failed add keeps its first entry': ['add - when it throws, none of its entries is added'],
  'unavailable as a plain Error': ['add and prune - an unavailable backend fails with StorageUnavailableError'],
  'unavailable naming the host': ['add and prune - an unavailable backend fails with StorageUnavailableError whose message names no host or password'],
};

const LISTER_CAUGHT: Record<ListerBug, readonly string[]> = {
  none: [],
  'listings of different keys share a call': ['lists two keys at once with a call each'],
  'listings at different providers share a call': ['lists one key at two providers at once with a call each'],
  'listings of different partitions share a call': ['lists one key for two partitions at once with a call each'],
  'failure messages quote the provider': ['reports unauthorized as invalid_api_key in fixed wording'],
  'timeoutMs bounds each page': ['timeoutMs bounds the whole listing, every page included'],
  'timeoutMs bounds each page, the total is checked once done': ['timeoutMs bounds the whole listing, every page included'],
};

const PROBE_CAUGHT: Record<ProbeBug, readonly string[]> = {
  none: [],
  'the model in the message, runs of the key scrubbed, but for 403 and 404': [
    'probe - the message for a valid key and a known model is the same whatever the model and never names it',
    'probe - the message for a rejected key (401) is the same whatever the model',
    'probe - the message for HTTP 429 is the same whatever the model',
    'probe - the message for a server error (500) is the same whatever the model',
    'probe - the message for a connection closed without an answer is the same whatever the model',
  ],
  'a model holding a run of the key told apart': [
    'probe - the message for a valid key and a known model is the same whatever the model',
    'probe - the message for a key without permission (403) is the same whatever the model',
    'probe - the message for an unknown model (404) is the same whatever the model',
    'probe - the message for HTTP 503 is the same whatever the model',
  ],
  'a caller leaving a shared call stops it': ['probe - a caller aborting a shared probe, the one that started it or one that joined it, leaves the call to the other'],
  "the call uses the first caller's signal": ['probe - a caller aborting a shared probe, the one that started it or one that joined it, leaves the call to the other'],
};

const LOGGER_CAUGHT: Record<LoggerBug, readonly string[]> = {
  none: [],
  'key shapes without masked echoes': ['warn - redacts a masked echo of a key (an ellipsis after the prefix)', 'warn - redacts a masked echo of a key (bullets alone)'],
  'masked echoes redacted in the message only': ['warn - redacts a masked echo of a key (an ellipsis after the prefix)', 'warn - redacts a masked echo of a key (bullets alone)'],
};

interface JsonReport {
  testResults: Array<{ assertionResults: Array<{ ancestorTitles: string[]; title: string; status: string }> }>;
}

/** Failed test titles by suite title. */
let failed: Map<string, string[]>;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'contract-breakages-'));
  const output = join(dir, 'report.json');
  try {
    // Exits 1: the planted bugs fail their tests. The report says which.
    await promisify(execFile)(vitestBin, ['run', '--config', 'vitest.config.ts', '--reporter=json', `--outputFile=${output}`], { cwd: fixtures }).catch(() => undefined);
    const report = JSON.parse(readFileSync(output, 'utf8')) as JsonReport;
    failed = new Map();
    for (const test of report.testResults.flatMap((file) => file.assertionResults)) {
      const suite = test.ancestorTitles[0] ?? '';
      if (!failed.has(suite)) failed.set(suite, []);
      if (test.status === 'failed') failed.get(suite)!.push(test.title);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 240_000);

const expectCaught = (suite: string, titles: readonly string[]) => {
  const failures = failed.get(suite);
  expect(failures, `the suite "${suite}" did not run`).toBeDefined();
  if (titles.length === 0) expect(failures).toEqual([]);
  for (const title of titles) expect(failures!.some((f) => f.startsWith(title)), `"${title}" passed`).toBe(true);
};

describe('the contract suites catch planted bugs', () => {
  for (const bug of STORE_BUGS) {
    it(`SettingsStore - ${bug === 'none' ? 'the unbroken store passes' : `catches: ${bug}`}`, () => {
      expectCaught(`SettingsStore contract: ${bug}`, STORE_CAUGHT[bug]);
    });
  }
  for (const bug of CIPHER_BUGS) {
    it(`SecretCipher - ${bug === 'none' ? 'the unbroken cipher passes' : `catches: ${bug}`}`, () => {
      expectCaught(`SecretCipher contract: ${bug}`, CIPHER_CAUGHT[bug]);
    });
  }
  for (const bug of USAGE_BUGS) {
    it(`UsageStore - ${bug === 'none' ? 'the unbroken store passes' : `catches: ${bug}`}`, () => {
      expectCaught(`UsageStore contract: ${bug}`, USAGE_CAUGHT[bug]);
    });
  }
  for (const bug of LISTER_BUGS) {
    it(`ModelLister - ${bug === 'none' ? 'the unbroken lister passes' : `catches: ${bug}`}`, () => {
      expectCaught(`ModelLister contract: ${bug}`, LISTER_CAUGHT[bug]);
    });
  }
  for (const bug of PROBE_BUGS) {
    it(`ProviderProbe - ${bug === 'none' ? 'the unbroken probe passes' : `catches: ${bug}`}`, () => {
      expectCaught(`ProviderProbe contract: ${bug}`, PROBE_CAUGHT[bug]);
    });
  }
  for (const bug of LOGGER_BUGS) {
    it(`Logger - ${bug === 'none' ? 'the unbroken logger passes' : `catches: ${bug}`}`, () => {
      expectCaught(`Logger contract: ${bug}`, LOGGER_CAUGHT[bug]);
    });
  }
});
