/*
 * Url-safe base64 as pyca/cryptography writes it (`base64.urlsafe_b64encode`), so tokens
 * and keys travel between this package and Python unchanged.
 */

/** Canonical base64: alphabet characters (url-safe or standard), then at most two '='; length a multiple of 4. */
const CANONICAL = /^[A-Za-z0-9_\-+/]*={0,2}$/;

/** Encodes bytes as url-safe base64 with '=' padding, like `base64.urlsafe_b64encode`. */
export function encodeBase64UrlPadded(bytes: Buffer): string {
  const text = bytes.toString('base64url');
  const rest = bytes.length % 3;
  return rest === 0 ? text : rest === 1 ? `${text}==` : `${text}=`;
}

/**
 * Decodes canonical base64 in either alphabet ('-_' or '+/'), padded as pyca/cryptography
 * writes every token and key; null for anything else. Python's `urlsafe_b64decode` also
 * reads some other spellings (whitespace inside, text after the padding): those are
 * refused here, and everything Python refuses is refused too.
 */
export function decodeBase64Url(text: string): Buffer | null {
  // Node's decoder takes both alphabets, but never refuses: the shape is checked first.
  return text.length % 4 === 0 && CANONICAL.test(text) ? Buffer.from(text, 'base64url') : null;
}
