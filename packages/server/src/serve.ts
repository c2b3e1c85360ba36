import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertSafeToServe, loadConfig } from './config.js';
import { createLlmSettings, type CreateLlmSettingsOptions, type LlmSettings } from './create-llm-settings.js';
import { httpModule } from './modules.js';
import { TOKENS } from './tokens.js';

/** How long shutdown waits for in-flight requests before cutting connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningServer {
  readonly url: string;
  readonly settings: LlmSettings;
  readonly server: Server;
  /** Stops accepting, lets in-flight requests finish, then closes storage. */
  close(): Promise<void>;
}

/** Starts the HTTP service on HOST:PORT. */
export async function serve(options: CreateLlmSettingsOptions = {}): Promise<RunningServer> {
  const config = options.config ?? loadConfig(options.env ?? process.env);
  assertSafeToServe(config);
  const settings = await createLlmSettings({ ...options, config });
  settings.container.load(httpModule);
  const app = settings.container.get(TOKENS.HttpApp);
  const server = createServer(app.callback());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  settings.logger.info({ url, database: databaseKind(config.databaseUrl) }, 'llm-settings listening');

  let closing: Promise<void> | null = null;
  const close = () => (closing ??= shutdown(server, settings));
  return { url, settings, server, close };
}

async function shutdown(server: Server, settings: LlmSettings): Promise<void> {
  settings.logger.info({}, 'shutting down: finishing in-flight requests');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Idle keep-alive sockets would hold close() open; busy ones close after their response.
  const sweeper = setInterval(() => server.closeIdleConnections(), 50);
  const deadline = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  server.closeIdleConnections();
  await closed;
  clearInterval(sweeper);
  clearTimeout(deadline);
  await settings.close();
  settings.logger.info({}, 'stopped');
}

function databaseKind(url: string): string {
  return url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
}
