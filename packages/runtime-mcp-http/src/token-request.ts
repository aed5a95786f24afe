// One request of the OAuth client-credentials grant (RFC 6749 §4.4) to a
// token endpoint, and what its answer means: the access token and its
// lifetime, or a TokenRequestError saying whether trying again later may
// help. The client authenticates as RFC 6749 §2.3.1 says: HTTP Basic
// (`client_secret_basic`, the default) or in the form body
// (`client_secret_post`). Knows nothing of caching (client-credentials.ts)
// or of MCP; no message it makes holds the secret or a token.
import type { FetchLike } from './http-exchange.js';
import { HttpExchangeError } from './http-exchange.js';
import { displayUrl } from './http-message.js';

/** How the client authenticates to the token endpoint (RFC 7591 names). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** One token request. */
export interface TokenRequest {
  readonly tokenUrl: URL;
  readonly method: ClientAuthMethod;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Space-separated scopes to ask for, when the manifest names any. */
  readonly scope: string | undefined;
  /** RFC 8707 resource indicator, when there is one. */
  readonly resource: string | undefined;
}

/** What the token endpoint issued. */
export interface IssuedToken {
  readonly accessToken: string;
  /** Lifetime in seconds, when the endpoint said (`expires_in`). */
  readonly expiresInSec: number | undefined;
}

/** The fields of a {@link TokenRequestError} besides its message. */
export interface TokenFailure {
  /** The token endpoint (or, for discovery, the MCP URL) as messages show it. */
  readonly tokenUrl: string | undefined;
  /** Trying again later may help: no connection, a timeout, 429, 5xx. */
  readonly retryable: boolean;
  readonly status?: number | undefined;
  readonly oauthError?: string | undefined;
  readonly oauthErrorDescription?: string | undefined;
  /** What to do about it, when the failure says (client-credentials.ts adds one). */
  readonly hint?: string | undefined;
}

/** No access token could be had. Its message names the endpoint and holds no secret. */
export class TokenRequestError extends Error {
  override readonly name: string = 'TokenRequestError';
  readonly tokenUrl: string | undefined;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly oauthError: string | undefined;
  readonly oauthErrorDescription: string | undefined;
  readonly hint: string | undefined;

  constructor(message: string, failure: TokenFailure) {
    super(message);
    this.tokenUrl = failure.tokenUrl;
    this.retryable = failure.retryable;
    this.status = failure.status;
    this.oauthError = failure.oauthError;
    this.oauthErrorDescription = failure.oauthErrorDescription;
    this.hint = failure.hint;
  }
}

/** Longest remote text (an `error_description`) quoted in a message. */
const MAX_REMOTE_TEXT = 200;

/** Remote text as messages may show it: printable, bounded, without `secrets`. */
export function remoteText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  out = out.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return out.length > MAX_REMOTE_TEXT ? `${out.slice(0, MAX_REMOTE_TEXT)}...` : out;
}

/** `application/x-www-form-urlencoded` of one value (RFC 6749 §2.3.1, Appendix B). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/** Ask `request.tokenUrl` for an access token; rejects with {@link TokenRequestError}. */
export async function requestToken(fetch: FetchLike, request: TokenRequest): Promise<IssuedToken> {
  const where = displayUrl(request.tokenUrl);
  const secrets = [request.clientSecret];
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (request.scope !== undefined) form.set('scope', request.scope);
  if (request.resource !== undefined) form.set('resource', request.resource);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (request.method === 'client_secret_post') {
    form.set('client_id', request.clientId);
    form.set('client_secret', request.clientSecret);
  } else {
    const pair = `${formEncode(request.clientId)}:${formEncode(request.clientSecret)}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  }
  let response: Response;
  try {
    response = await fetch(request.tokenUrl, { method: 'POST', headers, body: form.toString() });
  } catch (error) {
    // A token request changes nothing at the server: safe to send again.
    const exchange = error instanceof HttpExchangeError ? error : undefined;
    const why =
      exchange?.code === 'ETIMEDOUT'
        ? exchange.message
        : (exchange?.code ??
          remoteText(error instanceof Error ? error.message : String(error), secrets));
    const what = exchange?.phase === 'exchange' ? 'broke off the exchange' : 'is not reachable';
    throw new TokenRequestError(`the token endpoint ${where} ${what} (${why})`, {
      tokenUrl: where,
      retryable: true,
    });
  }
  const status = response.status;
  const text = await response.text().catch(() => '');
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      json = parsed as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  if (status < 200 || status >= 300) {
    const oauthError =
      typeof json?.error === 'string' ? remoteText(json.error, secrets) : undefined;
    const description =
      typeof json?.error_description === 'string'
        ? remoteText(json.error_description, secrets)
        : undefined;
    const said =
      oauthError === undefined
        ? ''
        : `: ${oauthError}${description === undefined || description === '' ? '' : ` (${description})`}`;
    const retryable = status === 408 || status === 429 || status >= 500;
    const what = retryable
      ? `answered HTTP ${status}`
      : oauthError === 'invalid_client'
        ? `refused the client credentials (HTTP ${status})`
        : `refused the token request (HTTP ${status})`;
    throw new TokenRequestError(`the token endpoint ${where} ${what}${said}`, {
      tokenUrl: where,
      retryable,
      status,
      oauthError,
      oauthErrorDescription: description,
    });
  }
  const invalid = (why: string): TokenRequestError =>
    new TokenRequestError(`the token endpoint ${where} answered ${why}`, {
      tokenUrl: where,
      retryable: false,
      status,
    });
  const accessToken = json?.access_token;
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw invalid(json === undefined ? 'without JSON' : 'without an access_token');
  }
  const tokenType = json?.token_type;
  if (tokenType !== undefined && (typeof tokenType !== 'string' || !/^bearer$/i.test(tokenType))) {
    throw invalid(
      `with token_type ${JSON.stringify(remoteText(String(tokenType), secrets))}; the runtime sends Bearer tokens (RFC 6750)`,
    );
  }
  // Some servers send expires_in as a string; a value that is no number is ignored.
  const raw = json?.expires_in;
  const expires = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  return {
    accessToken,
    expiresInSec:
      typeof expires === 'number' && Number.isFinite(expires) && expires >= 0 ? expires : undefined,
  };
}
