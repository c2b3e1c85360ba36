import { ConfigError, CorruptedSettingsError } from '../errors.js';
import type { SecretCipher } from '../ports/secret-cipher.port.js';
import type { SettingWrite, SettingsStore } from '../ports/settings-store.port.js';
import type { LlmProvider, ProviderRegistry } from '../providers.js';
import { StoredSettingsSchema, type StoredSettings } from '../schemas.js';

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
 * nothing is written (the error names the store key, never the value).
 * @throws ConfigError for a provider the registry does not know.
 */
export async function confirmProviderEndpoint(
  store: SettingsStore,
  cipher: SecretCipher,
  providers: ProviderRegistry,
  provider: LlmProvider,
): Promise<EndpointConfirmation> {
  if (!providers.isKnown(provider)) throw new ConfigError(`unknown provider ${provider}; the known ones are the built-ins and those of LLM_PROVIDERS_FILE`);
  const origin = providers.origin(provider);
  const writes: SettingWrite[] = [];
  let total = 0;
  for await (const record of store.list()) {
    const parsed = StoredSettingsSchema.safeParse(jsonOrNull(await cipher.decrypt(record.value)));
    if (!parsed.success) throw new CorruptedSettingsError(`The value stored under "${record.key}" failed an integrity check; nothing was confirmed.`);
    if (parsed.data.provider !== provider) continue;
    total++;
    if (parsed.data.origin === origin) continue;
    const settings: StoredSettings = { ...parsed.data, origin };
    writes.push({ key: record.key, value: await cipher.encrypt(JSON.stringify(settings)), expectedVersion: record.version });
  }
  if (writes.length > 0) await store.setMany(writes);
  return { origin, total, rebound: writes.length };
}

function jsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
