// The OAuth 2.1 client-credentials grant of one `mcp_http` plugin (spec
// decision H1): its settings, read from the manifest's `auth` and the
// environment when the handle is made, and its access token: fetched from
// `token_url` on the first request, shared by every request of the plugin
// (concurrent ones wait for the same token request), renewed shortly before
// it expires, and dropped when the service refuses it (401) so the next
// request gets a new one. It sends no MCP request (http-fetch.ts does) and
// logs neither the secret nor a token.
import {
  type Logger,
  type McpHttpAuth,
  PluginLoadError,
  type PluginManifest,
} from '@dagstack/plugin-api';
import type { RequestCredentials } from './http-exchange.js';
import { displayUrl } from './http-message.js';
import { createPlainFetch, type PlainFetchOptions } from './plain-fetch.js';
import {
  type ClientAuthMethod,
  type IssuedToken,
  requestToken,
  type TokenRequest,
  TokenRequestError,
} from './token-request.js';

/** `auth.type` of the client-credentials grant. */
export const OAUTH_CLIENT_CREDENTIALS = 'oauth2_client_credentials';

/**
 * The `auth` of the client-credentials grant as the manifest package
 * normalises it: the token fields fixed to `Authorization: Bearer`, and
 * where the token comes from. Secrets are named by environment variable.
 */
interface ClientCredentialsAuth extends McpHttpAuth {
  readonly type: typeof OAUTH_CLIENT_CREDENTIALS;
  readonly token_url: string;
  readonly client_id?: string;
  readonly client_id_env?: string;
  readonly client_secret_env: string;
  readonly scope?: string;
  readonly resource?: string;
  readonly token_endpoint_auth_method?: ClientAuthMethod;
}

/** The client-credentials `auth` of a manifest; `undefined` for the token forms. */
export function clientCredentialsOf(
  auth: McpHttpAuth | undefined,
): ClientCredentialsAuth | undefined {
  return auth?.type === OAUTH_CLIENT_CREDENTIALS ? (auth as ClientCredentialsAuth) : undefined;
}

/** Longest time before expiry a token is renewed (ms); a short-lived token is renewed at 90 % of its life. */
const RENEW_AHEAD_MS = 30_000;

/** Bound of a token endpoint's answer in bytes. */
const MAX_TOKEN_RESPONSE_BYTES = 256 * 1024;

/** Bound of one token request. */
const TOKEN_TIMEOUT_MS = 10_000;

/** Tokens kept to redact from what the service sends back (the current one and a few before). */
const REMEMBERED_TOKENS = 4;

interface HeldToken {
  readonly authorization: string;
  /** When to renew it (ms since the epoch); `Infinity` when it has no lifetime. */
  readonly renewAt: number;
}

/** The access token of one plugin (see the module comment). */
export class ClientCredentials implements RequestCredentials {
  readonly #request: TokenRequest;
  readonly #auth: ClientCredentialsAuth;
  readonly #logger: Logger;
  readonly #closing = new AbortController();
  readonly #fetch: ReturnType<typeof createPlainFetch>;
  readonly #issued: string[] = [];
  #token: HeldToken | undefined;
  #pending: Promise<HeldToken> | undefined;

