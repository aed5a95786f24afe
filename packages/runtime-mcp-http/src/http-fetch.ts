// The host's fetch for the SDK's Streamable HTTP client transport (and for
// its legacy HTTP+SSE one): one exchange on node:http with the runtime's
// keep-alive agent. It builds the request (headers, credentials fixed or
// fetched per request and renewed once on a 401, trace context), tells a
// connection never made from one that broke, answers a reconnection for a
// call that is over or cannot be resumed, and reads a JSON body within its
// bound; an event stream it hands to event-stream.ts. What is in flight is
// kept by in-flight.ts, changed only through its methods.
import { type Agent as HttpAgent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { eventStream } from './event-stream.js';
import {
  type FailurePhase,
  type FetchLike,
  HttpExchangeError,
  type HttpFetch,
  type HttpFetchOptions,
  type Pending,
  type RequestCredentials,
  type RequestId,
  SESSION_ENDED,
  type StreamRole,
} from './http-exchange.js';
import {
  cancelledIdOf,
  copyHeaders,
  requestIdOf,
  responseHeaders,
  traceHeaders,
} from './http-message.js';
import { InFlight } from './in-flight.js';

export { HttpExchangeError } from './http-exchange.js';

/** Error codes that mean the connection was never made. */
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EADDRNOTAVAIL',
]);

/**
 * Send with the credentials `credentials` gives. A 401 spends them (the
 * service revoked the token, or it expired early): the request goes once
 * more with new ones; a second 401 is the answer.
 */
async function withCredentials(
  credentials: RequestCredentials,
  headers: Record<string, string>,
  exchange: () => Promise<Response>,
  open: () => boolean,
): Promise<Response> {
  let authorization = await credentials.authorization();
  for (let attempt = 0; ; attempt += 1) {
    if (!open()) throw new HttpExchangeError('the transport was closed', 'connect');
    headers.authorization = authorization;
    const response = await exchange();
    if (response.status !== 401) return response;
    const again = credentials.rejected(authorization, response.headers.get('www-authenticate'));
    if (!again || attempt > 0) return response;
    await response.body?.cancel();
    authorization = await credentials.authorization();
  }
}

/**
 * A `fetch` for the SDK's Streamable HTTP client transport, on `node:http`
 * with the runtime's own keep-alive agent. Compared with the global fetch it:
 *
 * - tells a connection that was never made (`connect`, safe to resend) from
 *   one that broke after the request went out (`exchange`);
 * - adds the credentials and the `traceparent` header itself, so they are
 *   in no object the SDK or a logger can print;
 * - hands an event stream to the SDK event by event as it arrives (so a
 *   server request or a progress notification sent during a call reaches
 *   the host while the call runs), with each event bounded by
 *   `maxResponseBytes` and a `retry:` longer than `maxRetryDelayMs` cut to
 *   it; the stream of a call is closed once its response has passed;
 * - lets the SDK resume a call whose stream ended (or broke) after an event
 *   with an id: it reconnects with `GET` and `Last-Event-ID` after the
 *   server's `retry`. A call whose stream cannot be resumed (no event id, a
 *   refused `GET`, `maxResumptions` reconnections in a row that brought
 *   nothing new) is answered at once with a JSON-RPC error response made
 *   here, which {@link HttpFetch.failureOf} maps back to the
 *   {@link HttpExchangeError}: the call fails typed instead of waiting for
 *   its timeout. A reconnection for a call that is over (answered, failed,
 *   timed out or cancelled) is answered 405 here, which ends the SDK's
 *   reconnecting quietly;
 * - lets the standalone `GET` stream through (a 405 from the server is what
 *   the SDK expects of a server without one). A standalone stream that sent
 *   an event over the bound is not opened again;
 * - with `credentials` (OAuth), asks them for the `authorization` of each
 *   request, and on a 401 sends the request once more with new ones;
 * - with `legacySse`, serves the SDK's `SSEClientTransport`: the `GET`
 *   stream is the session and carries every answer; when it ends, the calls
 *   still waiting are answered with an error response made here, the
 *   stream is not reopened (204), and later requests are refused with
 *   `SESSION_ENDED`, which tells the runtime to open a new session.
 */
