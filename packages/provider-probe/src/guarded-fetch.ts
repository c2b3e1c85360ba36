/**
 * Thrown by {@link guardedFetch} for a 3xx answer. The SDK hands it back as the
 * `cause` of its connection error.
 */
export class RedirectRefusedError extends Error {
  readonly status: number;

  constructor(status: number) {
    super(`The provider answered with HTTP ${status}; redirects are not followed.`);
    this.name = 'RedirectRefusedError';
    this.status = status;
  }
}

/**
 * The fetch handed to the SDKs for one probe:
 * - redirects are not followed (a redirect would send the key to another host);
 * - every credential header carries this probe's key. ANTHROPIC_CUSTOM_HEADERS can add
 *   an `Authorization` or `X-Api-Key` header that would replace the key under test.
 */
export function guardedFetch(apiKey: string): typeof globalThis.fetch {
  return async (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (headers.has('authorization')) headers.set('authorization', `Bearer ${apiKey}`);
    if (headers.has('x-api-key')) headers.set('x-api-key', apiKey);
    const response = await globalThis.fetch(input, { ...init, headers, redirect: 'manual' });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new RedirectRefusedError(response.status);
    }
    return response;
  };
}
