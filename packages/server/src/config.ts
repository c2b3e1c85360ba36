import { statSync } from 'node:fs';
import { isIP, isIPv6 } from 'node:net';
import { resolve, dirname } from 'node:path';
import { inspect, type InspectOptionsStylized } from 'node:util';
import { z } from 'zod';
import {
  baseUrlVariableOf,
  ConfigError,
  DEFAULT_MODEL_LIST_CACHE_MAX_BYTES,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_USAGE_FLUSH_MS,
  DEFAULT_USAGE_RETENTION_DAYS,
  isLoopbackHost,
  PROVIDERS,
  Secret,
  type ProviderRegistry,
} from '@llm-settings/core';
import {
  API_TOKEN_RULE,
  canonicalHost,
  corsOriginOf,
  DEFAULT_LLM_BODY_TIMEOUT_MS,
  DEFAULT_LLM_MAX_BODY_BYTES,
  DEFAULT_LLM_MAX_IN_FLIGHT,
  DEFAULT_LLM_MAX_IN_FLIGHT_PER_SCOPE,
  DEFAULT_LLM_TIMEOUT_MS,
  isUsableApiToken,
} from '@llm-settings/http-koa';
import { DEFAULT_MAX_IN_FLIGHT } from '@llm-settings/provider-probe';
import { parseFernetKeys } from '@llm-settings/crypto-fernet';
import { jwksUrlProblem, parseTokenSecrets, type IdentityProviderOptions } from '@llm-settings/auth-jose/config';
import { DEFAULT_DATABASE_FILE, findProjectDir } from './data-home.js';
import { loadProviderConfig } from './provider-config.js';
import { cliCommand } from './cli-command.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** An empty variable counts as unset, as in most twelve-factor tooling. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
/**
 * A key or token: empty is refused, not read as unset. It most often comes from a shell
 * variable that was not set (`SETTINGS_API_TOKEN=$TOKEN`), and read as unset it would
 * quietly turn off the protection the operator meant to turn on.
 */
const secret = (name: string, schema: z.ZodString) =>
  z
    .string()
    .min(1, { message: `${name} is set but empty (an unset shell variable?): give it a value, or remove it from the environment`, abort: true })
    .pipe(schema)
    .optional();
/** Decimal digits only: a number coercion would read ' ' as 0, '0x1F90' as 8080 and '1e3' as 1000. */
const integer = (name: string, min: number, max: number) => {
  const message = `${name} must be an integer from ${min} to ${max}`;
  return z.string().regex(/^\d+$/, message).transform(Number).pipe(z.number().min(min, message).max(max, message));
};
const httpUrl = (name: string) =>
  z.url({ protocol: /^https?$/, error: () => `${name} must be an http(s) URL` });
/** A listen address: an IP address, or a name without a port. */
const listenHost = (name: string) =>
  z.string().refine((value) => isIP(value) !== 0 || (!value.includes(':') && canonicalHost(value) !== null), `${name} must be a hostname or IP address`);
/**
 * A comma-separated list whose entries `isUsable` accepts; the unusable entries are named
 * by position, never by value, on one line saying what each must be.
 */
const commaList = (name: string, isUsable: (entry: string) => boolean, mustBe: string) =>
  z.string().transform((value, ctx) => {
    const entries = value.split(',').map((entry) => entry.trim());
    const unusable = entries.flatMap((entry, index) => (isUsable(entry) ? [] : [index + 1]));
    if (unusable.length > 0) {
      const which = unusable.length === 1 ? `entry ${unusable[0]} must be` : `entries ${unusable.join(', ')} must each be`;
      ctx.addIssue({ code: 'custom', message: `${name} ${which} ${mustBe}` });
    }
    return entries;
  });
/** Comma-separated Host values. */
const hostList = (name: string) =>
  commaList(name, (entry) => canonicalHost(entry) !== null, 'a hostname or IP address, optionally with :port (IPv6 in brackets)');
/** Comma-separated origins (`https://app.example.com`). */
const originList = (name: string) =>
  commaList(name, (entry) => corsOriginOf(entry) !== null, 'an http(s) origin such as https://app.example.com (scheme, host and optional port only)');

