/*
 * Url-safe base64 as Python's `base64.urlsafe_b64encode` / `urlsafe_b64decode` do it,
 * so tokens and keys travel between this package and pyca/cryptography unchanged.
 */

/** A canonical token: base64 alphabet characters, length a multiple of 4, at most two '='. */
const CANONICAL = /^[A-Za-z0-9_\-+/]*={0,2}$/;
const NON_ASCII = /[^\x00-\x7f]/;
const PAD = 0x3d; // '='

/** Sextet of each ASCII code; -1 for characters outside both base64 alphabets. */
const SEXTETS = buildSextetTable();

/** Encodes bytes as url-safe base64 with '=' padding, like `base64.urlsafe_b64encode`. */
export function encodeBase64UrlPadded(bytes: Buffer): string {
  const text = bytes.toString('base64url');
  const rest = bytes.length % 3;
  return rest === 0 ? text : rest === 1 ? `${text}==` : `${text}=`;
}

/**
 * Decodes what `base64.urlsafe_b64decode` accepts: both alphabets ('-_' and '+/'),
 * characters outside them ignored, decoding stops at the first complete padding, and a
 * final group that is not padded is an error. Returns null where Python raises.
 */
export function decodeBase64UrlLikePython(text: string): Buffer | null {
  if (text.length % 4 === 0 && CANONICAL.test(text)) return Buffer.from(text, 'base64url');
  return decodeLeniently(text);
}

/** A port of CPython's non-strict `binascii.a2b_base64`, run after '-_' became '+/'. */
function decodeLeniently(text: string): Buffer | null {
  // Python refuses a str with any non-ASCII character before decoding anything.
  if (NON_ASCII.test(text)) return null;
  const out = Buffer.allocUnsafe(Math.ceil(text.length / 4) * 3);
  let length = 0;
  let quadPos = 0;
  let leftover = 0;
  let pads = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === PAD) {
      if (quadPos >= 2 && quadPos + ++pads >= 4) return out.subarray(0, length);
      continue;
    }
    const sextet = SEXTETS[code]!;
    if (sextet < 0) continue;
    pads = 0;
    switch (quadPos) {
      case 0:
        leftover = sextet;
        break;
      case 1:
        out[length++] = (leftover << 2) | (sextet >> 4);
        leftover = sextet & 0x0f;
        break;
      case 2:
        out[length++] = ((leftover << 4) | (sextet >> 2)) & 0xff;
        leftover = sextet & 0x03;
        break;
      default:
        out[length++] = ((leftover << 6) | sextet) & 0xff;
    }
    quadPos = (quadPos + 1) % 4;
  }
  return quadPos === 0 ? out.subarray(0, length) : null;
}

function buildSextetTable(): Int8Array {
  const table = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  table['+'.charCodeAt(0)] = table['-'.charCodeAt(0)] = 62;
  table['/'.charCodeAt(0)] = table['_'.charCodeAt(0)] = 63;
  return table;
}
