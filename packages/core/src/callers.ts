import { z } from 'zod';
import { ScopeSchema } from './schemas.js';
import { parseOrThrow } from './validation.js';

/**
 * What a scoped token may do in its scope: `read` the settings, `write` them, `test` a
 * connection, list `models`, and `use` the stored key (the LLM pass-through, `client()`).
 */
export const PERMISSIONS = ['read', 'write', 'test', 'models', 'use'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const PERMISSION_RULE = `one of ${PERMISSIONS.join(', ')}`;

export const PermissionSchema = z.enum(PERMISSIONS, {
  // By position, never by value: what was typed there may be anything, a pasted key included.
  error: ({ path = [] }) => {
    const index = path.at(-1);
    return `${typeof index === 'number' ? `permission ${index + 1}` : 'the permission'} is unknown; each must be ${PERMISSION_RULE}`;
  },
});

/** One or more permissions, each known; duplicates are dropped, the order is {@link PERMISSIONS}'. */
export const PermissionListSchema = z
  .array(PermissionSchema, { error: () => `permissions must be a list of ${PERMISSION_RULE}` })
  .min(1, `at least one permission is needed: ${PERMISSION_RULE}`)
  .transform((can) => PERMISSIONS.filter((permission) => can.includes(permission)));

/** The permissions of a comma-separated list such as `read,test` (the CLI's `--can`). */
export function parsePermissionList(list: string): Permission[] {
  const entries = list.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  return parseOrThrow(PermissionListSchema, entries, 'permissions');
}

/** How a scoped caller's token was issued, and what names it for audit logs. */
export interface CallerToken {
  /** `minted`: signed by this service with SETTINGS_TOKEN_SECRET; `jwt`: by the app's identity provider. */
  readonly kind: 'minted' | 'jwt';
  /** The token's `jti`, or null when it has none. */
  readonly id: string | null;
  /** The token's `sub`, or null when it has none. */
  readonly subject: string | null;
}

/** The operator (SETTINGS_API_TOKEN): every permission in every scope. */
export interface AdminCaller {
  readonly kind: 'admin';
}

/** The bearer of a verified scoped token: its permissions, in its one scope. */
export interface ScopedCaller {
  readonly kind: 'scoped';
  readonly scope: string;
  readonly can: readonly Permission[];
  readonly token: CallerToken;
}

/** Who makes a request, once its token is checked. */
export type Caller = AdminCaller | ScopedCaller;

export const ADMIN_CALLER: AdminCaller = Object.freeze({ kind: 'admin' });

/** True when `caller` may do `permission` in `scope`: the admin anywhere, a scoped caller in its own scope with that permission. */
export function callerMay(caller: Caller, permission: Permission, scope: string): boolean {
  return caller.kind === 'admin' || (caller.scope === scope && caller.can.includes(permission));
}

/** The caller as audit logs name it: `admin`, `token:<jti>` or `jwt:<sub>` (`…:unknown` without one). */
export function actorOf(caller: Caller): string {
  if (caller.kind === 'admin') return 'admin';
  const name = caller.token.kind === 'minted' ? caller.token.id : (caller.token.subject ?? caller.token.id);
  return `${caller.token.kind === 'minted' ? 'token' : 'jwt'}:${name ?? 'unknown'}`;
}

/** Longest lifetime of a minted token: a year. Revocation is per scope, so long-lived tokens are the operator's choice. */
export const MAX_TOKEN_TTL_SECONDS = 366 * 24 * 3600;

const MINT_TOKEN_FIELDS = 'scope, can and ttlSeconds';

export const MintTokenInputSchema = z.strictObject(
  {
    scope: ScopeSchema,
    can: PermissionListSchema,
    ttlSeconds: z
      .number({ error: () => `ttlSeconds must be a whole number of seconds from 1 to ${MAX_TOKEN_TTL_SECONDS}` })
      .int(`ttlSeconds must be a whole number of seconds from 1 to ${MAX_TOKEN_TTL_SECONDS}`)
      .min(1, `ttlSeconds must be a whole number of seconds from 1 to ${MAX_TOKEN_TTL_SECONDS}`)
      .max(MAX_TOKEN_TTL_SECONDS, `ttlSeconds must be a whole number of seconds from 1 to ${MAX_TOKEN_TTL_SECONDS}`),
  },
  // The allowed fields only: zod's own message quotes the unknown ones, which may be anything.
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `a token request has only the fields ${MINT_TOKEN_FIELDS}` : undefined) },
);

/** What a minted token grants: one scope, its permissions, for a while. */
export interface MintTokenInput {
  scope: string;
  can: readonly Permission[];
  ttlSeconds: number;
}

/** Validates a mint request. @throws ValidationError naming the field (scope, can, ttlSeconds). */
export function parseMintTokenInput(input: MintTokenInput): { scope: string; can: Permission[]; ttlSeconds: number } {
  return parseOrThrow(MintTokenInputSchema, input, 'token request');
}