  /**
   * Read the client id and secret from `env`; throws `PluginLoadError`
   * naming the variable that is not set.
   */
  constructor(
    manifest: PluginManifest,
    auth: ClientCredentialsAuth,
    env: Readonly<Record<string, string | undefined>>,
    tls: PlainFetchOptions['tls'],
    logger: Logger,
  ) {
    const read = (variable: string, what: string): string => {
      const value = env[variable];
      if (value === undefined || value === '') {
        throw new PluginLoadError(
          `the environment variable ${variable} named by the mcp_http auth ${what} is not set`,
          {
            plugin: manifest.name,
            kind: manifest.kind,
            path: manifest.source,
            hint: `set ${variable} in the host's environment`,
          },
        );
      }
      return value;
    };
    let clientId = auth.client_id;
    if (clientId === undefined && auth.client_id_env !== undefined) {
      clientId = read(auth.client_id_env, 'client_id_env');
    }
    if (clientId === undefined || auth.token_url === undefined) {
      // The manifest package refuses such an auth; a hand-made manifest may not.
      throw new PluginLoadError('the mcp_http auth of the client-credentials grant is incomplete', {
        plugin: manifest.name,
        kind: manifest.kind,
        path: manifest.source,
        hint: 'give token_url, client_id (or client_id_env) and client_secret_env in [plugin.mcp_http] auth',
      });
    }
    this.#request = {
      tokenUrl: new URL(auth.token_url),
      method: auth.token_endpoint_auth_method ?? 'client_secret_basic',
      clientId,
      clientSecret: read(auth.client_secret_env, 'client_secret_env'),
      scope: auth.scope,
      resource: auth.resource,
    };
    this.#auth = auth;
    this.#logger = logger;
    this.#fetch = createPlainFetch({
      tls,
      timeoutMs: TOKEN_TIMEOUT_MS,
      maxBytes: MAX_TOKEN_RESPONSE_BYTES,
      signal: this.#closing.signal,
    });
  }

  /** The token endpoint as messages show it. */
  get tokenUrl(): string {
    return displayUrl(this.#request.tokenUrl);
  }

  /** What to tell the reader when the service refuses a token it got from here. */
  get refusedHint(): string {
    return `the service refused an access token from ${this.tokenUrl} (after fetching a new one): check that the service trusts that authorization server and that scope${this.#auth.scope === undefined ? '' : ` "${this.#auth.scope}"`} grants access`;
  }

  /** The client secret and the latest tokens: to redact from remote text. */
  secrets(): readonly string[] {
    return [this.#request.clientSecret, ...this.#issued];
  }

  async authorization(): Promise<string> {
    const held = this.#token;
    if (held !== undefined && Date.now() < held.renewAt) return held.authorization;
    this.#pending ??= this.#fetchToken().finally(() => {
      this.#pending = undefined;
    });
    return (await this.#pending).authorization;
  }

  rejected(sent: string): boolean {
    // Only the token that was refused: a newer one fetched meanwhile stays.
    if (this.#token?.authorization === sent) this.#token = undefined;
    return true;
  }

  /** Cut a token request in flight (the handle closes). */
  close(): void {
    this.#closing.abort();
  }

  async #fetchToken(): Promise<HeldToken> {
    const sentAt = Date.now();
    let issued: IssuedToken;
    try {
      issued = await requestToken(this.#fetch, this.#request);
    } catch (error) {
      if (!(error instanceof TokenRequestError)) throw error;
      throw new TokenRequestError(error.message, {
        tokenUrl: error.tokenUrl,
        retryable: error.retryable,
        status: error.status,
        oauthError: error.oauthError,
        oauthErrorDescription: error.oauthErrorDescription,
        hint: this.#hintFor(error),
      });
    }
    this.#issued.unshift(issued.accessToken);
    this.#issued.length = Math.min(this.#issued.length, REMEMBERED_TOKENS);
    const lifetimeMs = issued.expiresInSec === undefined ? undefined : issued.expiresInSec * 1000;
    const token: HeldToken = {
      authorization: `Bearer ${issued.accessToken}`,
      renewAt:
        lifetimeMs === undefined
          ? Number.POSITIVE_INFINITY
          : sentAt + lifetimeMs - Math.min(RENEW_AHEAD_MS, lifetimeMs / 10),
    };
    this.#token = token;
    this.#logger.debug('fetched an OAuth access token', {
      tokenUrl: this.tokenUrl,
      expiresInSec: issued.expiresInSec,
    });
    return token;
  }

  #hintFor(error: TokenRequestError): string {
    const auth = this.#auth;
    if (error.retryable) {
      return `the runtime tries again and reconnects on its own; check that the token endpoint ${this.tokenUrl} is up`;
    }
    switch (error.oauthError) {
      case 'invalid_client':
        return `check the client id${auth.client_id_env === undefined ? '' : ` in ${auth.client_id_env}`} and the client secret in ${auth.client_secret_env}${auth.token_endpoint_auth_method === undefined ? ', and whether the server wants token_endpoint_auth_method = "client_secret_post"' : ''}`;
      case 'unauthorized_client':
        return 'the authorization server does not allow this client the client_credentials grant: allow it there';
      case 'invalid_scope':
        return `the authorization server does not grant scope "${auth.scope ?? ''}": change auth.scope or the client's allowed scopes`;
      case 'invalid_target':
        return `the authorization server does not accept resource "${auth.resource ?? ''}": change or remove auth.resource`;
      default:
        return `see the authorization server's log for the token request to ${this.tokenUrl}`;
    }
  }
}
