import type { SecretCipher } from '@llm-settings/core';

export interface SecretCipherContractOptions<C extends SecretCipher = SecretCipher> {
  /** Shown in the suite title. */
  name: string;
  /** Builds the cipher under test; called once for the suite. */
  create: () => C | Promise<C>;
  /**
   * Builds a cipher of the same kind under a different key, to check that its tokens are
   * refused. The test that needs it is skipped when it is not given.
   */
  createWithOtherKey?: () => SecretCipher | Promise<SecretCipher>;
  /**
   * Builds a cipher whose key ring holds the keys named, the first one current (it
   * encrypts) and all of them decrypting. A name stands for the same key throughout the
   * suite: map names to keys once, e.g. with a Map. Without it (a cipher with one key),
   * the key ring and rotation-between-keys checks are skipped.
   */
  createWithKeys?: (keyNames: readonly string[]) => C | Promise<C>;
  /**
   * The texts of the keys the suite's ciphers hold (each as configured, and in any other
   * form an error of yours could show), which no refusal may contain. Called at each
   * check, so keys made by the hooks above count once made. Without it, refusals are
   * still checked for the plaintext.
   */
  neverMention?: () => readonly string[];
  /** A cipher whose tokens carry a time. Without it the time checks are skipped. */
  clock?: SecretCipherClockHook<C>;
  /** Releases what `create` acquired; called once after the suite. */
  teardown?: (cipher: C) => void | Promise<void>;
}

/** How the suite controls the time of a cipher whose tokens carry one. */
export interface SecretCipherClockHook<C extends SecretCipher = SecretCipher> {
  /**
   * Builds a cipher that reads the time from `now` only, with the key ring named as in
   * `createWithKeys` (a single name unless `createWithKeys` is given too).
   */
  create: (now: () => Date, keyNames: readonly string[]) => C | Promise<C>;
  /**
   * The token lifetime the ciphers `create` builds enforce, in whole seconds. Omitted
   * when they have none: the expiry checks are skipped.
   */
  ttlSeconds?: number;
  /**
   * How far ahead of `now`, in whole seconds, a token's time may be before `decrypt`
   * refuses it, as the format requires (Fernet: 60, when a TTL is set). Omitted when the
   * format accepts tokens from the future: that check is skipped.
   */
  maxClockSkewSeconds?: number;
}
