import type { SecretCipher } from '@llm-settings/core';
import type { SecretCipherContractOptions } from './secret-cipher/options.js';
import { rejectionChecks } from './secret-cipher/rejection.contract.js';
import { keyRingChecks, rotationChecks } from './secret-cipher/rotation.contract.js';
import { concurrencyChecks, roundTripChecks, tokenChecks } from './secret-cipher/round-trip.contract.js';
import { describeCipherChecks } from './secret-cipher/support.js';
import { timeChecks } from './secret-cipher/time.contract.js';

export * from './secret-cipher/options.js';
export { describeSecretCipherRoundTrip } from './secret-cipher/round-trip.contract.js';
export { describeSecretCipherRejection } from './secret-cipher/rejection.contract.js';
export { describeSecretCipherRotation } from './secret-cipher/rotation.contract.js';
export { describeSecretCipherTime } from './secret-cipher/time.contract.js';

/**
 * Registers the tests every {@link SecretCipher} must pass. Ciphers that also implement
 * `RotatingSecretCipher` get the rotation tests too; for others those are skipped.
 * Each concern is also a suite of its own (`describeSecretCipherRoundTrip`, `…Rejection`,
 * `…Rotation`, `…Time`), with the same options. Call it at the top level of a test file.
 */
export function describeSecretCipherContract<C extends SecretCipher>(options: SecretCipherContractOptions<C>): void {
  describeCipherChecks(options, roundTripChecks, tokenChecks, rejectionChecks, concurrencyChecks, rotationChecks, keyRingChecks, timeChecks);
}
