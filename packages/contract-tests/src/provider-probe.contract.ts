import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ErrorCodes,
  PROBE_CODES,
  defaultModelFor,
  type LlmProvider,
  type ProbeCode,
  type ProbeOutcome,
  type ProbeRequest,
  type ProviderProbe,
} from '@llm-settings/core';

/** How the fake provider answers; the names every probe contract fake understands, or an HTTP status. */
export type ProbeContractBehavior =
  | 'ok'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'rate_limited'
  | 'server_error'
  | 'overloaded'
  | 'hang'
  | 'drop'
  | 'redirect'
  | { readonly status: number };

/** One request the fake received. */
export interface ProbeContractRequest {
  readonly provider: LlmProvider;
  /** The key the request carried (`x-api-key` or `Authorization: Bearer`), or null. */
  readonly apiKey: string | null;
}

/**
 * A fake provider HTTP API the adapter under test is pointed at, such as
 * `startFakeProvider()` of `@llm-settings/fake-provider`. Behaviours:
 * `ok` accepts any key and knows each provider's default model (core's
 * `defaultModelFor`), answering 404 for other models; `unauthorized` 401;
 * `forbidden` 403; `not_found` 404; `rate_limited` 429; `server_error` 500;
 * `overloaded` 529; `{ status }` that status with the provider's error body; `hang`
 * never answers; `drop` closes the connection without an answer; `redirect` answers
 * 307 towards a path that would answer like `ok`. Every HTTP answer carries a request
 * id header, as the real providers' do.
 */
export interface ProbeContractFake {
  setBehavior(provider: LlmProvider, behavior: ProbeContractBehavior): void;
  /** Every request received since the last `reset()`, in order, redirect targets included. */
  readonly requests: readonly ProbeContractRequest[];
  /** Back to `ok` for every provider, and no recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

export interface ProviderProbeContractOptions<Fake extends ProbeContractFake = ProbeContractFake, P extends ProviderProbe = ProviderProbe> {
  /** Names the adapter in test titles. */
  name: string;
  /** Providers the adapter supports; each gets the whole suite. */
  providers: readonly LlmProvider[];
  /** Starts the fake provider, once for the suite. */
  startFake: () => Promise<Fake>;
  /** Builds the probe under test, pointed at the fake. */
  create: (fake: Fake) => P | Promise<P>;
  /**
   * Builds the probe pointed at the fake, allowing at most `maxInFlight` provider calls
   * at once. Without it, the check that the limit answers ProbeBusyError is skipped.
   */
  createWithLimit?: (fake: Fake, maxInFlight: number) => P | Promise<P>;
  /**
   * Builds the probe with every provider's API root at `baseUrl`: a port nothing
   * listens on, a host name that does not resolve. Without it, the checks that these
   * yield `network_error` are skipped.
   */
  createPointedAt?: (baseUrl: string) => P | Promise<P>;
  /**
   * `timeoutMs` of the probes sent to a provider that never answers: they must yield
   * `timeout` within this plus 250 ms. Probes to a provider that answers get
   * 10 s, so that a loaded machine cannot turn an answer into a timeout.
   * @default 300
   */
  timeoutMs?: number;
}

/** The slack allowed past `timeoutMs` before a hanging call must have become `timeout`. */
const TIMEOUT_SLACK_MS = 250;
/** A run of the key this long in an outcome is a leak. */
const LEAKING_RUN_LENGTH = 8;
const UNKNOWN_MODEL = 'contract-no-such-model';
/**
 * Deadline of the probes that count requests: long enough for a client's retry (the
 * SDKs wait about 0.5 to 8 s before one) to happen within it rather than be cut short.
 */
const RETRY_REVEALING_TIMEOUT_MS = 5_000;
/** Deadline of the callers that share a call one of them aborts: long past the abort, short for a test. */
const SHARED_DEADLINE_MS = 1_000;
/** Deadline of the probes to a provider that answers: far beyond any answer of the fake. */
const ANSWERED_TIMEOUT_MS = 10_000;

