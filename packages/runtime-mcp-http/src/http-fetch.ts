import { type Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { type Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** The `fetch` signature the SDK's Streamable HTTP client transport calls. */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * Where an HTTP exchange failed. `connect`: no connection was made, so the
 * service never saw the request (safe to send again). `exchange`: the
 * connection broke after the request went out (the service may have acted
 * on it).
 */
export type FailurePhase = 'connect' | 'exchange';

/**
 * A failure of the HTTP exchange itself (no HTTP status). Its message holds
 * no header values.
 */
export class HttpExchangeError extends Error {
  override readonly name: string = 'HttpExchangeError';
  readonly phase: FailurePhase;
  /** The socket error code (`ECONNREFUSED`, `ECONNRESET`, ...), when there is one. */
  readonly code: string | undefined;
  constructor(message: string, phase: FailurePhase, code?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.phase = phase;
    this.code = code;
  }
}

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

export interface HttpFetchOptions {
  readonly agent: HttpAgent | HttpsAgent;
  /** Headers sent with every request, credentials included (never logged). */
  readonly headers: Readonly<Record<string, string>>;
  /** Bound of one response body in bytes. */
  readonly maxResponseBytes: number;
}

/** A fetch bound to one SDK transport; `abortAll()` drops its requests in flight. */
export interface HttpFetch {
  readonly fetch: FetchLike;
  abortAll(): void;
}

const TRACE_MARK = '"_meta":{"traceparent":"';
const TRACESTATE_MARK = '"tracestate":"';

/**
 * Lift the W3C trace context of a JSON-RPC request body into headers, so
 * proxies and HTTP middleware see it too (ADR-0005 §5). The wire puts
 * `traceparent` first in `_meta` (docs/wire.md §5), which makes a string
 * search enough: no parse on the hot path.
 */
function traceHeaders(body: string, headers: Record<string, string>): void {
  const at = body.lastIndexOf(TRACE_MARK);
  if (at < 0) return;
  const start = at + TRACE_MARK.length;
  const end = body.indexOf('"', start);
  if (end < 0 || end - start > 128) return;
  headers.traceparent = body.slice(start, end);
  if (body.startsWith(TRACESTATE_MARK, end + 2)) {
    const s = end + 2 + TRACESTATE_MARK.length;
    const e = body.indexOf('"', s);
    if (e > s && e - s <= 512 && body.lastIndexOf('\\', e) < s)
      headers.tracestate = body.slice(s, e);
  }
}

function requestIdOf(body: string): string | number | undefined {
  // The SDK serialises `{ ...request, jsonrpc, id }`: the id is the last member.
  const at = body.lastIndexOf('"id":');
  if (at < 0) return undefined;
  const raw = body.slice(at + 5, body.length - 1);
  if (/^\d+$/.test(raw)) return Number(raw);
  if (/^"[^"\\]*"$/.test(raw)) return raw.slice(1, -1);
  return undefined;
}

interface SseState {
  buffer: string;
  messages: unknown[];
  answered: boolean;
}

/** Parse complete Server-Sent Events out of `state.buffer`; collect `message` data. */
function drainSse(state: SseState, id: string | number | undefined): void {
  for (;;) {
    const match = /\r?\n\r?\n/.exec(state.buffer);
    if (match === null) return;
    const block = state.buffer.slice(0, match.index);
    state.buffer = state.buffer.slice(match.index + match[0].length);
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
      else if (line.startsWith('event:')) event = line.slice(6).trim();
    }
    if (data.length === 0 || event !== 'message') continue;
    let message: unknown;
    try {
      message = JSON.parse(data.join('\n'));
    } catch {
      continue;
    }
    state.messages.push(message);
    const m = message as { id?: unknown; result?: unknown; error?: unknown };
    if (m.id === id && (m.result !== undefined || m.error !== undefined)) state.answered = true;
  }
}

function responseHeaders(res: IncomingMessage, contentType?: string): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  if (contentType !== undefined) headers.set('content-type', contentType);
  return headers;
}