export function createHttpFetch(options: HttpFetchOptions): HttpFetch {
  const { agent, maxResponseBytes, maxResumptions } = options;
  const flight = new InFlight(maxResumptions);
  const abortAll = (): void => flight.abortAll();
  const failureOf = (error: unknown): HttpExchangeError | undefined => flight.failureOf(error);
  const watched = new WeakSet<AbortSignal>();
  const legacy = options.legacySse === true;

  const fetch: FetchLike = (input, init = {}) => {
    const method = (init.method ?? 'GET').toUpperCase();
    const url = typeof input === 'string' ? new URL(input) : input;
    const signal = init.signal ?? undefined;
    if (signal !== undefined && signal !== null && !watched.has(signal)) {
      // The SDK passes one signal per transport: one listener for all requests.
      watched.add(signal);
      signal.addEventListener('abort', abortAll, { once: true });
    }
    if (signal?.aborted || flight.closed) {
      return Promise.reject(new HttpExchangeError('the transport was closed', 'connect'));
    }
    if (legacy && flight.sessionEnded) {
      // The legacy session went with its stream: no reconnection of the
      // stream (204 stops an EventSource), no request on the old session.
      return method === 'GET'
        ? Promise.resolve(new Response(null, { status: 204, statusText: 'No Content' }))
        : Promise.reject(
            new HttpExchangeError(
              'the service ended the event stream of the session (HTTP+SSE transport)',
              'connect',
              SESSION_ENDED,
            ),
          );
    }
    const headers: Record<string, string> = {};
    copyHeaders(init.headers, headers);
    for (const [name, value] of Object.entries(options.headers))
      headers[name.toLowerCase()] = value;
    const body = typeof init.body === 'string' ? init.body : undefined;
    let id: RequestId | undefined;
    if (body !== undefined) {
      headers['content-length'] = String(Buffer.byteLength(body));
      traceHeaders(body, headers);
      id = requestIdOf(body);
      const cancelled = cancelledIdOf(body);
      if (cancelled !== undefined) {
        // Timed out or aborted: its exchange and its stream are of no more use.
        flight.cancel(cancelled);
      }
    }
    let resume: { call: Pending; from: string } | undefined;
    if (method === 'GET' && legacy) {
      headers.connection = 'close';
    } else if (method === 'GET') {
      const from = headers['last-event-id'];
      const call = from === undefined ? undefined : flight.callAt(from);
      if (call?.done === true || (call === undefined && flight.standaloneRefused)) {
        // Nothing to resume: the SDK takes 405 as "no stream" and stops.
        return Promise.resolve(
          new Response(null, { status: 405, statusText: 'Method Not Allowed' }),
        );
      }
      if (call !== undefined && from !== undefined) resume = { call, from };
      // A GET holds its connection for as long as its stream lasts (or is
      // answered 405): not one to keep in the pool for the next POST.
      headers.connection = 'close';
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const exchange = (): Promise<Response> =>
      new Promise<Response>((resolve, reject) => {
        let phase: FailurePhase = 'connect';
        let settled = false;
        const fail = (error: unknown): void => {
          if (settled) return;
          settled = true;
          flight.untrack(req);
          const code = (error as { code?: unknown }).code;
          const typed =
            error instanceof HttpExchangeError
              ? error
              : new HttpExchangeError(
                  error instanceof Error ? error.message : String(error),
                  typeof code === 'string' && CONNECT_CODES.has(code) ? 'connect' : phase,
                  typeof code === 'string' ? code : undefined,
                  error,
                );
          if (resume !== undefined && !resume.call.done) {
            // A reconnection that did not connect: the SDK tries again after
            // its delay, up to the bound; then the call fails.
            resume.call.idle += 1;
            if (resume.call.idle >= maxResumptions) {
              resolve(
                flight.failedResume(
                  resume.call,
                  new HttpExchangeError(
                    `the event stream of the call could not be resumed (${typed.code ?? typed.message})`,
                    'exchange',
                    typed.code,
                  ),
                  resume.from,
                ),
              );
              return;
            }
          }
          reject(typed);
        };
        const done = (response: Response): void => {
          if (settled) return;
          settled = true;
          resolve(response);
        };
        const req = send(url, { method, headers, agent: agent as HttpAgent });
        flight.track(req);
        if (id !== undefined) flight.awaitAnswer(id, req);
        req.on('socket', (socket) => {
          if ((socket as { connecting?: boolean }).connecting) {
            socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
              phase = 'exchange';
            });
          } else {
            phase = 'exchange';
          }
        });
        req.on('error', fail);
        req.on('response', (res) => {
          const status = res.statusCode ?? 0;
          const type = (res.headers['content-type'] ?? '').toLowerCase();
          const stream = status >= 200 && status < 300 && type.startsWith('text/event-stream');
          if (resume?.call.done === true) {
            // Cancelled while the reconnection was on its way.
            res.destroy();
            flight.untrack(req);
            done(new Response(null, { status: 405, statusText: 'Method Not Allowed' }));
            return;
          }
          if (resume !== undefined && !stream) {
            // The service answered the reconnection, but not with the stream.
            res.resume();
            flight.untrack(req);
            done(
              flight.failedResume(
                resume.call,
                new HttpExchangeError(
                  `the service did not resume the event stream of the call (HTTP ${status})`,
                  'exchange',
                ),
                resume.from,
              ),
            );
            return;
          }
          if (stream) {
            let role: StreamRole;
            if (resume !== undefined) {
              role = { kind: 'resume', pending: resume.call, from: resume.from };
            } else if (method === 'GET') {
              role = legacy ? { kind: 'session' } : { kind: 'standalone' };
            } else {
              role = { kind: 'post', pending: id === undefined ? undefined : flight.begin(id) };
            }
            done(
              new Response(eventStream(res, req, role, flight, options), {
                status,
                statusText: res.statusMessage ?? '',
                headers: responseHeaders(res),
              }),
            );
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          const broken = (): void =>
            fail(
              new HttpExchangeError(
                'the connection broke before the service answered',
                'exchange',
                'ECONNRESET',
              ),
            );
          res.on('aborted', broken);
          res.on('error', broken);
          res.on('close', () => {
            if (!res.complete) broken();
          });
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxResponseBytes) {
              res.destroy();
              fail(
                new HttpExchangeError(
                  `the response is over the message limit of ${maxResponseBytes} bytes`,
                  'exchange',
                  'EMSGSIZE',
                ),
              );
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            flight.untrack(req);
            const empty = size === 0 || status === 204 || status === 205 || status === 304;
            done(
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
    const credentials = options.credentials;
    let sent =
      credentials === undefined
        ? exchange()
        : withCredentials(
            credentials,
            headers,
            exchange,
            () => !(signal?.aborted || flight.closed),
          );
    if (legacy && method === 'POST' && id !== undefined) {
      // Its answer comes on the session's stream, maybe before this POST's
      // own 202: followed from now on, dropped when the POST fails.
      const call = flight.begin(id);
      sent = sent.then(
        (response) => {
          if (!response.ok) flight.finish(call);
          return response;
        },
        (error: unknown) => {
          flight.finish(call);
          throw error;
        },
      );
    }
    return sent;
  };
  return { fetch, abortAll, failureOf };
}
