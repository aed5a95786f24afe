import { PluginUnavailable } from '@dagstack/plugin-api';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { HttpExchangeError } from './http-exchange.js';

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
 * - `auth`: the service refused the credentials (401/403).
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
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);

/** A 400 body that means the service does not know the session (see {@link Failure}). */
const LOST_SESSION_400 = /session|not initiali[sz]ed/i;

/** A 403 body of a server's DNS-rebinding protection (this package's and the SDK's). */
const DNS_REBINDING_403 = /(Host|Origin) header/i;

/** Replace every occurrence of a secret in text a remote side produced. */
export function redact(text: string, secret: string | undefined): string {
  if (secret === undefined || secret.length < 4) return text;
  return text.split(secret).join('[redacted]');
}

/** A URL as it may appear in messages: no query string or fragment (they may carry keys). */
export function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * Classify what the SDK transport (with {@link createHttpFetch}) rejected
 * with; `undefined` for anything that is not a failure of the HTTP layer.
 */
export function classify(error: unknown, secret: string | undefined): Failure | undefined {
  if (error instanceof HttpExchangeError) {
    const refused = error.phase === 'connect';
    return {
      retryable: refused,
      sessionLost: false,
      auth: false,
      status: undefined,
      reason: refused
        ? `the service is not reachable (${error.code ?? redact(error.message, secret)})`
        : `the connection to the service broke during the call (${redact(error.message, secret)})`,
    };
  }
  if (error instanceof StreamableHTTPError) {
    const status = typeof error.code === 'number' ? error.code : undefined;
    const text = redact(error.message.replace(/^Streamable HTTP error: /, ''), secret);
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
  return new PluginUnavailable({
    plugin: site.plugin,
    kind: site.kind,
    reason: failure.reason,
    ...(options.state === undefined ? {} : { state: options.state }),
    ...(options.hint === undefined ? {} : { hint: options.hint }),
    ...(options.cause === undefined ? {} : { cause: options.cause }),
  });
}