/** Comma-separated beta names (`prompt-caching-2024-07-31`, `assistants=v2`). */
const betaList = (name: string) => commaList(name, (entry) => /^[A-Za-z0-9._=-]{1,128}$/.test(entry), 'a beta name: letters, digits, ., _, = and -');

/** A ConfigError's reason without its full stop, for a line naming the variable (or the file). */
export const reasonOf = (error: unknown, fallback: string) => (error instanceof ConfigError ? error.message.replace(/\.$/, '') : fallback);

/** Checked here, not only when the cipher is built, so a bad key is reported with the other variables. */
const fernetKeys = (name: string) =>
  z.string().superRefine((value, ctx) => {
    try {
      parseFernetKeys(value);
    } catch (error) {
      // The parser names keys by position, never by value.
      ctx.addIssue({ code: 'custom', message: `${name} is invalid: ${reasonOf(error, 'it is not a Fernet key list')}; generate a key with ${cliCommand('generate-key')}` });
    }
  });

/** SETTINGS_TOKEN_SECRET, checked by the adapter's own parser (which names entries by position, never by value). */
const tokenSecrets = (name: string) =>
  z.string().superRefine((value, ctx) => {
    try {
      parseTokenSecrets(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `${name} is invalid: ${reasonOf(error, 'it is not a list of secrets')}` });
    }
  });

/** SETTINGS_JWKS_URL: https, or http on a loopback address, without a user name or password. */
const jwksUrl = (name: string) =>
  z.string().superRefine((value, ctx) => {
    const problem = jwksUrlProblem(value);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: `${name} ${problem}` });
  });

const MIB = 1024 * 1024;

const EnvSchema = z.object({
  NODE_ENV: optional(z.string()),
  ENCRYPTION_KEY: secret('ENCRYPTION_KEY', fernetKeys('ENCRYPTION_KEY')),
  DATABASE_URL: optional(
    z.string().regex(/^(sqlite:|postgres:\/\/|postgresql:\/\/)/, 'DATABASE_URL must start with sqlite:, postgres:// or postgresql://'),
  ),
  HOST: optional(listenHost('HOST')),
  ALLOWED_HOSTS: optional(hostList('ALLOWED_HOSTS')),
  CORS_ORIGINS: optional(originList('CORS_ORIGINS')),
  PORT: optional(integer('PORT', 0, 65535)),
  PROBE_TIMEOUT_MS: optional(integer('PROBE_TIMEOUT_MS', 100, 120_000)),
  PROBE_MAX_IN_FLIGHT: optional(integer('PROBE_MAX_IN_FLIGHT', 1, 1000)),
  MODEL_LIST_CACHE_MAX_BYTES: optional(integer('MODEL_LIST_CACHE_MAX_BYTES', 0, 4096 * MIB)),
  PROXY_MAX_BODY_BYTES: optional(integer('PROXY_MAX_BODY_BYTES', 1024, 100 * MIB)),
  PROXY_TIMEOUT_MS: optional(integer('PROXY_TIMEOUT_MS', 1000, 3_600_000)),
  PROXY_BODY_TIMEOUT_MS: optional(integer('PROXY_BODY_TIMEOUT_MS', 1000, 300_000)),
  PROXY_MAX_IN_FLIGHT: optional(integer('PROXY_MAX_IN_FLIGHT', 1, 100_000)),
  PROXY_MAX_IN_FLIGHT_PER_SCOPE: optional(integer('PROXY_MAX_IN_FLIGHT_PER_SCOPE', 1, 100_000)),
  PROXY_ALLOWED_BETAS: optional(betaList('PROXY_ALLOWED_BETAS')),
  HISTORY_RETENTION_DAYS: optional(integer('HISTORY_RETENTION_DAYS', 1, 36_500)),
  SETTINGS_API_TOKEN: secret('SETTINGS_API_TOKEN', z.string().refine(isUsableApiToken, `SETTINGS_API_TOKEN ${API_TOKEN_RULE}`)),
  ALLOW_UNAUTHENTICATED: optional(z.enum(['0', '1', 'true', 'false'], { error: () => 'ALLOW_UNAUTHENTICATED must be 1 or 0' })),
  ALLOW_UNDECRYPTABLE: optional(z.enum(['0', '1', 'true', 'false'], { error: () => 'ALLOW_UNDECRYPTABLE must be 1 or 0' })),
  SETTINGS_UI: optional(z.enum(['0', '1', 'true', 'false'], { error: () => 'SETTINGS_UI must be 1 or 0' })),
  METRICS: optional(z.enum(['0', '1', 'true', 'false'], { error: () => 'METRICS must be 1 or 0' })),
  METRICS_TOKEN: secret('METRICS_TOKEN', z.string().refine(isUsableApiToken, `METRICS_TOKEN ${API_TOKEN_RULE}`)),
  SETTINGS_TOKEN_SECRET: secret('SETTINGS_TOKEN_SECRET', tokenSecrets('SETTINGS_TOKEN_SECRET')),
  SETTINGS_JWKS_URL: optional(jwksUrl('SETTINGS_JWKS_URL')),
  SETTINGS_JWT_ISSUER: optional(z.string()),
  SETTINGS_JWT_AUDIENCE: optional(z.string()),
  SETTINGS_JWT_SCOPE_PREFIX: optional(z.string().regex(/^[A-Za-z0-9._:@-]{0,64}$/, 'SETTINGS_JWT_SCOPE_PREFIX must be up to 64 letters, digits or . _ : @ -')),
  SETTINGS_JWT_SCOPE_CLAIM: optional(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'SETTINGS_JWT_SCOPE_CLAIM must be a claim name: up to 64 letters, digits or _ . : -')),
  USAGE_FLUSH_MS: optional(integer('USAGE_FLUSH_MS', 100, 3_600_000)),
  USAGE_RETENTION_DAYS: optional(integer('USAGE_RETENTION_DAYS', 1, 36_500)),
  ANTHROPIC_BASE_URL: optional(httpUrl('ANTHROPIC_BASE_URL')),
  OPENAI_BASE_URL: optional(httpUrl('OPENAI_BASE_URL')),
  LOG_LEVEL: optional(z.enum(LOG_LEVELS, { error: () => `LOG_LEVEL must be one of: ${LOG_LEVELS.join(', ')}` })),
  LLM_SETTINGS_HOME: optional(z.string()),
});

