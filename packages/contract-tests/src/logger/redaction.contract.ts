import { SECRET_FIELD_NAMES, type LogFields, type Logger } from '@llm-settings/core';
import { describe, expect, it } from 'vitest';
import type { LoggerContractOptions } from './options.js';
import { describeLoggerChecks } from './support.js';

/** Shaped like an Anthropic key; its middle is distinctive enough to spot any leak. */
const SECRET = 'sk-ant-api03-CONTRACT-LOGGED-SECRET-0123456789abcdef';
const SECRET_CORE = 'CONTRACT-LOGGED-SECRET';
const OPENAI_SECRET = 'sk-proj-CONTRACTlogSECRET0123456789abcdefABCDEF';
/** A secret of no provider's shape (a password, a bearer token): only its field's name tells it. */
const NAMED_SECRET = 'correct-horse-CONTRACT-battery-42';
/**
 * Keys of providers whose prefix is not `sk-`, at their real lengths: xAI, Groq, Google
 * (Gemini). Made of parts, so that no secret scanner takes them for real ones.
 */
const PREFIXED_SECRETS: ReadonlyArray<readonly [string, string]> = [
  ['xAI', `xai-${'CONTRACTxaiSECRET'.padEnd(80, '0123456789')}`],
  ['Groq', `gsk_${'CONTRACTgroqSECRET'.padEnd(52, '0123456789')}`],
  ['Google', `AIza${'Sy_CONTRACT-geminiSECRET'.padEnd(35, '0123456789')}`],
];
/**
 * The headers providers read a key from, as a request carries them (Anthropic's, OpenAI's,
 * Azure OpenAI's, Google's): named here as well as through `SECRET_FIELD_NAMES`, so that a
 * logger, or core, that forgets one fails.
 */
const KEY_HEADER_NAMES = ['Authorization', 'X-Api-Key', 'api-key', 'Api-Key', 'x-goog-api-key', 'X-Goog-Api-Key'];
/** The last four characters of a key, as a masked echo shows them. */
const ECHOED_TAIL = 'Q7vZ';
/**
 * Masked echoes of a key, as providers quote a rejected one (OpenAI's `sk-proj-****abcd`)
 * and as key fields show them: each still gives away the key's last four characters.
 */
const MASKED_ECHOES: ReadonlyArray<readonly [string, string]> = [
  ['an asterisk mask after the prefix', `sk-proj-****${ECHOED_TAIL}`],
  ['an ellipsis after the prefix', `sk-\u2026${ECHOED_TAIL}`],
  ['bullets alone', `\u2022\u2022\u2022\u2022${ECHOED_TAIL}`],
];

/** Redaction of secrets in fields and messages. */
export function redactionChecks<L extends Logger>(options: LoggerContractOptions<L>): void {
  const { create } = options;
  describe('redaction', () => {
    /** Logs `fields` and `message`, then checks the secrets are nowhere and the line still carries `kept`. */
    const expectRedacted = async (fields: LogFields, message: string, kept: Record<string, unknown>) => {
      const { logger, written, lines } = await create();
      logger.warn({ ...fields, ...kept }, message);
      const text = await written();
      for (const secret of [SECRET, SECRET_CORE, OPENAI_SECRET, OPENAI_SECRET.slice(8, 30), NAMED_SECRET]) {
        expect(text, `the output shows ${secret}`).not.toContain(secret);
      }
      const [line] = await lines();
      expect(line, 'the line was not written').toBeDefined();
      expect(line?.fields).toMatchObject(kept);
    };

    const names = [...SECRET_FIELD_NAMES, ...SECRET_FIELD_NAMES.map((name) => name.toUpperCase()), ...KEY_HEADER_NAMES];
    for (const name of new Set(names)) {
      it(`warn - redacts a field named ${name}, keeping the other fields`, async () => {
        await expectRedacted({ [name]: NAMED_SECRET }, 'a secret-named field', { route: '/r', [`${name}_length`]: NAMED_SECRET.length });
      });
    }

    it('warn - redacts secret-named fields at any depth and in arrays', async () => {
      await expectRedacted(
        {
          request: { headers: { authorization: `Bearer ${NAMED_SECRET}`, 'X-Api-Key': NAMED_SECRET, 'api-key': NAMED_SECRET } },
          body: { settings: { provider: 'anthropic', api_key: NAMED_SECRET } },
          attempts: [{ token: NAMED_SECRET }, { Secret: NAMED_SECRET }],
        },
        'nested secrets',
        { request_id: 'req-1' },
      );
    });

    it('warn - redacts key-shaped text in fields that are not named like secrets', async () => {
      await expectRedacted(
        { detail: `provider said: Incorrect API key provided: ${OPENAI_SECRET}`, list: [`key ${SECRET}`] },
        'key-shaped values',
        { provider: 'openai' },
      );
    });

    it('warn - redacts key-shaped text in the message', async () => {
      await expectRedacted({}, `probe failed for ${SECRET} and ${OPENAI_SECRET}`, { provider: 'anthropic' });
    });

    for (const [provider, key] of PREFIXED_SECRETS) {
      it(`warn - redacts a ${provider} key (no sk- prefix) in fields that are not named like secrets and in the message`, async () => {
        const { logger, written, lines } = await create();
        logger.warn({ detail: `Incorrect API key provided: ${key}`, values: [key], provider: 'openai' }, `probe failed for ${key}`);
        expect(await written(), `the output shows the ${provider} key`).not.toContain(key.slice(4, 24));
        const [line] = await lines();
        expect(line?.message, 'the message was dropped rather than redacted').toMatch(/^probe failed for /);
        expect(line?.fields).toMatchObject({ provider: 'openai' });
      });
    }

    for (const [shape, echo] of MASKED_ECHOES) {
      it(`warn - redacts a masked echo of a key (${shape}) in the message and in the fields`, async () => {
        const { logger, written, lines } = await create();
        logger.warn({ detail: `Incorrect API key provided: ${echo}.`, attempts: [{ shown: echo }], provider: 'openai' }, `provider said: Incorrect API key provided: ${echo}.`);
        expect(await written(), `the output shows ${echo}`).not.toContain(ECHOED_TAIL);
        const [line] = await lines();
        expect(line?.message, 'the message was dropped rather than redacted').toMatch(/^provider said: Incorrect API key provided: /);
        expect(line?.fields).toMatchObject({ provider: 'openai' });
      });
    }

    it('warn - an error object in the fields does not carry a key into the output', async () => {
      const error = Object.assign(new Error(`request failed for ${SECRET}`), { apiKey: SECRET, headers: { authorization: `Bearer ${OPENAI_SECRET}` } });
      await expectRedacted({ err: error }, 'an error', { code: 'E_PROBE' });
    });
  });
}

/**
 * Registers the checks that no secret reaches the output: secret field names, key-shaped text and masked echoes of a key, in any field or in the message.
 * Call it at the top level of a test file.
 */
export function describeLoggerRedaction<L extends Logger>(options: LoggerContractOptions<L>): void {
  describeLoggerChecks(options, redactionChecks);
}
