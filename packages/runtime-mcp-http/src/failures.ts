import { PluginUnavailable } from '@dagstack/plugin-api';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { HttpExchangeError } from './http-fetch.js';

/**
 * What a failed exchange with the service means for the runtime.
 *
 * - `retryable`: the service did not act on the request (no connection was
 *   made, or a gateway answered 502/503/504); sending it again is safe.
 * - `sessionLost`: the service no longer knows the session (HTTP 404 on a
 *   request that carried one: it restarted); the request was not processed.
 * - `auth`: the service refused the credentials (401/403).
 */
export interface Failure {
  readonly retryable: boolean;
  readonly sessionLost: boolean;
  readonly auth: boolean;
  /** A sentence for error messages and logs, without secrets. */
  readonly reason: string;
  readonly status: number | undefined;
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);

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
    const detail = redact(error.message.replace(/^Streamable HTTP error: /, ''), secret).slice(
      0,
      200,
    );
    if (status === 401 || status === 403) {
      return {
        retryable: false,
        sessionLost: false,
        auth: true,
        status,
        reason: `the service refused the credentials (HTTP ${status})`,
      };
    }
    if (status === 404) {
      return {
        retryable: false,
        sessionLost: true,
        auth: false,
        status,
        reason: `the service does not know the session (HTTP 404: ${detail})`,
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
