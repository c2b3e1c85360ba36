#!/usr/bin/env node
// Each command imports what it needs when it runs, so that `--help` and `generate-key`
// start without loading the server, and start-up time goes to the command itself.
import type { LlmSettings } from './create-llm-settings.js';

const HELP = `Usage: llm-settings <command>

Commands:
  serve          Start the HTTP service (migrates storage first)
  migrate        Create or update the settings table
  generate-key   Print a new Fernet key for ENCRYPTION_KEY
  rotate-key     Re-encrypt every stored value under the first ENCRYPTION_KEY
  confirm-endpoint --provider <id>
                 Bind every stored key of a provider to its API root's origin now
                 (after <ID>_BASE_URL moved it); until then its keys are not sent there
  mint-token --scope <scope> --can <permissions> --ttl <seconds>
                 Print a token granting <permissions> (comma-separated: read, write,
                 test, models, use) in <scope> for <seconds>, signed with the first
                 SETTINGS_TOKEN_SECRET; prints the token and nothing else
  revoke-tokens --scope <scope>
                 Refuse every token of <scope> issued before now (minted or the
                 identity provider's), in every process sharing the database
  demo           Serve against fake providers, settings in memory: prints the page and keys to try
  --help         Show this help (also after a command: llm-settings serve --help)
  --version      Print the version

Configuration comes from the environment; see the README.`;

/** A command and the options it takes (name: what its value is), each required, each once: nothing else is accepted. */
interface Command {
  readonly options?: Readonly<Record<string, string>>;
  run(values: Readonly<Record<string, string>>): Promise<void>;
}

/** Exits 0 once `stoppable` has closed after SIGTERM or SIGINT, 1 when closing fails. */
function closeOnSignal(stoppable: { close(): Promise<void> }, then: () => void = () => undefined): void {
  let closing = false;
  const onSignal = () => {
    // Ctrl-C reaches npm and this process, and npm passes it on: a second signal must
    // not kill the process halfway through its shutdown.
    if (closing) return;
    closing = true;
    stoppable.close().then(
      () => (then(), process.exit(0)),
      () => process.exit(1),
    );
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, onSignal);
}

/** Says what the command line lacks instead of running anything: exit code 2. */
function refuseArguments(needs: string): void {
  console.error(`llm-settings: ${needs}`);
  process.exitCode = 2;
}

/**
 * Each of `names` as a `--name <value>` (or `--name=<value>`) option, all given, each once,
 * and nothing else; null otherwise. A mistyped or unknown option refuses the command
 * rather than being ignored: `rotate-key --dry-run` must not rotate.
 */
async function requiredOptions(args: string[], names: readonly string[]): Promise<Record<string, string> | null> {
  const { parseArgs } = await import('node:util');
  try {
    const { values, tokens } = parseArgs({ args, options: Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])), strict: true, tokens: true });
    const given = tokens.filter((token) => token.kind === 'option').map((token) => token.name);
    const once = given.length === new Set(given).size;
    return once && names.every((name) => typeof values[name] === 'string') ? (values as Record<string, string>) : null;
  } catch {
    return null;
  }
}

/** How a command is called, for the line refusing other arguments. */
function usageOf(name: string, options: Readonly<Record<string, string>>): string {
  const needs = Object.entries(options).map(([option, value]) => `--${option} <${value}>`);
  return needs.length === 0 ? `${name} takes no arguments` : `${name} needs ${needs.join(' ')}, each once (and nothing else)`;
}

/**
 * Runs `use` on the service's objects over the configured storage, closed afterwards. The
 * storage must be set up already: a shell without the server's DATABASE_URL must not act
 * on a new, empty database and report success.
 */
async function withSettings(use: (settings: LlmSettings) => Promise<void>): Promise<void> {
  const { createLlmSettings } = await import('./create-llm-settings.js');
  const settings = await createLlmSettings({ pruning: false, migrate: 'require' });
  try {
    await use(settings);
  } finally {
    await settings.close();
  }
}