/** Statuses besides the named behaviours, and the codes each may yield. */
const STATUSES: ReadonlyArray<readonly [number, readonly ProbeCode[]]> = [
  [400, ['provider_unavailable']],
  [401, ['invalid_api_key']],
  [403, ['permission_denied']],
  [404, ['model_not_found']],
  [405, ['provider_unavailable']],
  [408, ['timeout', 'provider_unavailable']],
  [409, ['provider_unavailable']],
  [422, ['provider_unavailable']],
  [429, ['rate_limited']],
  [500, ['provider_unavailable']],
  [501, ['provider_unavailable']],
  [502, ['provider_unavailable']],
  [503, ['provider_unavailable']],
  [504, ['provider_unavailable', 'timeout']],
  [529, ['provider_unavailable']],
];

interface ExpectedOutcome {
  readonly behavior: Exclude<ProbeContractBehavior, 'hang'>;
  readonly situation: string;
  readonly codes: readonly ProbeCode[];
}

const ANSWERS: readonly ExpectedOutcome[] = [
  { behavior: 'ok', situation: 'a valid key and a known model', codes: ['ok'] },
  { behavior: 'unauthorized', situation: 'a rejected key (401)', codes: ['invalid_api_key'] },
  { behavior: 'forbidden', situation: 'a key without permission (403)', codes: ['permission_denied'] },
  { behavior: 'not_found', situation: 'an unknown model (404)', codes: ['model_not_found'] },
  { behavior: 'rate_limited', situation: 'a throttled key (429)', codes: ['rate_limited'] },
  { behavior: 'server_error', situation: 'a server error (500)', codes: ['provider_unavailable'] },
  { behavior: 'overloaded', situation: 'an overloaded provider (529)', codes: ['provider_unavailable'] },
  { behavior: 'drop', situation: 'a connection closed without an answer', codes: ['network_error'] },
  { behavior: 'redirect', situation: 'a redirect, which is not followed', codes: ['provider_unavailable', 'network_error'] },
];

/**
 * Registers the contract every ProviderProbe adapter must pass, for each provider: a code
 * for every status and failure (refused and unresolvable hosts with `createPointedAt`),
 * exactly one request upstream per probe carrying that probe's key, the provider's
 * request id on every outcome it answered (success included), a bounded timeout,
 * aborts (latencyMs null when no call was made; one caller's abort ending no other's share of a call),
 * identical calls shared within one partition only, ProbeBusyError
 * at the limit (with `createWithLimit`), and outcomes that carry no fragment of the key,
 * never the model, and nothing that varies with either. Call it at the top level of a test file.
 */
