import type { ProviderAuth } from '@llm-settings/core';

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

/** Every header a provider reads a key from. */
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key'] as const;

/**
 * The fetch handed to the SDKs for one key:
 * - redirects are not followed (a redirect would send the key to another host);
 * - the key goes in the provider's own header only (`auth`), and no other credential
 *   header is sent: ANTHROPIC_CUSTOM_HEADERS can add an `Authorization` or `X-Api-Key`
 *   header that would replace the key under test, and the OpenAI SDK sends a Bearer
 *   header to providers that read `api-key` or nothing.
 */
export function guardedFetch(apiKey: string, auth: ProviderAuth): typeof globalThis.fetch {
  return async (input, init = {}) => {
    const headers = new Headers(init.headers);
    for (const name of CREDENTIAL_HEADERS) headers.delete(name);
    if (auth === 'bearer') headers.set('authorization', `Bearer ${apiKey}`);
    else if (auth !== 'none') headers.set(auth, apiKey);
    const response = await globalThis.fetch(input, { ...init, headers, redirect: 'manual' });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new RedirectRefusedError(response.status);
    }
    return response;
  };
}
