export { createFernetCipher } from './fernet-cipher.js';
export type { FernetCipher, FernetCipherOptions } from './fernet-cipher.js';
export { EXAMPLE_FERNET_KEY, FERNET_KEY_BYTES, generateFernetKey, parseFernetKeys } from './fernet-key.js';