const COMMANDS: Record<string, Command> = {
  serve: {
    async run() {
      const { collectOldGarbageSooner } = await import('./heap-growth.js');
      // The service's process only: an application embedding serve() keeps its own V8 settings.
      collectOldGarbageSooner();
      const { serve } = await import('./serve.js');
      closeOnSignal(await serve());
    },
  },
  demo: {
    async run() {
      const { startDemo } = await import('./demo.js');
      const demo = await startDemo();
      console.log(demo.banner);
      closeOnSignal(demo, () => console.log('llm-settings demo: stopped.'));
    },
  },
  migrate: {
    async run() {
      const { createLlmSettings } = await import('./create-llm-settings.js');
      const settings = await createLlmSettings({ migrate: true, pruning: false });
      await settings.close();
      console.log('Storage is migrated.');
    },
  },
  'generate-key': {
    async run() {
      const { generateFernetKey } = await import('@llm-settings/crypto-fernet');
      console.log(generateFernetKey());
    },
  },
  'rotate-key': {
    async run() {
      await withSettings(async (settings) => {
        const { total, rotated } = await settings.rotateKeys({ actor: 'cli' });
        console.log(`Re-encrypted ${rotated} of ${total} stored value(s) under the first key, in ${String(settings.config.databaseUrl)}.`);
      });
    },
  },
  'confirm-endpoint': {
    options: { provider: 'id' },
    async run({ provider }) {
      await withSettings(async (settings) => {
        const { origin, total, rebound } = await settings.confirmEndpoint(provider!, { actor: 'cli' });
        console.log(`Bound ${rebound} of ${total} stored ${provider} key(s) to ${origin}, in ${String(settings.config.databaseUrl)}.`);
      });
    },
  },
  'mint-token': {
    options: { scope: 'scope', can: 'permissions', ttl: 'seconds' },
    async run({ scope, can, ttl }) {
      const [{ parsePermissionList }, { loadConfig }, { mintScopedToken, tokenMinterFor }] = await Promise.all([
        import('@llm-settings/core'),
        import('./config.js'),
        import('./scoped-tokens.js'),
      ]);
      // Decimal digits only: Number() would take 1e3, 0x10 or ' ' too.
      const ttlSeconds = /^[0-9]+$/.test(ttl!) ? Number(ttl) : Number.NaN;
      // No storage is opened: a token is signed with the secret alone.
      const token = await mintScopedToken(await tokenMinterFor(loadConfig()), { scope: scope!, can: parsePermissionList(can!), ttlSeconds });
      console.log(token);
    },
  },
  'revoke-tokens': {
    options: { scope: 'scope' },
    async run({ scope }) {
      await withSettings(async (settings) => {
        const { revokedBefore } = await settings.revokeTokens({ scope: scope!, actor: 'cli' });
        console.log(`Tokens of scope ${scope} issued before ${revokedBefore.toISOString()} are refused, in ${String(settings.config.databaseUrl)}.`);
      });
    },
  },
  '--help': {
    async run() {
      console.log(HELP);
    },
  },
  '--version': {
    async run() {
      const { readFile } = await import('node:fs/promises');
      // From src and from dist alike, the package's manifest is one folder up.
      const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
      console.log(manifest.version);
    },
  },
};

const ALIASES: Record<string, string> = { '-h': '--help', help: '--help', '-v': '--version', version: '--version' };

async function main(argv: string[]): Promise<void> {
  const first = argv[0] ?? '--help';
  // "serve --help" must print help, not start a server.
  const name = argv.slice(1).some((arg) => arg === '--help' || arg === '-h') ? '--help' : (ALIASES[first] ?? first);
  const command = COMMANDS[name];
  if (!command) return refuseArguments(`unknown command "${first}"\n\n${HELP}`);
  const options = command.options ?? {};
  // Help prints whatever follows it ("serve --help").
  const values = await requiredOptions(name === '--help' ? [] : argv.slice(1), Object.keys(options));
  if (values === null) return refuseArguments(usageOf(name, options));
  await command.run(values);
}

