import { isIPv4 } from 'node:net';
import { ConfigError } from '@llm-settings/core';
import { HttpError, HttpErrorCodes } from './problems.js';
import type { RequestStep } from './request-steps.js';

/** `name[:port]` or `[IPv6][:port]`, checked before the URL parser sees it: no userinfo, path, spaces or lists. */
const HOST_SHAPE = /^(?:\[[0-9a-f:.]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?)(?::\d{1,5})?$/i;
/** Accepted Host values remembered, so that the usual one or two skip parsing; bounded because clients choose them. */
const REMEMBERED_HOSTS = 16;

/**
 * The name a Host value (`name[:port]`, IPv6 in brackets) designates, as a browser would
 * write it: lower case, without the port or a trailing dot, IP addresses in their
 * canonical form (`[0:0::1]` is `[::1]`, `127.1` is `127.0.0.1`). Null when the value
 * is not of that shape.
 */
export function canonicalHost(value: string): string | null {
  if (!HOST_SHAPE.test(value)) return null;
  let hostname: string;
  try {
    hostname = new URL(`http://${value}/`).hostname;
  } catch {
    return null;
  }
  return hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
}

/** Names only this machine resolves to itself, which a page elsewhere cannot rebind. */
function isLoopback(name: string): boolean {
  return name === 'localhost' || name === '[::1]' || (isIPv4(name) && name.startsWith('127.'));
}

/**
 * Refuses, before any route runs, a request whose Host is not `localhost`, a loopback
 * address or one of `allowedHosts` (421). The port is not compared: a page can only
 * reach this server on its own port, so only the name tells a rebound request from a
 * real one. Pages of other origins that call `127.0.0.1:<port>` directly are refused by
 * their Origin (see browser-request-check.ts).
 * @throws ConfigError naming the position of an unusable entry, never its value.
 */
export function hostCheck(allowedHosts: readonly string[]): RequestStep {
  const allowed = new Set(
    allowedHosts.map((entry, index) => {
      const name = canonicalHost(entry);
      if (name === null) {
        throw new ConfigError(`allowedHosts entry ${index + 1} must be a hostname or IP address, optionally with :port (IPv6 in brackets)`);
      }
      return name;
    }),
  );
  const accepts = (host: string) => {
    const name = canonicalHost(host);
    return name !== null && (isLoopback(name) || allowed.has(name));
  };
  const remembered = new Set<string>();
  return (ctx) => {
    // DNS rebinding: a page whose name now resolves to this machine reaches the API
    // with its own name as Host. The header is read as received, not through Koa's
    // lenient `host` nor X-Forwarded-Host, which such a page (same-origin with itself)
    // may set freely. An absent Host (HTTP/1.0) reads as '' and is refused.
    const host = ctx.request.headers.host ?? '';
    if (!remembered.has(host)) {
      if (!accepts(host)) {
        throw new HttpError(421, HttpErrorCodes.MISDIRECTED_REQUEST, 'Misdirected request', 'This server does not serve the host named in the Host header.');
      }
      if (remembered.size < REMEMBERED_HOSTS) remembered.add(host);
    }
  };
}

