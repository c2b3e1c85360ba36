import { maskApiKey } from './masking.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * A secret string that shows only its mask wherever it is printed by accident:
 * `String()`, template literals, `JSON.stringify` (and so pino) and `util.inspect` (and so
 * `console.log`) give the mask; only {@link Secret.reveal} gives the plaintext. The value
 * sits in a private field, so spreading or listing the object's keys finds nothing.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The plaintext, for the one place that must send it (an SDK client, an upstream header). */
  reveal(): string {
    return this.#value;
  }

  /** The mask: `...` and the last four characters, or `...` alone for short values. */
  toString(): string {
    return maskApiKey(this.#value);
  }

  toJSON(): string {
    return this.toString();
  }

  [INSPECT](): string {
    return `Secret(${this.toString()})`;
  }
}