export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything the server reads from the environment, validated. */
export interface ServerConfig {
  production: boolean;
  /** The ENCRYPTION_KEY list, or null when unset (a key file is used outside production). Prints as its mask. */
  encryptionKey: Secret | null;
  /**
   * DATABASE_URL, with an SQLite file's path made absolute; by default
   * `sqlite:<dataDir>/llm-settings.db`. `reveal()` gives it; printed, its password is `***`.
   */
  databaseUrl: Secret;
  /**
   * Folder for local state, absolute: LLM_SETTINGS_HOME, else the SQLite file's folder, else
   * `<project>/data` (see {@link loadConfig}). Holds encryption.key when generated.
   */
  dataDir: string;
  host: string;
  /** ALLOWED_HOSTS: further Host values to serve besides HOST and the loopback names. */
  allowedHosts: string[];
  /** CORS_ORIGINS: origins whose pages may call the API; none by default. */
  corsOrigins: string[];
  port: number;
  probeTimeoutMs: number;
  /** Provider tests in flight at once; more answer PROBE.BUSY. */
  probeMaxInFlight: number;
  /** MODEL_LIST_CACHE_MAX_BYTES: the live model lists kept, in estimated bytes; 0 keeps none. */
  modelListCacheMaxBytes: number;
  /** Largest request body the LLM pass-through forwards. */
  proxyMaxBodyBytes: number;
  /** Upper bound of one LLM call through the pass-through, or of each attempt of an SDK client from `client()` (its body or stream included). */
  llmTimeoutMs: number;
  /** Time the pass-through waits for a request body; a slower one is a 408. */
  proxyBodyTimeoutMs: number;
  /** Pass-through calls in flight at once; more answer 429. */
  proxyMaxInFlight: number;
  /** Pass-through calls in flight at once for one scope; more answer 429. */
  proxyMaxInFlightPerScope: number;
  /** Values of `anthropic-beta` and `openai-beta` the pass-through forwards; none by default. */
  proxyAllowedBetas: string[];
  /** HISTORY_RETENTION_DAYS: how long the history of changes is kept (default 365 days). */
  historyRetentionDays: number;
  /** SETTINGS_API_TOKEN, or null when unset. Prints as its mask. */
  apiToken: Secret | null;
  allowUnauthenticated: boolean;
  /** ALLOW_UNDECRYPTABLE: start even when the keys open none of the stored values checked. */
  allowUndecryptable: boolean;
  /** SETTINGS_UI: serve the settings page at `/` (on unless turned off). */
  settingsUi: boolean;
  /** `<ID>_BASE_URL` (ANTHROPIC_BASE_URL, OPENROUTER_BASE_URL, ...) by provider id, for those set. */
  baseUrls: Record<string, string>;
  /**
   * The providers: LLM_PROVIDERS (default anthropic,openai) and those of
   * LLM_PROVIDERS_FILE enabled, at their roots (`<ID>_BASE_URL` over the defaults).
   */
  providers: ProviderRegistry;
  /** METRICS: serve `GET /metrics` and count what the server does (on unless turned off). */
  metrics: boolean;
  /** METRICS_TOKEN: the token a scraper presents for /metrics instead of the API token, or null. Prints as its mask. */
  metricsToken: Secret | null;
  /**
   * SETTINGS_TOKEN_SECRET: the secrets of minted scope tokens, comma-separated, the first
   * signing and all verifying; null when unset (no tokens are minted). Prints as its mask.
   */
  tokenSecrets: Secret | null;
  /**
   * The app's identity provider, whose tokens are accepted as scoped tokens:
   * SETTINGS_JWKS_URL, SETTINGS_JWT_ISSUER, SETTINGS_JWT_AUDIENCE (all three, or none),
   * SETTINGS_JWT_SCOPE_PREFIX (default empty) and SETTINGS_JWT_SCOPE_CLAIM (default `sub`); null when unset.
   */
  identityProvider: IdentityProviderOptions | null;
  /** USAGE_FLUSH_MS: how often the usage counted in memory is written; what a crash can lose at most. */
  usageFlushMs: number;
  /** USAGE_RETENTION_DAYS: usage rows older than this are pruned. */
  usageRetentionDays: number;
  logLevel: LogLevel;
}

