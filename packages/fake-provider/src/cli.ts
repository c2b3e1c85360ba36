#!/usr/bin/env node
// The fake providers started by hand, to try the server (or an app) without a real
// provider: stdout carries the URLs only, so that a script can read them.
import { parseArgs } from 'node:util';
import { baseUrlVariableOf } from '@llm-settings/core';
import { startFakeProvider } from './fake-provider.js';

const USAGE = `Usage: llm-settings-fake-provider [--port N]

Starts a fake of every built-in LLM provider on 127.0.0.1, accepting any key, and prints
one "<provider> <base URL>" line each, then the variables that point llm-settings at
them. Runs until SIGINT or SIGTERM.

  --port N  the first provider's port, the others on the ports after it
            (default: FAKE_PROVIDER_PORT, else 0: free ports the system picks)
  --help    this text`;

/** The port asked for, 0 for any free ones, or null when it is not a port. */
function portOf(value: string | undefined): number | null {
  if (value === undefined || value === '') return 0;
  const port = Number(value);
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? port : null;
}

async function main(): Promise<void> {
  let values: { port?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { port: { type: 'string' }, help: { type: 'boolean' } } }));
  } catch (error) {
    return usageError((error as Error).message);
  }
  if (values.help === true) return void console.log(USAGE);
  const firstPort = portOf(values.port ?? process.env.FAKE_PROVIDER_PORT);
  if (firstPort === null) return usageError('the port must be an integer from 0 (free ones) to 65535');

  const fake = await startFakeProvider({ firstPort });
  // Before the URLs: whoever reads them may signal at once.
  const stop = () => void fake.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const urls = Object.entries(fake.baseUrls);
  console.log(urls.map(([provider, url]) => `${provider} ${url}`).join('\n'));
  console.log(urls.map(([provider, url]) => `${baseUrlVariableOf(provider)}=${url}`).join(' '));
  console.error('Any key is accepted. Ctrl-C stops the fake providers.');
}

function usageError(message: string): void {
  console.error(`llm-settings-fake-provider: ${message}\n\n${USAGE}`);
  process.exitCode = 2;
}

main().catch((error: unknown) => {
  console.error(`llm-settings-fake-provider: ${(error as Error).message}`);
  process.exitCode = 1;
});
