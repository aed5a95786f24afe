// The credentials check of the MCP HTTP server: which header carries the
// token, whether it is a Bearer one, the constant-time comparison, and the
// refusal to serve without credentials on a non-loopback interface. Knows
// nothing of sessions, paths or responses: serve.ts asks it and answers.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PluginRegistryError } from '@dagstack/plugin-api';
import { isLoopbackHost } from './request-guard.js';
import type { ServeAuthOptions, Site } from './serve-options.js';

/** What serve.ts needs to check a request's credentials. */
export interface CredentialsCheck {
  /** The header that carries the token, lower-case. */
  readonly header: string;
  /** Whether the scheme is Bearer (a 401 then names it in `www-authenticate`). */
  readonly bearer: boolean;
  /** Whether `req` carries the expected credentials (always, without `auth`). */
  authorized(req: IncomingMessage): boolean;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The check for `auth`; throws on an empty token. */
export function createCredentialsCheck(auth: ServeAuthOptions | undefined): CredentialsCheck {
  let expected: Buffer | undefined;
  let header = 'authorization';
  let bearer = false;
  if (auth !== undefined) {
    if (auth.token === undefined || auth.token === '') {
      throw new PluginRegistryError('the MCP HTTP server was given auth with an empty token', {
        hint: 'pass the token (read from the environment), or leave auth out for loopback-only use',
      });
    }
    header = (auth.header ?? 'Authorization').toLowerCase();
    const scheme =
      auth.scheme === undefined ? (header === 'authorization' ? 'Bearer' : null) : auth.scheme;
    bearer = scheme?.toLowerCase() === 'bearer';
    expected = digest(scheme === null ? auth.token : `${scheme} ${auth.token}`);
  }
  return {
    header,
    bearer,
    authorized: (req) => {
      if (expected === undefined) return true;
      const value = req.headers[header];
      const given = digest(typeof value === 'string' ? value : '');
      return timingSafeEqual(given, expected);
    },
  };
}

/** Refuse to serve without credentials on an interface other machines can reach. */
export function checkExposure(
  host: string,
  auth: ServeAuthOptions | undefined,
  insecureNoAuth: boolean | undefined,
  site: Site,
): void {
  if (auth !== undefined || insecureNoAuth === true || isLoopbackHost(host)) return;
  throw new PluginRegistryError(
    `refusing to serve MCP over HTTP on ${host} without credentials: that interface is reachable from other machines, and anyone there could call every tool`,
    {
      ...site,
      hint: 'pass auth: { token } with a token read from the environment, or listen on 127.0.0.1; if a proxy in front authenticates, pass insecureNoAuth: true',
    },
  );
}
