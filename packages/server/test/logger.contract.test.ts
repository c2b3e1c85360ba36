import { Writable } from 'node:stream';
import { describeLoggerContract, type LoggedLine, type LoggerContractLevel } from '@llm-settings/contract-tests';
import { createLogger } from '../src/logger.js';

/** pino's numeric levels. */
const LEVEL_NAMES: Readonly<Record<number, LoggerContractLevel>> = { 20: 'debug', 30: 'info', 40: 'warn', 50: 'error' };

/** The server's pino wiring, writing to memory. */
function capturedLogger(level: LoggerContractLevel) {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const written = () => chunks.join('');
  const lines = (): LoggedLine[] =>
    written()
      .split('\n')
      .filter(Boolean)
      .map((text) => {
        const { level: number, msg, ...fields } = JSON.parse(text) as { level: number; msg: string } & Record<string, unknown>;
        return { level: LEVEL_NAMES[number]!, message: msg, fields };
      });
  return { logger: createLogger({ level, destination }), written, lines };
}

describeLoggerContract({
  name: 'server pino wiring (createLogger)',
  create: () => capturedLogger('debug'),
  createAtLevel: capturedLogger,
});