/** What `loadConfig` checks besides the variables themselves. */
export interface LoadConfigOptions {
  /** For `serve`: refuse an API exposed beyond this machine without a token (see {@link assertSafeToServe}). */
  serving?: boolean;
}

/**
 * Reads and validates the configuration. Every problem becomes one line of the
 * ConfigError message, naming the variable and never its value, all in one refusal.
 * @param cwd resolves the paths a user types: a relative LLM_SETTINGS_HOME or `sqlite:` path.
 * @param projectDir holds the default data folder, `<projectDir>/data`, so that the working
 *   directory does not decide the data; the project found from the server package's location
 *   (see findProjectDir), else `cwd`.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
  projectDir = findProjectDir() ?? cwd,
  options: LoadConfigOptions = {},
): ServerConfig {
  const parsed = EnvSchema.safeParse(env);
  const lines = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => issue.message)),
    ...identityProviderLines(env),
    ...storagePathLines(env, cwd),
    ...productionLines(env),
  ];
  // ANTHROPIC_BASE_URL and OPENAI_BASE_URL are reported by the schema above.
  const providerLines: string[] = [];
  const providerConfig = loadProviderConfig(env, cwd, providerLines);
  lines.push(...providerLines.filter((line) => !/^(ANTHROPIC|OPENAI)_BASE_URL must be/.test(line)));
  if (options.serving) lines.push(...exposureLines(env));
  if (!parsed.success || providerConfig === null || lines.length > 0) {
    throw new ConfigError(`Invalid configuration:\n${lines.map((l) => `  - ${l}`).join('\n')}`);
  }
  const e = parsed.data;
  const production = isProduction(e.NODE_ENV);
  const { databaseUrl, dataDir } = storageLocations(e.DATABASE_URL, e.LLM_SETTINGS_HOME, cwd, projectDir);
  return {
    production,
    encryptionKey: secretOrNull(e.ENCRYPTION_KEY),
    databaseUrl: new ConnectionUrl(databaseUrl),
    dataDir,
    host: e.HOST ?? '127.0.0.1',
    allowedHosts: e.ALLOWED_HOSTS ?? [],
    corsOrigins: e.CORS_ORIGINS ?? [],
    port: e.PORT ?? 8080,
    probeTimeoutMs: e.PROBE_TIMEOUT_MS ?? DEFAULT_PROBE_TIMEOUT_MS,
    probeMaxInFlight: e.PROBE_MAX_IN_FLIGHT ?? DEFAULT_MAX_IN_FLIGHT,
    modelListCacheMaxBytes: e.MODEL_LIST_CACHE_MAX_BYTES ?? DEFAULT_MODEL_LIST_CACHE_MAX_BYTES,
    proxyMaxBodyBytes: e.PROXY_MAX_BODY_BYTES ?? DEFAULT_LLM_MAX_BODY_BYTES,
    llmTimeoutMs: e.PROXY_TIMEOUT_MS ?? DEFAULT_LLM_TIMEOUT_MS,
    proxyBodyTimeoutMs: e.PROXY_BODY_TIMEOUT_MS ?? DEFAULT_LLM_BODY_TIMEOUT_MS,
    proxyMaxInFlight: e.PROXY_MAX_IN_FLIGHT ?? DEFAULT_LLM_MAX_IN_FLIGHT,
    proxyMaxInFlightPerScope: e.PROXY_MAX_IN_FLIGHT_PER_SCOPE ?? DEFAULT_LLM_MAX_IN_FLIGHT_PER_SCOPE,
    proxyAllowedBetas: e.PROXY_ALLOWED_BETAS ?? [],
    historyRetentionDays: e.HISTORY_RETENTION_DAYS ?? 365,
    apiToken: secretOrNull(e.SETTINGS_API_TOKEN),
    allowUnauthenticated: e.ALLOW_UNAUTHENTICATED === '1' || e.ALLOW_UNAUTHENTICATED === 'true',
    allowUndecryptable: e.ALLOW_UNDECRYPTABLE === '1' || e.ALLOW_UNDECRYPTABLE === 'true',
    settingsUi: e.SETTINGS_UI !== '0' && e.SETTINGS_UI !== 'false',
    baseUrls: providerConfig.baseUrls,
    providers: providerConfig.registry,
    metrics: e.METRICS !== '0' && e.METRICS !== 'false',
    metricsToken: secretOrNull(e.METRICS_TOKEN),
    tokenSecrets: secretOrNull(e.SETTINGS_TOKEN_SECRET),
    identityProvider:
      e.SETTINGS_JWKS_URL === undefined
        ? null
        : new IdentityProvider({
            jwksUrl: e.SETTINGS_JWKS_URL,
            issuer: e.SETTINGS_JWT_ISSUER!,
            audience: e.SETTINGS_JWT_AUDIENCE!,
            scopePrefix: e.SETTINGS_JWT_SCOPE_PREFIX ?? '',
            scopeClaim: e.SETTINGS_JWT_SCOPE_CLAIM ?? 'sub',
          }),
    usageFlushMs: e.USAGE_FLUSH_MS ?? DEFAULT_USAGE_FLUSH_MS,
    usageRetentionDays: e.USAGE_RETENTION_DAYS ?? DEFAULT_USAGE_RETENTION_DAYS,
    logLevel: e.LOG_LEVEL ?? 'info',
  };
}

/** Every variable this server reads, the base URLs of `providers` and of the built-in providers included. */
export function knownVariables(providers: ProviderRegistry): string[] {
  const providerIds = new Set([...PROVIDERS.map((p) => p.id), ...providers.enabledIds]);
  return [...Object.keys(EnvSchema.shape), 'LLM_PROVIDERS', 'LLM_PROVIDERS_FILE', ...[...providerIds].map(baseUrlVariableOf)];
}

