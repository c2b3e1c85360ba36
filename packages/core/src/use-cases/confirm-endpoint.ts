import { ConfigError } from '../errors.js';
import type { SecretCipher } from '../ports/secret-cipher.port.js';
import type { SettingsStore } from '../ports/settings-store.port.js';
import { baseUrlVariableOf, type LlmProvider, type ProviderRegistry } from '../providers.js';
import { hasOwnSettings } from '../schemas.js';
import { checkOptions } from '../validation.js';
import { SettingsRepository } from './settings-repository.js';

export interface EndpointConfirmation {
  /** The origin the provider's keys are now bound to. */
  origin: string;
  /** Stored values of the provider. */
  total: number;
  /** Of those, the ones bound to another origin (or to none) before, now bound to `origin`. */
  rebound: number;
}

/**
 * The operator's confirmation that a provider's API root moved: every stored key of
 * `provider` is bound to the origin of its API root now, in one atomic write. Values of
 * other providers are left as they are. A value that cannot be decrypted stops it, and
 * nothing is written (the error names the store key, never the value). Each rebound scope
 * gets a `confirm-endpoint` history entry by `actor` (default `embedded`), in the same write.
 * @throws ConfigError for a provider the registry does not know.
 */
export async function confirmProviderEndpoint(
  store: SettingsStore,
  cipher: SecretCipher,
  providers: ProviderRegistry,
  provider: LlmProvider,
  options: { actor?: string } = {},
): Promise<EndpointConfirmation> {
  checkOptions(options);
  // Named as the field, never quoted: what was passed may be anything, a pasted key included.
  if (!providers.isKnown(provider)) throw new ConfigError('the provider to confirm is unknown; the known ones are the built-ins and those of LLM_PROVIDERS_FILE');
  if (!providers.hasRoot(provider)) throw new ConfigError(`provider ${provider} has no API root to bind its keys to: set ${baseUrlVariableOf(provider)} first`);
  const origin = providers.origin(provider);
  let total = 0;
  const actor = options.actor ?? 'embedded';
  const rebound = await new SettingsRepository({ store, cipher, providers }).rewriteAll(
    (settings) => {
      if (!hasOwnSettings(settings) || settings.provider !== provider) return null;
      total++;
      return settings.origin === origin ? null : { ...settings, origin };
    },
    (scope) => ({ scope, action: 'confirm-endpoint', actor, fields: [], apiKeyChanged: false }),
  );
  return { origin, total, rebound };
}