export function describeProviderProbeContract<Fake extends ProbeContractFake, P extends ProviderProbe = ProviderProbe>(
  options: ProviderProbeContractOptions<Fake, P>,
): void {
  const timeoutMs = options.timeoutMs ?? 300;
  const { createWithLimit, createPointedAt } = options;

  describe(`ProviderProbe contract: ${options.name}`, () => {
    let fake: Fake;
    let probe: P;

    beforeAll(async () => {
      fake = await options.startFake();
      probe = await options.create(fake);
    });

    afterAll(async () => {
      await fake?.close();
    });

    beforeEach(() => {
      fake.reset();
    });

    for (const provider of options.providers) {
      describe(provider, () => {
        const request = (overrides: Partial<ProbeRequest> = {}): ProbeRequest => ({
          provider,
          apiKey: realisticKey(provider),
          model: defaultModelFor(provider),
          timeoutMs: ANSWERED_TIMEOUT_MS,
          ...overrides,
        });

        for (const { behavior, situation, codes } of ANSWERS) {
          it(`probe - ${situation} yields ${codes.join(' or ')}`, async () => {
            fake.setBehavior(provider, behavior);
            const sent = request();
            const outcome = await probe.probe(sent);
            expect(codes).toContain(outcome.code);
            expectWellFormed(outcome, sent.apiKey);
            expect(outcome.latencyMs).toEqual(expect.any(Number));
            expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
          });
        }

        it('probe - a valid key with a model the provider does not have yields model_not_found', async () => {
          const sent = request({ model: UNKNOWN_MODEL });
          const outcome = await probe.probe(sent);
          expect(outcome.code).toBe('model_not_found');
          expectWellFormed(outcome, sent.apiKey);
        });

        // Every answer but a dropped connection (none came) and a redirect (refused as not the provider's own).
        const answered: ReadonlyArray<readonly [string, ProbeContractBehavior]> = [
          ...ANSWERS.filter(({ behavior }) => behavior !== 'drop' && behavior !== 'redirect').map(({ behavior, situation }) => [situation, behavior] as const),
          ...STATUSES.map(([status]) => [`HTTP ${status}`, { status }] as const),
        ];
        for (const [situation, behavior] of answered) {
          it(`probe - returns the provider's request id for ${situation}, as for every outcome the provider answered`, async () => {
            fake.setBehavior(provider, behavior);
            const outcome = await probe.probe(request());
            expect(outcome.requestId, 'no request id').toEqual(expect.stringMatching(/\S/));
          });
        }

        it('probe - resolves, never rejects, for every provider failure', async () => {
          for (const { behavior } of ANSWERS) {
            fake.setBehavior(provider, behavior);
            await expect(probe.probe(request())).resolves.toMatchObject({ code: expect.any(String) });
          }
        });

        it(`probe - a provider that never answers yields timeout within timeoutMs + ${TIMEOUT_SLACK_MS} ms`, async () => {
          fake.setBehavior(provider, 'hang');
          const sent = request({ timeoutMs });
          const started = performance.now();
          const outcome = await probe.probe(sent);
          const elapsed = performance.now() - started;
          expect(outcome.code).toBe('timeout');
          expect(elapsed).toBeLessThanOrEqual(timeoutMs + TIMEOUT_SLACK_MS);
          expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
          expectWellFormed(outcome, sent.apiKey);
        });

        it('probe - an already aborted signal yields timeout with latencyMs null, and no call is made', async () => {
          const sent = request({ signal: AbortSignal.abort() });
          const outcome = await probe.probe(sent);
          expect(outcome.code).toBe('timeout');
          expect(outcome.latencyMs).toBeNull();
          expect(fake.requests).toEqual([]);
          expectWellFormed(outcome, sent.apiKey);
        });

        const everyAnswer: ReadonlyArray<readonly [string, ProbeContractBehavior]> = [
          ...ANSWERS.map(({ behavior, situation }) => [situation, behavior] as const),
          ...STATUSES.map(([status]) => [`HTTP ${status}`, { status }] as const),
        ];
        for (const [situation, behavior] of everyAnswer) {
          it(`probe - sends exactly one request upstream, carrying the probe's key, for ${situation} (no retry, none cut short by the deadline)`, async () => {
            fake.setBehavior(provider, behavior);
            const sent = request({ timeoutMs: RETRY_REVEALING_TIMEOUT_MS });
            await probe.probe(sent);
            expect(requestsTo(fake, provider).map((r) => r.apiKey)).toEqual([sent.apiKey]);
          });
        }

        it('probe - a provider that never answers gets exactly one request', async () => {
          fake.setBehavior(provider, 'hang');
          const sent = request({ timeoutMs });
          expect((await probe.probe(sent)).code).toBe('timeout');
          expect(requestsTo(fake, provider).map((r) => r.apiKey)).toEqual([sent.apiKey]);
        });

        it('probe - each probe sends its own key: successive probes with different keys', async () => {
          const keys = [realisticKey(provider), realisticKey(provider), realisticKey(provider)];
          for (const apiKey of keys) expect((await probe.probe(request({ apiKey }))).code).toBe('ok');
          expect(requestsTo(fake, provider).map((r) => r.apiKey)).toEqual(keys);
        });

        it('probe - each probe sends its own key: concurrent probes with different keys', async () => {
          const keys = Array.from({ length: 3 }, () => realisticKey(provider));
          await Promise.all(keys.map((apiKey) => probe.probe(request({ apiKey }))));
          expect(requestsTo(fake, provider).map((r) => r.apiKey).sort()).toEqual([...keys].sort());
        });

        for (const [status, codes] of STATUSES) {
          it(`probe - HTTP ${status} yields ${codes.join(' or ')}, never a fragment of the key`, async () => {
            fake.setBehavior(provider, { status });
            const sent = request();
            const outcome = await probe.probe(sent);
            expect(codes).toContain(outcome.code);
            expectWellFormed(outcome, sent.apiKey);
            expect(outcome.latencyMs).toEqual(expect.any(Number));
          });
        }

        for (const [situation, behavior] of everyAnswer) {
          it(`probe - the message for ${situation} is the same whatever the key (no provider text that could quote it)`, async () => {
            fake.setBehavior(provider, behavior);
            const first = await probe.probe(request());
            const second = await probe.probe(request());
            expect(second.code).toBe(first.code);
            expect(second.message).toBe(first.message);
          });
        }

        for (const [situation, behavior] of everyAnswer) {
          it(`probe - the message for ${situation} is the same whatever the model and never names it, a model holding a run of the key included (no oracle)`, async () => {
            fake.setBehavior(provider, behavior);
            const apiKey = realisticKey(provider);
            const knownModel = defaultModelFor(provider);
            // Two models under one key, whatever the fake answers for models it does not know; then the
            // model the fake knows (so that `ok` answers as such) under a key holding it and under one not.
            const pairs = [
              [request({ apiKey, model: apiKey.slice(12, 32) }), request({ apiKey, model: randomBytes(15).toString('base64url') })],
              [request({ apiKey: keyHolding(provider, knownModel), model: knownModel }), request({ model: knownModel })],
            ] as const;
            for (const [holdingRun, apart] of pairs) {
              const [first, second] = [await probe.probe(holdingRun), await probe.probe(apart)];
              expect(first.code).toBe(second.code);
              expect(first.message, 'the message tells a model holding a run of the key apart').toBe(second.message);
              expect(first.message, 'the message names the model').not.toContain(holdingRun.model);
              expect(second.message, 'the message names the model').not.toContain(apart.model);
            }
          });
        }

        it.skipIf(!createWithLimit)(
          `probe - beyond the limit of probes in flight, another probe throws ProbeBusyError; a freed slot takes probes again${createWithLimit ? '' : ' (skipped: no createWithLimit hook)'}`,
          async () => {
            const limited = await createWithLimit!(fake, 2);
            fake.setBehavior(provider, 'hang');
            const controller = new AbortController();
            const held = [1, 2].map(() => limited.probe(request({ signal: controller.signal, timeoutMs: 600_000 })));
            await vi.waitFor(() => expect(requestsTo(fake, provider)).toHaveLength(2), { timeout: 10_000 });
            const error = await limited.probe(request()).then(
              () => expect.fail('a probe beyond the limit was made'),
              (e: unknown) => e,
            );
            expect(error).toMatchObject({ name: 'ProbeBusyError', code: ErrorCodes.PROBE_BUSY });
            expect(requestsTo(fake, provider)).toHaveLength(2);
            controller.abort();
            expect((await Promise.all(held)).map((o) => o.code)).toEqual(['timeout', 'timeout']);
            fake.setBehavior(provider, 'ok');
            expect((await limited.probe(request())).code).toBe('ok');
          },
        );

        const unreachable: ReadonlyArray<readonly [string, () => Promise<string>]> = [
          ['a refused connection', async () => `http://127.0.0.1:${await closedPort()}`],
          ['a host name that does not resolve', async () => 'http://llm-settings-contract.invalid'],
        ];
        for (const [situation, baseUrl] of unreachable) {
          it.skipIf(!createPointedAt)(
            `probe - ${situation} yields network_error${createPointedAt ? '' : ' (skipped: no createPointedAt hook)'}`,
            async () => {
              const pointed = await createPointedAt!(await baseUrl());
              const sent = request({ timeoutMs: RETRY_REVEALING_TIMEOUT_MS });
              const outcome = await pointed.probe(sent);
              expect(outcome.code).toBe('network_error');
              expectWellFormed(outcome, sent.apiKey);
            },
          );
        }

        it('probe - aborting the signal during the call yields timeout before the deadline', async () => {
          fake.setBehavior(provider, 'hang');
          const controller = new AbortController();
          // A deadline far beyond the test timeout: only the abort can end this probe.
          const pending = probe.probe(request({ signal: controller.signal, timeoutMs: 600_000 }));
          // Aborted once the provider has the call, so that no request of it arrives during the next test.
          await vi.waitFor(() => expect(requestsTo(fake, provider)).toHaveLength(1), { timeout: 10_000 });
          controller.abort();
          const outcome = await pending;
          expect(outcome.code).toBe('timeout');
        });

        it('probe - identical concurrent probes share one call', async () => {
          const sent = request();
          const outcomes = await Promise.all([probe.probe(sent), probe.probe({ ...sent }), probe.probe({ ...sent })]);
          expect(outcomes.map((o) => o.code)).toEqual(['ok', 'ok', 'ok']);
          expect(requestsTo(fake, provider)).toHaveLength(1);
        });

        it('probe - a caller aborting a shared probe, the one that started it or one that joined it, leaves the call to the other: it waits on it until its own deadline', async () => {
          fake.setBehavior(provider, 'hang');
          // Two shared calls, one key each: under the first the aborting caller starts the call, under the second it joins.
          const [first, second] = [request({ timeoutMs: SHARED_DEADLINE_MS }), request({ timeoutMs: SHARED_DEADLINE_MS })];
          const leaving = new AbortController();
          const started = performance.now();
          const settled = (outcome: Promise<ProbeOutcome>) => outcome.then((o) => ({ code: o.code, afterMs: performance.now() - started }));
          const left = [probe.probe({ ...first, signal: leaving.signal })];
          const staying = [settled(probe.probe(first)), settled(probe.probe(second))];
          left.push(probe.probe({ ...second, signal: leaving.signal }));
          await vi.waitFor(() => expect(requestsTo(fake, provider)).toHaveLength(2), { timeout: 10_000 });
          leaving.abort();
          expect((await Promise.all(left)).map((o) => o.code)).toEqual(['timeout', 'timeout']);
          // Each at its own deadline, less a timer's rounding: an abort of its shared call would have ended it at once.
          for (const [i, outcome] of (await Promise.all(staying)).entries()) {
            expect(outcome.afterMs, `the other caller of the ${i === 0 ? 'first' : 'second'} call was ended by the abort`).toBeGreaterThanOrEqual(SHARED_DEADLINE_MS - 20);
            expect(outcome.code).toBe('timeout');
          }
          expect(requestsTo(fake, provider)).toHaveLength(2);
        });

        it('probe - identical concurrent probes of two partitions make separate calls: a caller never joins, nor times, another tenant\'s test', async () => {
          const sent = request();
          const outcomes = await Promise.all([probe.probe({ ...sent, partition: 'tenant-a' }), probe.probe({ ...sent, partition: 'tenant-b' })]);
          expect(outcomes.map((o) => o.code)).toEqual(['ok', 'ok']);
          expect(requestsTo(fake, provider)).toHaveLength(2);
        });

        it('probe - concurrent probes with different keys make separate calls', async () => {
          const outcomes = await Promise.all([probe.probe(request()), probe.probe(request())]);
          expect(outcomes.map((o) => o.code)).toEqual(['ok', 'ok']);
          expect(requestsTo(fake, provider)).toHaveLength(2);
        });
      });
    }
  });
}

