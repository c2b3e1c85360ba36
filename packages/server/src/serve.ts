import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger as PinoLogger } from 'pino';
import { ConfigError, type Logger } from '@llm-settings/core';
import { clientErrorListener } from '@llm-settings/http-koa';
import { assertSafeToServe, loadConfig, type ServerConfig } from './config.js';
import { unknownVariables } from './unknown-variables.js';
import { wireLlmSettings, type CreateLlmSettingsOptions, type LlmSettings } from './create-llm-settings.js';
import { drainingResponses } from './draining-responses.js';
import { trackConnections, type OpenConnections } from './open-connections.js';
import { createLogDestination, createLogger } from './logger.js';
import { httpModule } from './modules.js';
import { TOKENS } from './tokens.js';

/** How long shutdown waits for in-flight requests before cutting connections. */
const SHUTDOWN_GRACE_MS = 10_000;
/**
 * Storage gets the rest of the grace period plus this to close, and this at the least: its
 * last writes (the usage counts) take milliseconds on a database that answers.
 */
const STORAGE_CLOSE_MARGIN_MS = 2_000;

export interface ServeOptions extends CreateLlmSettingsOptions {
  /**
   * How long `close()` lets in-flight requests finish before it cuts their connections.
   * @default 10000
   */
  shutdownGraceMs?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly settings: LlmSettings;
  readonly server: Server;
  /**
   * Stops accepting, lets in-flight requests finish, then closes storage. Resolves within the
   * grace period plus 2 s: storage that has not closed by then (a connection gone silent under
   * a statement) is abandoned, with a warning.
   */
  close(): Promise<void>;
}

/** Starts the HTTP service on HOST:PORT. */
export async function serve(options: ServeOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const config = options.config ?? loadConfig(env, undefined, undefined, { serving: true });
  assertSafeToServe(config);
  // Without a logger passed in, logs (request lines included) go to stdout through
  // pino's asynchronous destination.
  const stdoutLogger = options.logger ? undefined : createLogger({ level: config.logLevel, destination: createLogDestination() });
  const logger = options.logger ?? stdoutLogger!;
  if (options.config === undefined) warnOfUnknownVariables(env, config, logger);
  const { settings, app } = await wireHttpApp({ ...options, config, logger });
  const handle = app.callback();
  const responses = drainingResponses();
  const server = createServer({ ServerResponse: responses.ServerResponse }, handle);
  // Node answers an Expect other than 100-continue with a bare 417; RFC 9110 lets a
  // server ignore it, so the app answers (a view or a problem) instead.
  server.on('checkExpectation', handle);
  // What Node's parser refuses is answered as a problem too, not with a bare status line.
  server.on('clientError', clientErrorListener(settings.logger));
  const connections = trackConnections(server);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: NodeJS.ErrnoException) => {
    await settings.close();
    throw listenError(error, config.host, config.port);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  const listening = {
    url,
    database: databaseKind(config.databaseUrl.reveal()),
    ...sqliteFile(config.databaseUrl.reveal()),
    data_dir: config.dataDir,
    ...(config.settingsUi ? { settings_page: `${url}/` } : {}),
    // Without SETTINGS_API_TOKEN a request without a token is the admin: the operator should see that.
    auth: config.apiToken === null ? 'none' : 'token',
  };
  if (config.apiToken === null) settings.logger.warn(listening, 'llm-settings listening');
  else settings.logger.info(listening, 'llm-settings listening');

  let closing: Promise<void> | null = null;
  const close = () => {
    responses.drain();
    // The process may exit as soon as this resolves: every line, 'stopped' last, is written by then.
    return (closing ??= shutdown(server, connections, settings, options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS).finally(() => stdoutLogger && flushed(stdoutLogger)));
  };
  return { url, settings, server, close };
}

/** The service wired with its HTTP app; an app that cannot be made (a token option its adapter refuses) leaves nothing open. */
async function wireHttpApp(options: CreateLlmSettingsOptions) {
  const { settings, container } = await wireLlmSettings(options, [httpModule]);
  const app = await container.getAsync(TOKENS.HttpApp).catch(async (error: unknown) => {
    await settings.close();
    throw error;
  });
  return { settings, app };
}

/** One line naming the variables that look like ours but are not (a typo would otherwise go unnoticed); never a value. */
function warnOfUnknownVariables(env: Record<string, string | undefined>, config: ServerConfig, logger: Logger): void {
  const unknown = unknownVariables(env, config.providers);
  if (unknown.length === 0) return;
  const named = unknown.map(({ name, closest }) => (closest === null ? name : `${name} (did you mean ${closest}?)`));
  logger.warn({ unknown_variables: unknown.map(({ name }) => name) }, `ignoring unknown variables: ${named.join(', ')}`);
}

async function shutdown(server: Server, connections: OpenConnections, settings: LlmSettings, graceMs: number): Promise<void> {
  const storageDeadline = performance.now() + graceMs + STORAGE_CLOSE_MARGIN_MS;
  settings.logger.info({}, 'shutting down: finishing in-flight requests');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Idle keep-alive sockets would hold close() open; busy ones close after their response.
  const sweeper = setInterval(() => server.closeIdleConnections(), 50);
  const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
  server.closeIdleConnections();
  await closed;
  clearInterval(sweeper);
  clearTimeout(deadline);
  // The server's close comes before its cut answers' own: wait for those, whose usage is
  // recorded as they close, before the usage meter writes its last counts and closes.
  await connections.allClosed();
  await closeStorage(settings, Math.max(storageDeadline - performance.now(), STORAGE_CLOSE_MARGIN_MS));
  settings.logger.info({}, 'stopped');
}

/**
 * Closes `settings` (its last writes, then its connections), giving up after `withinMs`: on
 * connections gone silent, closing waits for goodbyes that never come (and, without a
 * statement deadline, for statements that never end), which must not keep the process up.
 * An abandoned close goes on in the background, or ends with the process; a close that
 * fails in time still fails the shutdown.
 */
async function closeStorage(settings: LlmSettings, withinMs: number): Promise<void> {
  const closed = settings.close();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), withinMs)));
  const outcome = await Promise.race([closed, late]).finally(() => clearTimeout(timer));
  // A close that fails after this (the race handles its rejection) changes nothing.
  if (outcome === 'late') settings.logger.warn({ waited_ms: Math.round(withinMs) }, 'storage did not close in time: its connections are abandoned');
}

/** Resolves once pino has written every line; a stdout that fails loses its lines, not the stop. */
function flushed(logger: PinoLogger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

/** A newcomer's usual start-up failures, as a message naming the address and the fix. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (error.code === 'EADDRINUSE') {
    return new ConfigError(`${address} is already in use; stop the other server or choose another port with PORT=...`, { cause: error });
  }
  if (error.code === 'EACCES') {
    return new ConfigError(`no permission to listen on ${address}; choose a port above 1023 with PORT=...`, { cause: error });
  }
  if (error.code === 'EADDRNOTAVAIL') {
    return new ConfigError(`${address} is not an address of this machine; change HOST`, { cause: error });
  }
  return error;
}

function databaseKind(url: string): string {
  return url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
}

/** The SQLite file's absolute path (loadConfig made it so), for the start-up line; never a PostgreSQL URL, which may hold a password. */
function sqliteFile(url: string): { database_file?: string } {
  const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : ':memory:';
  return path === ':memory:' ? {} : { database_file: path };
}
