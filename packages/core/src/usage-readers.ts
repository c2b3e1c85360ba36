import type { PassThroughPathName, ProviderDialect } from './providers.js';

/** The tokens one answer reports in its `usage`, as the provider counts them. */
export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Input tokens read from the provider's cache; 0 where the provider reports none. */
  readonly cachedInputTokens: number;
}

/** What an answer says of itself: the model it names and its usage, each null when absent. */
export interface AnswerUsage {
  readonly model: string | null;
  readonly usage: TokenUsage | null;
}

/** The provider paths whose calls are counted: those that generate or embed tokens. */
export const USAGE_COUNTED_PATHS: readonly PassThroughPathName[] = ['/v1/messages', '/v1/chat/completions', '/v1/responses', '/v1/embeddings'];

/**
 * Whether a URL path is one of {@link USAGE_COUNTED_PATHS} under any API root (an
 * OpenAI-dialect root ends where `/v1` does: `/api/v1`, `/v1beta/openai`).
 */
export function isUsageCountedPath(pathname: string): boolean {
  return USAGE_COUNTED_PATHS.some((path) => pathname.endsWith(path.slice('/v1'.length)));
}

type Fields = { -readonly [K in keyof TokenUsage]?: number };

/** A JSON answer larger than this is not read for usage (the pass-through reads 256 KiB answers whole). */
export const MAX_USAGE_JSON_CHARS = 1024 * 1024;
/** An event longer than this is skipped: a final event carries the whole answer text. */
export const MAX_USAGE_EVENT_CHARS = 1024 * 1024;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const count = (value: unknown): number | undefined => (Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined);
const nameOf = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** Anthropic's `usage`: `input_tokens`, `output_tokens`, `cache_read_input_tokens`. */
function anthropicFields(usage: unknown): Fields {
  if (!isRecord(usage)) return {};
  return definedOnly({ inputTokens: count(usage.input_tokens), outputTokens: count(usage.output_tokens), cachedInputTokens: count(usage.cache_read_input_tokens) });
}

/**
 * OpenAI's `usage`: Chat Completions' and embeddings' `prompt_tokens`, `completion_tokens`,
 * `prompt_tokens_details.cached_tokens`; the Responses API's `input_tokens`,
 * `output_tokens`, `input_tokens_details.cached_tokens`.
 */
function openAiFields(usage: unknown): Fields {
  if (!isRecord(usage)) return {};
  const details = isRecord(usage.prompt_tokens_details) ? usage.prompt_tokens_details : isRecord(usage.input_tokens_details) ? usage.input_tokens_details : {};
  return definedOnly({
    inputTokens: count(usage.prompt_tokens) ?? count(usage.input_tokens),
    outputTokens: count(usage.completion_tokens) ?? count(usage.output_tokens),
    cachedInputTokens: count(details.cached_tokens),
  });
}

/** A loop rather than Object.entries and Object.fromEntries, which cost several thousand instructions on each counted call. */
function definedOnly(fields: Fields): Fields {
  const defined: Fields = {};
  for (const name in fields) {
    const value = fields[name as keyof Fields];
    if (value !== undefined) defined[name as keyof Fields] = value;
  }
  return defined;
}

/** How each dialect names usage in a whole answer and in its stream events. */
interface DialectUsage {
  answer(body: Record<string, unknown>): { model: string | null; fields: Fields };
  /** One event's data; its fields replace those of earlier events (Anthropic's `message_delta` carries running totals). */
  event(data: Record<string, unknown>): { model: string | null; fields: Fields };
}

const DIALECT_USAGE: Readonly<Record<ProviderDialect, DialectUsage>> = {
  anthropic: {
    answer: (body) => ({ model: nameOf(body.model), fields: anthropicFields(body.usage) }),
    event: (data) =>
      data.type === 'message_start' && isRecord(data.message)
        ? { model: nameOf(data.message.model), fields: anthropicFields(data.message.usage) }
        : { model: null, fields: anthropicFields(data.usage) },
  },
  openai: {
    answer: (body) => ({ model: nameOf(body.model), fields: openAiFields(body.usage) }),
    // A Chat Completions chunk carries `usage` (when asked for); a Responses event its `response`.
    event: (data) => {
      const source = isRecord(data.response) ? data.response : data;
      return { model: nameOf(source.model), fields: openAiFields(source.usage) };
    },
  },
};

function usageOf(fields: Fields): TokenUsage | null {
  if (Object.keys(fields).length === 0) return null;
  return { inputTokens: fields.inputTokens ?? 0, outputTokens: fields.outputTokens ?? 0, cachedInputTokens: fields.cachedInputTokens ?? 0 };
}

