import type { Logger } from '@llm-settings/core';
import { describe, expect, it } from 'vitest';
import type { LoggerContractLevel, LoggerContractOptions } from './options.js';
import { describeLoggerChecks } from './support.js';

const LEVELS: readonly LoggerContractLevel[] = ['debug', 'info', 'warn', 'error'];

/** Levels: one line per call at its level; with `createAtLevel`, nothing below the threshold. */
export function levelChecks<L extends Logger>(options: LoggerContractOptions<L>): void {
  const { create, createAtLevel } = options;
  describe('levels', () => {
    for (const level of LEVELS) {
      it(`${level} - writes one line at level ${level} with the message and the fields`, async () => {
        const { logger, lines } = await create();
        logger[level]({ route: '/api/settings/llm', status: 204, cached: false, nothing: null, nested: { depth: 2, list: [1, 'two'] } }, `message at ${level}`);
        const written = await lines();
        expect(written).toHaveLength(1);
        expect(written[0]).toMatchObject({
          level,
          message: `message at ${level}`,
          fields: { route: '/api/settings/llm', status: 204, cached: false, nothing: null, nested: { depth: 2, list: [1, 'two'] } },
        });
      });
    }

    it('debug, info, warn and error - lines come in the order logged, each with its own fields', async () => {
      const { logger, lines } = await create();
      LEVELS.forEach((level, i) => logger[level]({ order: i }, `line ${i}`));
      logger.info({ order: 4 }, 'line 4');
      expect((await lines()).map((l) => [l.level, l.message, l.fields.order])).toEqual([
        ['debug', 'line 0', 0],
        ['info', 'line 1', 1],
        ['warn', 'line 2', 2],
        ['error', 'line 3', 3],
        ['info', 'line 4', 4],
      ]);
    });

    it('info - keeps a message of unicode text as given', async () => {
      const { logger, lines } = await create();
      const message = 'Grüße, 你好, مرحبا, 🔑 "quoted" \\ back';
      logger.info({}, message);
      expect((await lines())[0]?.message).toBe(message);
    });

    for (const threshold of LEVELS) {
      it.skipIf(!createAtLevel)(
        `${threshold} threshold - writes ${threshold} and the levels above it, drops those below${createAtLevel ? '' : ' (skipped: no createAtLevel hook)'}`,
        async () => {
          const { logger, lines } = await createAtLevel!(threshold);
          for (const level of LEVELS) logger[level]({ level_name: level }, `at ${level}`);
          expect((await lines()).map((l) => l.level)).toEqual(LEVELS.slice(LEVELS.indexOf(threshold)));
        },
      );
    }
  });
}

/**
 * Registers the checks that each method writes one line at its level with the message and the fields, in order, and (with `createAtLevel`) that a threshold holds.
 * Call it at the top level of a test file.
 */
export function describeLoggerLevels<L extends Logger>(options: LoggerContractOptions<L>): void {
  describeLoggerChecks(options, levelChecks);
}