main(process.argv.slice(2)).catch(async (error: unknown) => {
  // Our errors carry safe, human messages; anything else is reported without internals.
  const { errorChain, isLlmSettingsError, StorageUnavailableError } = await import('@llm-settings/core');
  const chain = [...errorChain(error)];
  const unavailable = error instanceof StorageUnavailableError;
  const unreachable = unavailable && chain.some(isNetworkFailure) ? unreachableDatabase(process.env.DATABASE_URL) : null;
  const unopened = unavailable ? await unopenedSqliteFile(chain) : null;
  const message = unreachable ?? unopened ?? (isLlmSettingsError(error) ? error.message : `unexpected ${error instanceof Error ? error.name : 'error'}`);
  console.error(`llm-settings: ${message}`);
  process.exit(1);
});

const NETWORK_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** True for an error that shows no connection was made (not, say, a wrong password). */
function isNetworkFailure(error: object): boolean {
  const { code, name } = error as { code?: unknown; name?: unknown };
  return (typeof code === 'string' && NETWORK_FAILURES.has(code)) || name === 'KnexTimeoutError';
}

/** What the SQLite and file-system codes of a database that cannot be opened most often mean. */
const SQLITE_OPEN_FAILURES: Readonly<Record<string, string>> = {
  SQLITE_CANTOPEN: 'it cannot be opened: a folder, a missing folder, or no permission',
  SQLITE_NOTADB: 'it is not an SQLite database',
  SQLITE_CORRUPT: 'the database is damaged',
  SQLITE_READONLY: 'it is read-only',
  SQLITE_PERM: 'no permission',
  SQLITE_FULL: 'the disk is full',
  EACCES: 'no permission',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
};

/** Names the SQLite file the CLI could not open, and why, when the failure says so. */
async function unopenedSqliteFile(chain: object[]): Promise<string | null> {
  const code = chain.map((error) => (error as { code?: unknown }).code).find((each): each is string => typeof each === 'string' && each in SQLITE_OPEN_FAILURES);
  if (code === undefined) return null;
  const { loadConfig } = await import('./config.js');
  const databaseUrl = loadConfig().databaseUrl.reveal();
  if (!databaseUrl.startsWith('sqlite:')) return null;
  const file = databaseUrl.slice('sqlite:'.length);
  const unwritable = PERMISSION_FAILURES.has(code) ? await unwritablePart(file) : null;
  const why = unwritable === null ? SQLITE_OPEN_FAILURES[code] : `${unwritable} cannot be written by this user`;
  return `cannot use the SQLite database ${file} (${code}: ${why}); fix it, or point DATABASE_URL or LLM_SETTINGS_HOME elsewhere.`;
}

const PERMISSION_FAILURES = new Set(['SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_PERM', 'EACCES']);

/**
 * SQLite reports the database as read-only when it cannot write the file, its -wal or -shm
 * file beside it (one left by another user), or the folder they are made in: names the first
 * of those this user cannot write, or null when it can write them all.
 */
async function unwritablePart(file: string): Promise<string | null> {
  const { access, constants } = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  const writable = (path: string) => access(path, constants.W_OK).then(() => true, (error: NodeJS.ErrnoException) => error.code === 'ENOENT');
  for (const path of [file, `${file}-wal`, `${file}-shm`, dirname(file)]) if (!(await writable(path))) return path;
  return null;
}

/** Names the PostgreSQL server the CLI could not reach: its host and port only, never the credentials. */
function unreachableDatabase(databaseUrl: string | undefined): string | null {
  if (!databaseUrl || !/^postgres(ql)?:\/\//i.test(databaseUrl)) return null;
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return null;
  }
  const at = `${url.hostname || 'localhost'}:${url.port || '5432'}`;
  return `cannot reach PostgreSQL at ${at}; start it, or correct the host and port in DATABASE_URL.`;
}