const IDENTITY_PROVIDER_VARIABLES = ['SETTINGS_JWKS_URL', 'SETTINGS_JWT_ISSUER', 'SETTINGS_JWT_AUDIENCE'] as const;

/** The identity provider's variables go together: a key set without its issuer and audience would accept any token it signed. */
function identityProviderLines(env: Record<string, string | undefined>): string[] {
  const set = IDENTITY_PROVIDER_VARIABLES.filter((name) => (env[name] ?? '') !== '');
  if (set.length === 0 || set.length === IDENTITY_PROVIDER_VARIABLES.length) return [];
  const missing = IDENTITY_PROVIDER_VARIABLES.filter((name) => !set.includes(name));
  return [`${missing.join(' and ')} must be set too: an identity provider needs ${IDENTITY_PROVIDER_VARIABLES.join(', ')}`];
}

/** NODE_ENV=production however it is written: `Production` or `production ` must not start without ENCRYPTION_KEY. */
function isProduction(nodeEnv: string | undefined): boolean {
  return nodeEnv?.trim().toLowerCase() === 'production';
}

/** An empty ENCRYPTION_KEY has its own line. */
function productionLines(env: Record<string, string | undefined>): string[] {
  if (!isProduction(env.NODE_ENV) || env.ENCRYPTION_KEY !== undefined) return [];
  return [`ENCRYPTION_KEY is required when NODE_ENV=production (generate one with ${cliCommand('generate-key')})`];
}

