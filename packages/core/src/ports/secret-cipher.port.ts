/**
 * Encrypts secrets at rest. Implementations authenticate what they encrypt: a token whose
 * content was altered in any way (a byte it encodes changed, added or removed, or a
 * character its encoding does not have put in) must not decrypt. A token is its content,
 * not its spelling: where the encoding spells the same bytes in more than one way (the
 * unused low bits of base64's last character, base64's two alphabets), each spelling is
 * the same token and may decrypt.
 */
export interface SecretCipher {
  /**
   * Encrypts a UTF-8 string.
   * @returns an opaque, printable token safe to store in a text column.
   */
  encrypt(plaintext: string): Promise<string>;

  /**
   * Decrypts a token made by {@link SecretCipher.encrypt} under any configured key.
   * @throws DecryptionError when the token is malformed, tampered, expired or was made
   *   under a key that is not configured; the error never says which.
   */
  decrypt(token: string): Promise<string>;
}

/** A cipher with a key ring whose first key encrypts and every key decrypts. */
export interface RotatingSecretCipher extends SecretCipher {
  /**
   * Re-encrypts a token under the first (current) key, keeping what the token
   * carries besides the plaintext (such as its timestamp).
   * @throws DecryptionError when no configured key opens the token.
   */
  rotate(token: string): Promise<string>;

  /**
   * Whether the token was made under the first key, without decrypting it.
   * @returns false for tokens under an older key and for tokens no key opens.
   */
  isCurrent(token: string): boolean;
}

/** True when the cipher supports key rotation. */
export function isRotatingCipher(cipher: SecretCipher): cipher is RotatingSecretCipher {
  const candidate = cipher as Partial<RotatingSecretCipher>;
  return typeof candidate.rotate === 'function' && typeof candidate.isCurrent === 'function';
}
