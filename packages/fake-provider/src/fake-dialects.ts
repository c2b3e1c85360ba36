
/** A JSON answer of the fake: status, headers besides the ones every answer gets, body. */
export interface FakeAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** A streamed answer: 200 and server-sent events, each a frame ready to write. */
export interface FakeStream {
  readonly frames: readonly string[];
}

/** What a route is given to answer a request that the fake's behaviour lets through. */
export interface FakeCall {
  /** The route's path parameters, decoded. */
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  /** The JSON body when it is an object, else an empty object. */
  readonly body: Readonly<Record<string, unknown>>;
  /** The models the fake knows, in the order they were given. */
  readonly models: readonly string[];
  /** Numbers the completions the fake writes: 1, 2, … since start or reset. */
  nextSerial(): number;
}

/** One endpoint of a provider's API. */
export interface FakeRoute {
  readonly method: 'GET' | 'POST';
  /** Matches the whole path (`/v1/…`); its capture groups are the parameters. */
  readonly path: RegExp;
  /**
   * The model the request is about: the fake answers 404 for a model it does not know.
   * Null for a list; a POST without a model answers 400.
   */
  model(call: FakeCall): string | null;
  answer(call: FakeCall): FakeAnswer | FakeStream;
}

export interface ErrorContext {
  readonly apiKey: string | null;
  /** The model the request is about; null for a path that names no route. */
  readonly model: string | null;
  readonly requestId: string;
  /** Method and path, such as `POST /v1/nope`. */
  readonly route: string;
}

/** How one provider's API looks on the wire. */
export interface ProviderDialect {
  /** Response header carrying the request id. */
  readonly requestIdHeader: string;
  newRequestId(): string;
  /** Headers of every answer besides the request id: rate limits, exhausted in a 429. */
  commonHeaders(rateLimited: boolean): Record<string, string>;
  readonly routes: readonly FakeRoute[];
  /** An error answer, worded like the provider words it. */
  error(status: number, context: ErrorContext): FakeAnswer;
}

/**
 * The text of the fake's `serial`-th completion (counted from 1 since start or
 * `reset()`), streamed a word at a time: deterministic, so a test can expect it.
 */
export function fakeAnswerText(model: string, serial: number): string {
  return `Fake answer ${serial} from ${model}.`;
}

/** The text deltas of a streamed answer: one word each, with the space before it. */
export function textDeltas(text: string): string[] {
  return text.split(/(?= )/);
}

/** A stand-in for a token count, stable for the same input: a quarter of its JSON length. */
export function tokenEstimate(value: unknown): number {
  return Math.max(1, Math.ceil((JSON.stringify(value) ?? '').length / 4));
}

/** One server-sent event; OpenAI's chat stream names no event. */
export function sseFrame(event: string | null, data: unknown): string {
  return `${event === null ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`;
}

/** The POST body's model, or null when it names none. */
export function bodyModel({ body }: FakeCall): string | null {
  return typeof body.model === 'string' ? body.model : null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function headerValue(value: string | string[] | undefined): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? null : first;
}

export function bearerToken(value: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(value ?? '');
  return match?.[1] ?? null;
}