function secretOrNull(value: string | undefined): Secret | null {
  return value === undefined ? null : new Secret(value);
}

/** The path of a `sqlite:` URL as written (`sqlite:///abs` as `/abs`), or null for another URL. */
export function sqlitePathOf(databaseUrl: string): string | null {
  return databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length).replace(/^\/\//, '') : null;
}

/**
 * LLM_SETTINGS_HOME and the `sqlite:` path, checked before anything is made from them: a
 * blank or space-padded path would make a folder named ' ', and with a folder (or nothing)
 * as the database the key file would be generated in the folder above, before the database
 * failed to open.
 */
function storagePathLines(env: Record<string, string | undefined>, cwd: string): string[] {
  const lines: string[] = [];
  const home = env.LLM_SETTINGS_HOME ?? '';
  if (home !== home.trim()) lines.push('LLM_SETTINGS_HOME must be a folder path without leading or trailing whitespace');
  const path = sqlitePathOf(env.DATABASE_URL ?? '');
  if (path === null || path === ':memory:') return lines;
  if (path.trim() === '') lines.push('DATABASE_URL must name the SQLite file after sqlite: (sqlite:<path>, or sqlite::memory:)');
  else if (path !== path.trim()) lines.push('DATABASE_URL must name the SQLite file without leading or trailing whitespace');
  else if (/(^|\/)\.{0,2}$/.test(path) || isFolder(resolve(cwd, path))) lines.push('DATABASE_URL must name an SQLite file, not a folder');
  return lines;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  } catch {
    return false; // unreadable: opening the database will say so
  }
}

/**
 * The database URL and the data folder, both independent of the working directory once
 * returned. The data folder is LLM_SETTINGS_HOME, else the SQLite file's folder, else
 * `<projectDir>/data`; without DATABASE_URL the database is `llm-settings.db` in it.
 */
function storageLocations(databaseUrl: string | undefined, home: string | undefined, cwd: string, projectDir: string) {
  const homeDir = home === undefined ? undefined : resolve(cwd, home);
  if (databaseUrl === undefined) {
    const dataDir = homeDir ?? resolve(projectDir, 'data');
    return { databaseUrl: `sqlite:${resolve(dataDir, DEFAULT_DATABASE_FILE)}`, dataDir };
  }
  const sqlitePath = sqlitePathOf(databaseUrl);
  if (sqlitePath === null || sqlitePath === ':memory:') return { databaseUrl, dataDir: homeDir ?? resolve(projectDir, 'data') };
  const file = resolve(cwd, sqlitePath);
  return { databaseUrl: `sqlite:${file}`, dataDir: homeDir ?? dirname(file) };
}

export { isLoopbackHost };

/** Addresses that listen on every interface: no client names them in Host. */
const WILDCARD_HOSTS = ['0.0.0.0', '::'];

/**
 * The Host values the HTTP app serves besides the loopback names (its `allowedHosts`):
 * HOST as clients write it (IPv6 in brackets), and ALLOWED_HOSTS. HOST is left out when
 * no client can name it in Host: a wildcard address, or an IPv6 address with a zone.
 * Other Host values are refused, against DNS rebinding.
 */
export function allowedHostsFor(config: ServerConfig): string[] {
  const host = isIPv6(config.host) ? `[${config.host}]` : config.host;
  const named = !WILDCARD_HOSTS.includes(config.host) && canonicalHost(host) !== null;
  return named ? [host, ...config.allowedHosts] : [...config.allowedHosts];
}

