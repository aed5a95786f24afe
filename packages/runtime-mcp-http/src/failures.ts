// What a failed exchange with the service means for the runtime (Failure),
// from whatever the SDK transports and the host's fetch rejected with, and
// the typed error a caller gets for it. Pure functions: no state, no I/O.
import { PluginUnavailable } from '@dagstack/plugin-api';
import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { OAuthTokenError } from './errors.js';
import { HttpExchangeError, SESSION_ENDED } from './http-exchange.js';
import { TokenRequestError } from './token-request.js';

export { displayUrl } from './http-message.js';

/**
 * What a failed exchange with the service means for the runtime.
 *
 * - `retryable`: the service did not act on the request (no connection was
 *   made, or a gateway answered 502/503/504); sending it again is safe.
 * - `sessionLost`: the service no longer knows the session (it restarted, or
 *   expired the session): HTTP 404, or HTTP 400 whose body speaks of the
 *   session (servers built on the SDK's examples answer "Bad Request: No
 *   valid session ID provided") or of a server that is not initialised. The
 *   request was not processed.
 * - `auth`: the service refused the credentials (401/403), or no OAuth
 *   access token could be had for it (the token endpoint refused the client).
 */
export interface Failure {
  readonly retryable: boolean;
  readonly sessionLost: boolean;
  readonly auth: boolean;
  /** A sentence for error messages and logs, without secrets. */
  readonly reason: string;
  /** What to do about it, when the failure itself says (otherwise the runtime's default hint). */
  readonly hint?: string;
  readonly status: number | undefined;
  /** The token request that failed, when no OAuth access token could be had. */
  readonly token?: TokenRequestError;
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);

/** A 400 body that means the service does not know the session (see {@link Failure}). */
const LOST_SESSION_400 = /session|not initiali[sz]ed/i;

/** A 403 body of a server's DNS-rebinding protection (this package's and the SDK's). */
const DNS_REBINDING_403 = /(Host|Origin) header/i;

/** What the SDK's `SSEClientTransport` throws for an HTTP error answer to a POST. */
const LEGACY_POST_ERROR = /^Error POSTing to endpoint \(HTTP (\d{3})\): ([\s\S]*)$/;

/** Replace every occurrence of a secret in text a remote side produced. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/**
 * Classify what the SDK transport (with {@link createHttpFetch}) rejected
 * with; `undefined` for anything that is not a failure of the HTTP layer.
 */
export function classify(error: unknown, secrets: readonly string[]): Failure | undefined {
  if (error instanceof TokenRequestError) {
    return {
      retryable: error.retryable,
      sessionLost: false,
      auth: !error.retryable,
      status: undefined,
      reason: error.message,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
      token: error,
    };
  }
  if (error instanceof HttpExchangeError && error.code === SESSION_ENDED) {
    return {
      retryable: false,
      sessionLost: true,
      auth: false,
      status: undefined,
      reason: 'the service ended the session (its HTTP+SSE event stream closed)',
    };
  }
  if (error instanceof SseError) {
    // The GET stream of the legacy transport: its HTTP status, or none when
    // the connection failed.
    if (typeof error.code === 'number' && error.code >= 300) {
      return classify(
        new StreamableHTTPError(error.code, `Failed to open SSE stream: ${error.message}`),
        secrets,
      );
    }
    return {
      retryable: true,
      sessionLost: false,
      auth: false,
      status: undefined,
      reason: `the service is not reachable (${redact(error.message, secrets)})`,
    };
  }
  const legacyPost =
    error instanceof Error && !(error instanceof StreamableHTTPError)
      ? LEGACY_POST_ERROR.exec(error.message)
      : null;
  if (legacyPost !== null) {
    return classify(
      new StreamableHTTPError(Number(legacyPost[1]), `Error POSTing to endpoint: ${legacyPost[2]}`),
      secrets,
    );
  }
  if (error instanceof HttpExchangeError) {
    const refused = error.phase === 'connect';
    return {
      retryable: refused,
      sessionLost: false,
      auth: false,
      status: undefined,
      reason: refused
        ? `the service is not reachable (${error.code ?? redact(error.message, secrets)})`
        : `the connection to the service broke during the call (${redact(error.message, secrets)})`,
    };
  }
  if (error instanceof StreamableHTTPError) {
    const status = typeof error.code === 'number' ? error.code : undefined;
    const text = redact(error.message.replace(/^Streamable HTTP error: /, ''), secrets);
    const detail = text.slice(0, 200);
    // The SDK puts what the request was before the body; only the body counts.
    const body = text.replace(
      /^(Error POSTing to endpoint|Failed to open SSE stream|Failed to terminate session): /,
      '',
    );
    if (status === 403 && DNS_REBINDING_403.test(body)) {
      return {
        retryable: false,
        sessionLost: false,
        auth: false,
        status,
        reason: `the service refused the request's Host or Origin header (HTTP 403: ${detail})`,
        hint: "the service accepts only the host names it was told (DNS-rebinding protection): add the URL's host to the server's allowed hosts, or point the url at a name it allows",
      };
    }
    if (status === 401 || status === 403) {
      return {
        retryable: false,
        sessionLost: false,
        auth: true,
        status,
        reason: `the service refused the credentials (HTTP ${status})`,
      };
    }
    if (status === 404 || (status === 400 && LOST_SESSION_400.test(body))) {
      return {
        retryable: false,
        sessionLost: true,
        auth: false,
        status,
        reason: `the service does not know the session (HTTP ${status}: ${detail})`,
      };
    }
    return {
      retryable: status !== undefined && RETRYABLE_STATUS.has(status),
      sessionLost: false,
      auth: false,
      status,
      reason: `the service answered HTTP ${status ?? '?'} (${detail})`,
    };
  }
  return undefined;
}

/** The typed error a caller gets for a failed exchange. */
export function unavailable(
  failure: Failure,
  site: { plugin: string; kind: string },
  options: { hint?: string; state?: string; cause?: unknown } = {},
): PluginUnavailable {
  const token = failure.token;
  if (token !== undefined) {
    return new OAuthTokenError({
      plugin: site.plugin,
      kind: site.kind,
      reason: failure.reason,
      tokenUrl: token.tokenUrl,
      oauthError: token.oauthError,
      oauthErrorDescription: token.oauthErrorDescription,
      httpStatus: token.status,
      ...(options.state === undefined ? {} : { state: options.state }),
      ...(options.hint === undefined ? {} : { hint: options.hint }),
    });
  }
  return new PluginUnavailable({
    plugin: site.plugin,
    kind: site.kind,
    reason: failure.reason,
    ...(options.state === undefined ? {} : { state: options.state }),
    ...(options.hint === undefined ? {} : { hint: options.hint }),
    ...(options.cause === undefined ? {} : { cause: options.cause }),
  });
}