function requestsTo(fake: ProbeContractFake, provider: LlmProvider): ProbeContractRequest[] {
  return fake.requests.filter((r) => r.provider === provider);
}

/** A port of 127.0.0.1 that was just free: connecting to it is refused. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Checks what every outcome must be, whatever happened: valid code, our message, no key. */
function expectWellFormed(outcome: ProbeOutcome, apiKey: string): void {
  expect(PROBE_CODES).toContain(outcome.code);
  expect(outcome.message).toEqual(expect.stringMatching(/\S/));
  if (outcome.latencyMs !== null) {
    expect(Number.isFinite(outcome.latencyMs)).toBe(true);
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
  }
  if (outcome.requestId !== undefined && outcome.requestId !== null) expect(typeof outcome.requestId).toBe('string');
  const text = JSON.stringify(outcome);
  expect(keyRunsIn(text, apiKey)).toEqual([]);
  // Providers quote a wrong key by its last four characters ("sk-proj-****abcd").
  expect(text, 'the outcome shows the last 4 characters of the key').not.toContain(apiKey.slice(-4));
}

/** Every run of LEAKING_RUN_LENGTH characters of the key found in `text`. */
function keyRunsIn(text: string, apiKey: string): string[] {
  const found: string[] = [];
  for (let start = 0; start + LEAKING_RUN_LENGTH <= apiKey.length; start++) {
    const run = apiKey.slice(start, start + LEAKING_RUN_LENGTH);
    if (text.includes(run)) found.push(run);
  }
  return found;
}

/** A fresh key shaped like the provider's real ones with `text` inside it: a model named `text` holds a run of it. */
function keyHolding(provider: LlmProvider, text: string): string {
  const key = realisticKey(provider);
  return `${key.slice(0, 20)}${text}${key.slice(20)}`;
}

/** A fresh key shaped like the provider's real ones, so that providers which echo part of it do. */
function realisticKey(provider: LlmProvider): string {
  const body = randomBytes(36).toString('base64url');
  return provider === 'anthropic' ? `sk-ant-api03-${body}AA` : `sk-proj-${body}`;
}