/** The model and usage a whole JSON answer of `dialect` names; nulls for what it lacks or for a body that is not JSON. */
export function usageOfJsonAnswer(dialect: ProviderDialect, text: string): AnswerUsage {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { model: null, usage: null };
  }
  if (!isRecord(body)) return { model: null, usage: null };
  const { model, fields } = DIALECT_USAGE[dialect].answer(body);
  return { model, usage: usageOf(fields) };
}

/** The model a JSON request body names, or null. */
export function modelOfJsonRequest(text: string): string | null {
  try {
    const body: unknown = JSON.parse(text);
    return isRecord(body) ? nameOf(body.model) : null;
  } catch {
    return null;
  }
}

const NEWLINE = 0x0a;
const DATA_PREFIX = new TextEncoder().encode('data:');
const USAGE_KEY = new TextEncoder().encode('"usage"');
/** Decodes whole texts only (a JSON body, a complete line), so one serves every reader. */
const decoder = new TextDecoder();

/** Whether `bytes` holds `pattern` from `at`. */
function hasAt(bytes: Uint8Array, pattern: Uint8Array, at: number): boolean {
  if (at + pattern.length > bytes.length) return false;
  for (let i = 0; i < pattern.length; i++) if (bytes[at + i] !== pattern[i]) return false;
  return true;
}

function includes(bytes: Uint8Array, pattern: Uint8Array): boolean {
  for (let at = bytes.indexOf(pattern[0]!); at !== -1; at = bytes.indexOf(pattern[0]!, at + 1)) if (hasAt(bytes, pattern, at)) return true;
  return false;
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const whole = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  return whole;
}

/**
 * Reads an answer's usage from its bytes as they pass, without changing them: a JSON
 * answer whole at its end, an event stream line by line (decoded and parsed only for the
 * `data:` lines that name a usage, and the first one, which names the model). Other
 * answers give nulls.
 */
export class AnswerUsageReader {
  private readonly kind: 'json' | 'events' | 'other';
  /** The JSON body so far, or the stream's unfinished line. */
  private parts: Uint8Array[] = [];
  private length = 0;
  private tooLong = false;
  private model: string | null = null;
  private readonly fields: Fields = {};
  private sawEvent = false;

  /** @param contentType the answer's `content-type`; undefined reads nothing. */
  constructor(
    private readonly dialect: ProviderDialect,
    contentType: string | null | undefined,
  ) {
    const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    this.kind = type === 'text/event-stream' ? 'events' : type === 'application/json' || type.endsWith('+json') ? 'json' : 'other';
  }

  /** The next bytes of the answer. */
  push(bytes: Uint8Array): void {
    if (this.kind === 'other' || bytes.length === 0) return;
    if (this.kind === 'json') this.keep(bytes, MAX_USAGE_JSON_CHARS);
    else this.readLines(bytes);
  }

  /** The answer ended (or was cut): what it said of its model and usage. */
  end(): AnswerUsage {
    if (this.kind === 'json') {
      return this.tooLong || this.length === 0 ? { model: null, usage: null } : usageOfJsonAnswer(this.dialect, decoder.decode(concat(this.parts, this.length)));
    }
    if (this.kind === 'events' && !this.tooLong && this.length > 0) this.readLine(concat(this.parts, this.length));
    return { model: this.model, usage: usageOf(this.fields) };
  }

  /** Keeps `bytes` unless the kept text would pass `max`, which drops it all until the next line. */
  private keep(bytes: Uint8Array, max: number): void {
    if (this.tooLong) return;
    this.length += bytes.length;
    if (this.length > max) {
      this.tooLong = true;
      this.parts = [];
      this.length = 0;
    } else this.parts.push(bytes);
  }

  /** Reads each line `bytes` completes, and keeps the unfinished rest. */
  private readLines(bytes: Uint8Array): void {
    let start = 0;
    for (let newline = bytes.indexOf(NEWLINE); newline !== -1; newline = bytes.indexOf(NEWLINE, start)) {
      this.keep(bytes.subarray(start, newline), MAX_USAGE_EVENT_CHARS);
      if (!this.tooLong) this.readLine(concat(this.parts, this.length));
      this.tooLong = false;
      this.parts = [];
      this.length = 0;
      start = newline + 1;
    }
    if (start < bytes.length) this.keep(bytes.subarray(start), MAX_USAGE_EVENT_CHARS);
  }

  private readLine(line: Uint8Array): void {
    if (!hasAt(line, DATA_PREFIX, 0)) return;
    const first = !this.sawEvent;
    this.sawEvent = true;
    if (!first && !includes(line, USAGE_KEY)) return;
    let data: unknown;
    try {
      data = JSON.parse(decoder.decode(line.subarray(DATA_PREFIX.length)));
    } catch {
      return; // `data: [DONE]`, or an event of another shape
    }
    if (!isRecord(data)) return;
    const { model, fields } = DIALECT_USAGE[this.dialect].event(data);
    this.model ??= model;
    Object.assign(this.fields, fields);
  }
}