/** Query parameters of a connection URL that hold a password (libpq's, as pg reads them). */
const PASSWORD_PARAMETERS = ['password', 'sslpassword'];

/** A connection URL that prints with its passwords as `***`: a printed config shows where, never how to get in. */
class ConnectionUrl extends Secret {
  override toString(): string {
    // URL.canParse, not URL.parse: Node 20.17, which the engines field admits, lacks the latter.
    if (!URL.canParse(this.reveal())) return '[a URL that could not be read]';
    const url = new URL(this.reveal());
    const inQuery = PASSWORD_PARAMETERS.filter((name) => url.searchParams.has(name));
    if (url.password === '' && inQuery.length === 0) return this.reveal();
    if (url.password !== '') url.password = '***';
    for (const name of inQuery) url.searchParams.set(name, '***');
    return url.toString();
  }
}

/**
 * The identity provider's options, printed (console.log, JSON) with the values of the key set
 * URL's query as `***`: a query some identity providers need (Entra ID's `?appid=`) may also
 * carry a credential. The URL itself stays as given, for the verifier to fetch.
 */
class IdentityProvider implements IdentityProviderOptions {
  readonly jwksUrl: string;
  readonly issuer: string;
  readonly audience: string;
  readonly scopePrefix: string;
  readonly scopeClaim: string;

  constructor(options: Required<Omit<IdentityProviderOptions, 'algorithms' | 'timeoutMs' | 'cooldownMs' | 'cacheMaxAgeMs'>>) {
    this.jwksUrl = options.jwksUrl;
    this.issuer = options.issuer;
    this.audience = options.audience;
    this.scopePrefix = options.scopePrefix;
    this.scopeClaim = options.scopeClaim;
  }

  toJSON(): IdentityProviderOptions {
    const url = new URL(this.jwksUrl);
    for (const name of new Set(url.searchParams.keys())) url.searchParams.set(name, '***');
    return { ...this, jwksUrl: url.toString() };
  }

  [inspect.custom](_depth: number, options: InspectOptionsStylized): string {
    return inspect(this.toJSON(), options);
  }
}

/**
 * Refuses to expose an unauthenticated settings API beyond this machine: on a non-loopback
 * HOST, or under a non-loopback name of ALLOWED_HOSTS, which is how a proxy in front
 * reaches a server listening on loopback. `loadConfig(..., { serving: true })` reports the
 * same with the other problems; this covers a configuration loaded without it.
 */
export function assertSafeToServe(config: ServerConfig): void {
  if (config.apiToken !== null || config.allowUnauthenticated) return;
  const exposedAs = exposure(config.host, config.allowedHosts);
  if (exposedAs !== null) throw new ConfigError(`${exposureRefusal(exposedAs)}.`);
}

/** The exposure line from the variables as given; a token or host that is unusable has its own line. */
function exposureLines(env: Record<string, string | undefined>): string[] {
  const tokenGiven = (env.SETTINGS_API_TOKEN ?? '') !== '';
  if (tokenGiven || env.ALLOW_UNAUTHENTICATED === '1' || env.ALLOW_UNAUTHENTICATED === 'true') return [];
  const host = EnvSchema.shape.HOST.safeParse(env.HOST).data ?? '127.0.0.1';
  const exposedAs = exposure(host, (env.ALLOWED_HOSTS ?? '').split(',').map((entry) => entry.trim()));
  return exposedAs === null ? [] : [exposureRefusal(exposedAs)];
}

function exposure(host: string, allowedHosts: readonly string[]): string | null {
  return !isLoopbackHost(host) ? 'a non-loopback HOST' : allowedHosts.some(isNonLoopbackName) ? 'a non-loopback name of ALLOWED_HOSTS' : null;
}

function exposureRefusal(exposedAs: string): string {
  return `Refusing to serve on ${exposedAs} without SETTINGS_API_TOKEN: set a token, or ALLOW_UNAUTHENTICATED=1 if a proxy in front authenticates requests`;
}

function isNonLoopbackName(entry: string): boolean {
  const name = canonicalHost(entry);
  return name !== null && !isLoopbackHost(name);
}
