import { describe, expect, it } from 'vitest';
import type { Exchange } from './support/http-client.js';
import { historyViolations, readsOf } from './support/history.js';
import type { Operation, SentSettings } from './support/traffic.js';

/* The load suites trust this checker: here it must catch what it claims to catch. */

let seq = 0;
const answer = (status: number, etag?: string, view?: object): Exchange =>
  ({ status, headers: etag ? { etag } : {}, json: () => view, text: JSON.stringify(view ?? '') }) as unknown as Exchange;
const settings = (model: string): SentSettings => ({ provider: 'openai', model, api_key: `sk-history-${model}-abcd` });
const view = (s: SentSettings) => ({ provider: s.provider, model: s.model, api_key_set: true, api_key_masked: `...${s.api_key.slice(-4)}`, updated_at: null });

function put(start: number, end: number, model: string, etag = `"${++seq}-x"`): Operation {
  const sent = settings(model);
  return { kind: 'PUT', requestId: model, start, end, sent, answer: answer(200, etag, view(sent)) };
}
const del = (start: number, end: number): Operation => ({ kind: 'DELETE', requestId: `d${++seq}`, start, end, answer: answer(204) });
function get(start: number, end: number, shown: Operation | null, etag?: string): Operation {
  const body = shown ? view(shown.sent!) : { provider: 'anthropic', model: 'x', api_key_set: false, api_key_masked: null, updated_at: null };
  return { kind: 'GET', requestId: `g${++seq}`, start, end, answer: answer(200, etag ?? (shown ? String(shown.answer!.headers.etag) : '"0"'), body) };
}
const check = (ops: Operation[]) => historyViolations(ops, readsOf(ops));

describe('history checker', () => {
  it('accepts a sequential history and overlapping operations read either way', () => {
    const a = put(0, 1, 'a');
    const b = put(2, 10, 'b');
    expect(check([a, b, get(3, 4, a), get(5, 12, b), get(11, 12, b), del(13, 14), get(15, 16, null)])).toEqual([]);
  });

  it('reports a lost write: a read after two acknowledged PUTs shows the first', () => {
    const a = put(0, 1, 'a');
    expect(check([a, put(2, 3, 'b'), get(4, 5, a)])).toEqual([expect.stringContaining('stale read of a')]);
  });

  it('reports a DELETE that a later read does not see', () => {
    const a = put(0, 1, 'a');
    expect(check([a, del(2, 3), get(4, 5, a)])).toEqual([expect.stringContaining('stale read of a')]);
  });

  it('reports defaults read after an acknowledged PUT, and settings nobody wrote', () => {
    expect(check([put(0, 1, 'a'), get(2, 3, null)])).toEqual([expect.stringContaining('defaults read')]);
    const ghost = put(0, 1, 'ghost');
    expect(check([get(2, 3, ghost)])).toEqual([expect.stringContaining('no acknowledged PUT wrote')]);
  });

  it('reports a view with another ETag or another key than its PUT answered', () => {
    const a = put(0, 1, 'a');
    expect(check([a, get(2, 3, a, '"99-zz"')])).toEqual([expect.stringContaining('with ETag')]);
    const b = put(0, 1, 'b');
    const torn = get(2, 3, b);
    torn.answer = answer(200, String(b.answer!.headers.etag), { ...view(b.sent!), api_key_masked: '...zzzz' });
    expect(check([b, torn])).toEqual([expect.stringContaining('another provider or key')]);
  });
});