function copyHeaders(from: RequestInit['headers'], into: Record<string, string>): void {
  if (from === undefined) return;
  if (from instanceof Headers) {
    from.forEach((value, name) => {
      into[name] = value;
    });
  } else if (Array.isArray(from)) {
    for (const [name, value] of from as [string, string][]) into[name.toLowerCase()] = value;
  } else {
    for (const [name, value] of Object.entries(from as Record<string, string>)) {
      into[name.toLowerCase()] = value;
    }
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
 * - answers the optional standalone `GET` event stream with 405 without
 *   asking the service (the dagstack wire has no server-initiated messages,
 *   and the stream would hold a connection per plugin);
 * - reads a POST answered with an event stream up to the response to that
 *   request and hands the SDK the messages as a JSON batch; a stream that
 *   ends or breaks before the response fails the request at once instead of
 *   leaving it waiting for a reconnect.
 */
export function createHttpFetch(options: HttpFetchOptions): HttpFetch {
  const { agent, maxResponseBytes } = options;
  const active = new Set<{ destroy(error?: Error): void }>();
  const abortAll = (): void => {
    for (const req of active)
      req.destroy(new HttpExchangeError('the connection was closed by the host', 'exchange'));
    active.clear();
  };
  const watched = new WeakSet<AbortSignal>();

  const fetch: FetchLike = (input, init = {}) => {
    const method = (init.method ?? 'GET').toUpperCase();
    if (method === 'GET') {
      return Promise.resolve(new Response(null, { status: 405, statusText: 'Method Not Allowed' }));
    }
    const url = typeof input === 'string' ? new URL(input) : input;
    const signal = init.signal ?? undefined;
    if (signal !== undefined && signal !== null && !watched.has(signal)) {
      // The SDK passes one signal per transport: one listener for all requests.
      watched.add(signal);
      signal.addEventListener('abort', abortAll, { once: true });
    }
    if (signal?.aborted) {
      return Promise.reject(new HttpExchangeError('the transport was closed', 'connect'));
    }
    const headers: Record<string, string> = {};
    copyHeaders(init.headers, headers);
    for (const [name, value] of Object.entries(options.headers))
      headers[name.toLowerCase()] = value;
    const body = typeof init.body === 'string' ? init.body : undefined;
    if (body !== undefined) {
      headers['content-length'] = String(Buffer.byteLength(body));
      traceHeaders(body, headers);
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      let phase: FailurePhase = 'connect';
      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        active.delete(req);
        if (error instanceof HttpExchangeError) {
          reject(error);
          return;
        }
        const code = (error as { code?: unknown }).code;
        const text = error instanceof Error ? error.message : String(error);
        const p = typeof code === 'string' && CONNECT_CODES.has(code) ? 'connect' : phase;
        reject(new HttpExchangeError(text, p, typeof code === 'string' ? code : undefined, error));
      };
      const done = (response: Response): void => {
        if (settled) return;
        settled = true;
        active.delete(req);
        resolve(response);
      };
      const req = send(url, { method, headers, agent: agent as HttpAgent });
      active.add(req);
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
        const sse = type.startsWith('text/event-stream');
        const id = sse && body !== undefined ? requestIdOf(body) : undefined;
        const state: SseState = { buffer: '', messages: [], answered: false };
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
        if (sse) res.setEncoding('utf8');
        res.on('data', (chunk: Buffer | string) => {
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
          if (!sse) {
            chunks.push(chunk as Buffer);
            return;
          }
          if (state.answered) return;
          state.buffer += chunk as string;
          drainSse(state, id);
          if (state.answered) {
            // The response is in: hand it over now, let the stream end on its
            // own (keeping the connection), and cut it if it lingers.
            done(
              new Response(JSON.stringify(state.messages), {
                status,
                headers: responseHeaders(res, 'application/json'),
              }),
            );
            const linger = setTimeout(() => res.destroy(), 1000);
            linger.unref();
            res.once('close', () => clearTimeout(linger));
          }
        });
        res.on('end', () => {
          if (sse) {
            if (state.answered) return;
            drainSse(state, id);
            if (!state.answered && id !== undefined && status < 300) {
              fail(
                new HttpExchangeError(
                  'the service ended the event stream without answering the request',
                  'exchange',
                ),
              );
              return;
            }
            done(
              new Response(JSON.stringify(state.messages), {
                status,
                headers: responseHeaders(res, 'application/json'),
              }),
            );
            return;
          }
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
  };
  return { fetch, abortAll };
}
