// One plain HTTP exchange for the OAuth side of the runtime: a token request
// or a metadata document. On node:http(s) with the plugin's TLS settings,
// without connection pooling (a token lives for minutes, a socket kept for
// it would outlive the runtime), within a time limit and a bound on the
// body, and cut when the handle closes. Returns a `Response`, so the SDK's
// discovery helpers can use it as their fetch; a connection that was never
// made, or broke, rejects with HttpExchangeError. Follows no redirect.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type FetchLike, HttpExchangeError } from './http-exchange.js';
import { copyHeaders, responseHeaders } from './http-message.js';

/** Settings of {@link createPlainFetch}. */
export interface PlainFetchOptions {
  /** For `https` URLs: the CA bundle and whether to verify the certificate. */
  readonly tls: { readonly ca?: Buffer; readonly rejectUnauthorized: boolean };
  /** Bound of one exchange, connection included. */
  readonly timeoutMs: number;
  /** Bound of a response body in bytes. */
  readonly maxBytes: number;
  /** Aborted when the handle closes: every exchange in flight is cut. */
  readonly signal: AbortSignal;
}

/** A fetch for small JSON exchanges (see the module comment). */
export function createPlainFetch(options: PlainFetchOptions): FetchLike {
  const { tls, timeoutMs, maxBytes, signal } = options;
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = typeof input === 'string' ? new URL(input) : input;
      const headers: Record<string, string> = {};
      copyHeaders(init.headers, headers);
      const body =
        typeof init.body === 'string'
          ? init.body
          : init.body instanceof URLSearchParams
            ? init.body.toString()
            : undefined;
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      headers.connection = 'close';
      if (signal.aborted) {
        reject(new HttpExchangeError('the runtime is closing', 'connect', 'ECANCELED'));
        return;
      }
      const https = url.protocol === 'https:';
      let connected = false;
      let settled = false;
      const req = (https ? httpsRequest : httpRequest)(url, {
        method: (init.method ?? 'GET').toUpperCase(),
        headers,
        agent: false,
        ...(https ? tls : {}),
      });
      const cut = (message: string, code: string): void => {
        req.destroy(new HttpExchangeError(message, connected ? 'exchange' : 'connect', code));
      };
      const timer = setTimeout(
        () => cut(`no answer within ${timeoutMs} ms`, 'ETIMEDOUT'),
        timeoutMs,
      );
      timer.unref();
      const onAbort = (): void => cut('the runtime is closing', 'ECANCELED');
      signal.addEventListener('abort', onAbort, { once: true });
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        return true;
      };
      const fail = (error: unknown): void => {
        if (!settle()) return;
        const code = (error as { code?: unknown }).code;
        reject(
          error instanceof HttpExchangeError
            ? error
            : new HttpExchangeError(
                error instanceof Error ? error.message : String(error),
                connected ? 'exchange' : 'connect',
                typeof code === 'string' ? code : undefined,
                error,
              ),
        );
      };
      req.on('socket', (socket) => {
        if ((socket as { connecting?: boolean }).connecting) {
          socket.once(https ? 'secureConnect' : 'connect', () => {
            connected = true;
          });
        } else {
          connected = true;
        }
      });
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            cut(`the answer is over ${maxBytes} bytes`, 'EMSGSIZE');
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete)
            fail(new HttpExchangeError('the answer broke', 'exchange', 'ECONNRESET'));
        });
        res.on('end', () => {
          if (!settle()) return;
          const status = res.statusCode ?? 0;
          const empty = size === 0 || status === 204 || status === 205 || status === 304;
          resolve(
            new Response(empty ? null : Buffer.concat(chunks, size), {
              status,
              statusText: res.statusMessage ?? '',
              headers: responseHeaders(res),
            }),
          );
        });
      });
      req.end(body);
    });
}
