import type { ProbeOutcome, ProbeRequest, ProviderProbe } from '../ports/provider-probe.port.js';

export interface ScriptedProbe extends ProviderProbe {
  /** Every request received, in order. */
  readonly calls: ProbeRequest[];
}

/**
 * A probe that answers with `respond`, for testing the use cases without a provider. A
 * stub, not a reference adapter: it makes no call, so it cannot pass the probe contract
 * (`createFetchProbe` does).
 */
export function createScriptedProbe(
  respond: (request: ProbeRequest) => ProbeOutcome | Promise<ProbeOutcome> = () => ({ code: 'ok', message: 'Connection OK.', latencyMs: 1 }),
): ScriptedProbe {
  const calls: ProbeRequest[] = [];
  return {
    calls,
    async probe(request) {
      calls.push(request);
      return respond(request);
    },
  };
}
