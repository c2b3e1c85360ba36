import { describe, expect, it } from 'vitest';
import { isRotatingCipher, type SecretCipher } from '@llm-settings/core';
import type { SecretCipherContractOptions } from './options.js';
import { SECRET, describeCipherChecks, expectRefusal, tamperedWording, type CipherSubject } from './support.js';

/** With `clock`: TTL, clock skew, rotated tokens keep their time. */
export function timeChecks<C extends SecretCipher>(options: SecretCipherContractOptions<C>, _subject: CipherSubject<C>): void {
  const { createWithKeys, clock } = options;
  const skippedClock = clock ? '' : ' (skipped: no clock hook)';
  describe.skipIf(!clock)(`time${skippedClock}`, () => {
    /** A clock the test sets, in whole seconds from a fixed start. */
    const START_MS = Date.UTC(2030, 0, 1);
    let offsetSeconds = 0;
    const now = () => new Date(START_MS + offsetSeconds * 1000);
    const ttl = clock?.ttlSeconds;
    const skew = clock?.maxClockSkewSeconds;

    it.skipIf(ttl === undefined)(
      `decrypt - with a TTL, a token older than the TTL is refused, in the words of a tampered token, and one just younger opens${ttl === undefined ? ' (skipped: no ttlSeconds)' : ''}`,
      async () => {
        const timed = await clock!.create(now, ['only']);
        offsetSeconds = 0;
        const token = await timed.encrypt(SECRET);
        offsetSeconds = ttl! - 1;
        expect(await timed.decrypt(token)).toBe(SECRET);
        offsetSeconds = ttl! + 1;
        const wording = await expectRefusal(options, timed.decrypt(token), 'an expired token');
        expect(wording, 'an expired token is refused in other words than a tampered token').toBe(await tamperedWording(options, timed));
        offsetSeconds = ttl! * 10;
        await expectRefusal(options, timed.decrypt(token), 'a token long expired');
      },
    );

    it.skipIf(skew === undefined)(
      `decrypt - a token from further in the future than the allowed clock skew is refused, in the words of a tampered token, and one within it opens${skew === undefined ? ' (skipped: no maxClockSkewSeconds)' : ''}`,
      async () => {
        const timed = await clock!.create(now, ['only']);
        offsetSeconds = skew! + 1;
        const tooFar = await timed.encrypt(SECRET);
        offsetSeconds = skew! - 1;
        const near = await timed.encrypt(SECRET);
        offsetSeconds = 0;
        const wording = await expectRefusal(options, timed.decrypt(tooFar), 'a token from beyond the clock skew');
        expect(wording, 'a token from the future is refused in other words than a tampered token').toBe(await tamperedWording(options, timed));
        expect(await timed.decrypt(near)).toBe(SECRET);
      },
    );

    const canRotateInTime = ttl !== undefined && createWithKeys !== undefined;
    it.skipIf(!canRotateInTime)(
      `rotate - keeps the token's time: a rotated token expires when the original would have${canRotateInTime ? '' : ' (skipped: needs ttlSeconds and createWithKeys)'}`,
      async (context) => {
        const old = await clock!.create(now, ['old']);
        const ring = await clock!.create(now, ['new', 'old']);
        if (!isRotatingCipher(ring)) return context.skip('the cipher is not a RotatingSecretCipher');
        offsetSeconds = 0;
        const token = await old.encrypt(SECRET);
        offsetSeconds = ttl! - 1;
        const rotated = await ring.rotate(token);
        const fresh = await ring.encrypt(SECRET);
        expect(ring.isCurrent(rotated)).toBe(true);
        expect(await ring.decrypt(rotated)).toBe(SECRET);
        offsetSeconds = ttl! + 1;
        expect(await ring.decrypt(fresh)).toBe(SECRET);
        await expectRefusal(options, ring.decrypt(rotated), 'a rotated token past its original expiry');
      },
    );
  });
}

/**
 * Registers the checks of tokens that carry a time (with `clock`): expiry, clock skew, and `rotate` keeping the time.
 * Call it at the top level of a test file.
 */
export function describeSecretCipherTime<C extends SecretCipher>(options: SecretCipherContractOptions<C>): void {
  describeCipherChecks(options, timeChecks);
}
