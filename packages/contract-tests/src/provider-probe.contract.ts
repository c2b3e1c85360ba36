import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  PROBE_CODES,
  defaultModelFor,
  type LlmProvider,
  type ProbeCode,
  type ProbeOutcome,
  type ProbeRequest,
  type ProviderProbe,
} from '@llm-settings/core';

/** How the fake provider answers; the names every probe contract fake understands. */
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
  | 'redirect';

/**
 * A fake provider HTTP API the adapter under test is pointed at. Behaviours:
 * `ok` accepts any key and knows each provider's default model (core's
 * `defaultModelFor`), answering 404 for other models; `unauthorized` 401;
 * `forbidden` 403; `not_found` 404; `rate_limited` 429; `server_error` 500;
 * `overloaded` 529; `hang` never answers; `drop` closes the connection without an
 * answer; `redirect` answers 307 towards a path that would answer like `ok`.
 * Every HTTP answer carries a request id header, as the real providers' do.
 */
export interface ProbeContractFake {
  setBehavior(provider: LlmProvider, behavior: ProbeContractBehavior): void;
  /** Requests the fake received for `provider` since the last `reset()`. */
  requestCount(provider: LlmProvider): number;
  /** Back to `ok` for every provider, and the request counts to zero. */
  reset(): void;
  close(): Promise<void>;
}

export interface ProviderProbeContractOptions<Fake extends ProbeContractFake = ProbeContractFake> {
  /** Names the adapter in test titles. */
  name: string;
  /** Providers the adapter supports; each gets the whole suite. */
  providers: readonly LlmProvider[];
  /** Starts the fake provider, once for the suite. */
  startFake: () => Promise<Fake>;
  /** Builds the probe under test, pointed at the fake. */
  create: (fake: Fake) => ProviderProbe | Promise<ProviderProbe>;
  /**
   * `timeoutMs` of every probe request in the suite. A hanging provider must yield
   * `timeout` within this plus 250 ms.
   * @default 300
   */
  timeoutMs?: number;
}

/** The slack allowed past `timeoutMs` before a hanging call must have become `timeout`. */
const TIMEOUT_SLACK_MS = 250;
/** A run of the key this long in an outcome is a leak. */
const LEAKING_RUN_LENGTH = 8;
const UNKNOWN_MODEL = 'contract-no-such-model';

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
 * Registers the contract every ProviderProbe adapter must pass: each outcome code
 * for each provider, a bounded timeout, aborts, shared identical calls, and
 * outcomes that never carry the key. Call it at the top level of a test file.
 */
export function describeProviderProbeContract<Fake extends ProbeContractFake>(options: ProviderProbeContractOptions<Fake>): void {
  const timeoutMs = options.timeoutMs ?? 300;

  describe(`ProviderProbe contract: ${options.name}`, () => {
    let fake: Fake;
    let probe: ProviderProbe;

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
          timeoutMs,
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

        for (const behavior of ['forbidden', 'not_found'] as const) {
          it(`probe - the message is the same whatever the model, a run of the key included (${behavior}; no oracle)`, async () => {
            fake.setBehavior(provider, behavior);
            const apiKey = realisticKey(provider);
            const runOfKey = await probe.probe(request({ apiKey, model: apiKey.slice(12, 32) }));
            const other = await probe.probe(request({ apiKey, model: randomBytes(15).toString('base64url') }));
            expect(runOfKey.code).toBe(other.code);
            expect(runOfKey.message).toBe(other.message);
          });
        }

        it("probe - an HTTP answer carries the provider's request id", async () => {
          fake.setBehavior(provider, 'unauthorized');
          const outcome = await probe.probe(request());
          expect(outcome.requestId).toEqual(expect.stringMatching(/\S/));
        });

        it('probe - resolves, never rejects, for every provider failure', async () => {
          for (const { behavior } of ANSWERS) {
            fake.setBehavior(provider, behavior);
            await expect(probe.probe(request())).resolves.toMatchObject({ code: expect.any(String) });
          }
        });

        it(`probe - a provider that never answers yields timeout within timeoutMs + ${TIMEOUT_SLACK_MS} ms`, async () => {
          fake.setBehavior(provider, 'hang');
          const sent = request();
          const started = performance.now();
          const outcome = await probe.probe(sent);
          const elapsed = performance.now() - started;
          expect(outcome.code).toBe('timeout');
          expect(elapsed).toBeLessThanOrEqual(timeoutMs + TIMEOUT_SLACK_MS);
          expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
          expectWellFormed(outcome, sent.apiKey);
        });

        it('probe - an already aborted signal yields timeout', async () => {
          const sent = request({ signal: AbortSignal.abort() });
          const outcome = await probe.probe(sent);
          expect(outcome.code).toBe('timeout');
          expectWellFormed(outcome, sent.apiKey);
        });

        it('probe - aborting the signal during the call yields timeout before the deadline', async () => {
          fake.setBehavior(provider, 'hang');
          const controller = new AbortController();
          // A deadline far beyond the test timeout: only the abort can end this probe.
          const pending = probe.probe(request({ signal: controller.signal, timeoutMs: 600_000 }));
          setTimeout(() => controller.abort(), 50);
          const outcome = await pending;
          expect(outcome.code).toBe('timeout');
        });

        it('probe - identical concurrent probes share one call', async () => {
          const sent = request();
          const outcomes = await Promise.all([probe.probe(sent), probe.probe({ ...sent }), probe.probe({ ...sent })]);
          expect(outcomes.map((o) => o.code)).toEqual(['ok', 'ok', 'ok']);
          expect(fake.requestCount(provider)).toBe(1);
        });

        it('probe - concurrent probes with different keys make separate calls', async () => {
          const outcomes = await Promise.all([probe.probe(request()), probe.probe(request())]);
          expect(outcomes.map((o) => o.code)).toEqual(['ok', 'ok']);
          expect(fake.requestCount(provider)).toBe(2);
        });
      });
    }
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
  expect(keyRunsIn(JSON.stringify(outcome), apiKey)).toEqual([]);
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

/** A fresh key shaped like the provider's real ones, so that providers which echo part of it do. */
function realisticKey(provider: LlmProvider): string {
  const body = randomBytes(36).toString('base64url');
  return provider === 'anthropic' ? `sk-ant-api03-${body}AA` : `sk-proj-${body}`;
}
