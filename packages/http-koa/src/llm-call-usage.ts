import { AnswerUsageReader, modelOfJsonRequest, type ProviderDialect, type UsageRecorder } from '@llm-settings/core';

/**
 * The usage of one pass-through call, read from the answer bytes as they are passed on
 * (never changing them) and recorded once, when the answer closes: after its last byte
 * was written, so that reading a JSON answer does not delay it.
 */
export class LlmCallUsage {
  private status: number | null = null;
  private reader: AnswerUsageReader | null = null;
  private recorded = false;

  constructor(
    private readonly record: UsageRecorder,
    private readonly scope: string,
    private readonly provider: string,
    private readonly dialect: ProviderDialect,
    private readonly requestBody: Buffer | null,
    /** The scope's stored model: the only one a failed call is counted under by its request's word. */
    private readonly storedModel: string,
  ) {}

  /** The provider answered; only a 2xx answer's body is read. */
  answered(status: number, contentType: string | undefined): void {
    this.status = status;
    if (status >= 200 && status < 300) this.reader = new AnswerUsageReader(this.dialect, contentType);
  }

  /** Answer bytes passed on to the caller. */
  passed(bytes: Uint8Array): void {
    this.reader?.push(bytes);
  }

  /** The answer closed (sent, cut, or never given): counts the call once. */
  ended(): void {
    if (this.recorded) return;
    this.recorded = true;
    const { model, usage } = this.reader?.end() ?? { model: null, usage: null };
    this.record({ scope: this.scope, provider: this.provider, model: model ?? this.requestedModel(), status: this.status, usage });
  }

  /**
   * The model the request named, for a call whose answer named none. A failed call's is
   * kept only when it is the scope's stored model: any text a caller sends would otherwise
   * make a usage row a request, for as long as rows are kept.
   */
  private requestedModel(): string | null {
    // Parsed only when the answer named no model: a request body can be megabytes.
    const requested = this.requestBody === null ? null : modelOfJsonRequest(this.requestBody.toString('utf8'));
    return this.reader !== null || requested === this.storedModel ? requested : null;
  }
}
