import { randomUUID } from 'node:crypto';
import {
  type ClientRequest,
  type Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http';
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
  /** Bound of one JSON response body, and of one event of an event stream, in bytes. */
  readonly maxResponseBytes: number;
  /** Longest reconnection delay a service may ask for (`retry:`); a longer one is cut to this. */
  readonly maxRetryDelayMs: number;
  /**
   * Reconnections in a row that bring a call nothing new (a failed `GET`, a
   * resumed stream that ends without a new event) before the call fails.
   */
  readonly maxResumptions: number;
}

/** A fetch bound to one SDK transport; `abortAll()` drops its requests in flight. */
export interface HttpFetch {
  readonly fetch: FetchLike;
  /** Drop every request and event stream in flight (the transport is closing). */
  abortAll(): void;
  /**
   * The exchange failure behind an error the SDK rejected a request with,
   * when this fetch reported it: a call whose event stream broke is answered
   * with a JSON-RPC error response made here (see {@link createHttpFetch}).
   */
  failureOf(error: unknown): HttpExchangeError | undefined;
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

type RequestId = string | number;

/** The id of a JSON-RPC request body; `undefined` for a notification or a response. */
function requestIdOf(body: string): RequestId | undefined {
  // The SDK serialises `{ ...request, jsonrpc, id }`: `method` first, the id
  // last. Its answers to server requests start with `result` or `jsonrpc`.
  if (!body.startsWith('{"method":')) return undefined;
  const at = body.lastIndexOf('"id":');
  if (at < 0) return undefined;
  const raw = body.slice(at + 5, body.length - 1);
  if (/^\d+$/.test(raw)) return Number(raw);
  if (/^"[^"\\]*"$/.test(raw)) return raw.slice(1, -1);
  return undefined;
}

/** The request a `notifications/cancelled` body cancels (the SDK sends one on timeout or abort). */
function cancelledIdOf(body: string): RequestId | undefined {
  if (body.length > 4096 || !body.includes('"method":"notifications/cancelled"')) return undefined;
  try {
    const id = (JSON.parse(body) as { params?: { requestId?: unknown } }).params?.requestId;
    return typeof id === 'string' || typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
}

function responseHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
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

/** Where the failure a made-up error response stands for is kept (its `data`). */
const FAILURE_KEY = 'dagstack.dev/transport-failure';

/** JSON-RPC "connection closed": what a client that cannot map the error back shows. */
const CONNECTION_CLOSED = -32000;

/** Event ids remembered to tell which call a `GET` with `Last-Event-ID` resumes. */
const REMEMBERED_EVENT_IDS = 1024;

/** How long an answered stream may take to end on its own (keeping the connection) before it is cut. */
const LINGER_MS = 1000;

const NEWLINE = /\r\n|\r|\n/g;

/** A request whose answer comes on an event stream. */
interface Pending {
  readonly id: RequestId;
  /** Answered, failed here, or cancelled: no more resumption. */
  done: boolean;
  /** The last event id of its streams: what a reconnection resumes from. */
  lastEventId: string | undefined;
  /** Reconnections in a row that brought nothing new. */
  idle: number;
  /** Its event stream open now. */
  stream: { drop(): void } | undefined;
}

/** What a response event stream is for. */
type StreamRole =
  /** The answer to a POSTed request. */
  | { readonly kind: 'post'; readonly pending: Pending | undefined }
  /** A `GET` with `Last-Event-ID` that resumes a call's stream. */
  | { readonly kind: 'resume'; readonly pending: Pending; readonly from: string }
  /** The standalone `GET` stream: server messages not tied to a call. */
  | { readonly kind: 'standalone' };

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
 *   an event over the bound is not opened again.
 */
export function createHttpFetch(options: HttpFetchOptions): HttpFetch {
  const { agent, maxResponseBytes, maxRetryDelayMs, maxResumptions } = options;
  /** Marks the error responses made here, so no server can forge one. */
  const nonce = randomUUID();
  const active = new Set<ClientRequest>();
  const streams = new Set<{ drop(): void }>();
  const pending = new Map<RequestId, Pending>();
  /** POSTed requests whose answer has not started to stream yet, by JSON-RPC id. */
  const posts = new Map<RequestId, ClientRequest>();
  const byEventId = new Map<string, Pending>();
  /** Standalone streams in a row that ended without an event. */
  let standaloneIdle = 0;
  /** No more standalone streams: one sent an event over the bound, or they keep ending empty. */
  let standaloneRefused = false;
  let closed = false;

  const abortAll = (): void => {
    closed = true;
    for (const call of pending.values()) call.done = true;
    for (const stream of [...streams]) stream.drop();
    streams.clear();
    for (const req of active)
      req.destroy(new HttpExchangeError('the connection was closed by the host', 'exchange'));
    active.clear();
    pending.clear();
    byEventId.clear();
  };
  const watched = new WeakSet<AbortSignal>();

  const remember = (eventId: string, call: Pending): void => {
    call.lastEventId = eventId;
    byEventId.delete(eventId);
    byEventId.set(eventId, call);
    if (byEventId.size > REMEMBERED_EVENT_IDS) {
      const oldest = byEventId.keys().next().value;
      if (oldest !== undefined) byEventId.delete(oldest);
    }
  };

  const finishCall = (call: Pending): void => {
    call.done = true;
    if (pending.get(call.id) === call) pending.delete(call.id);
  };

  /** An event answering `call` with `error`, as a JSON-RPC error response. */
  const failureEvent = (call: Pending, error: HttpExchangeError, eventId?: string): string => {
    const message = {
      jsonrpc: '2.0',
      id: call.id,
      error: {
        code: CONNECTION_CLOSED,
        message: error.message,
        data: {
          [FAILURE_KEY]: {
            nonce,
            phase: error.phase,
            message: error.message,
            ...(error.code === undefined ? {} : { code: error.code }),
          },
        },
      },
    };
    // The id makes the SDK's next reconnection name this call, which is
    // then answered 405 (the call is over).
    const id = eventId === undefined ? '' : `id: ${eventId}\n`;
    return `${id}event: message\ndata: ${JSON.stringify(message)}\n\n`;
  };

  const failureOf = (error: unknown): HttpExchangeError | undefined => {
    if (typeof error !== 'object' || error === null) return undefined;
    const data = (error as { data?: unknown }).data;
    if (typeof data !== 'object' || data === null) return undefined;
    const mark = (data as Record<string, unknown>)[FAILURE_KEY] as
      | { nonce?: unknown; phase?: unknown; message?: unknown; code?: unknown }
      | undefined;
    if (mark?.nonce !== nonce || typeof mark.message !== 'string') return undefined;
    return new HttpExchangeError(
      mark.message,
      mark.phase === 'connect' ? 'connect' : 'exchange',
      typeof mark.code === 'string' ? mark.code : undefined,
    );
  };

  /** A made-up event stream that fails `call` (a resumption the service refused). */
  const failedResume = (call: Pending, error: HttpExchangeError, from: string): Response => {
    finishCall(call);
    return new Response(failureEvent(call, error, from), {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
    });
  };

  /**
   * The body of an event stream: the events of `res` as they arrive, each
   * whole (a partial one is never passed on), bounded, with `retry` capped;
   * closed after the response of the call it carries.
   */
  const eventStream = (
    res: IncomingMessage,
    req: ClientRequest,
    role: StreamRole,
  ): ReadableStream<Uint8Array> => {
    const call = role.kind === 'standalone' ? undefined : role.pending;
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    let text = '';
    /** The current event's lines, as passed on. */
    let block = '';
    let blockBytes = 0;
    let data: string[] = [];
    let type = '';
    /** An event id arrived on this stream (the SDK resumes such a stream). */
    let sawId = false;
    /** An event other than the one resumed from arrived (the resumption brought something). */
    let brought = false;
    let finished = false;
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;

    const release = (): void => {
      streams.delete(handle);
      if (call !== undefined && call.stream === handle) call.stream = undefined;
    };
    const finish = (tail?: string): void => {
      if (finished) return;
      finished = true;
      release();
      try {
        if (tail !== undefined) controller?.enqueue(encoder.encode(tail));
        controller?.close();
      } catch {
        // the SDK cancelled the stream
      }
    };
    const cut = (): void => {
      res.destroy();
      active.delete(req);
    };
    /** Quietly: the host closes the transport, or the call is over. */
    const handle = {
      drop(): void {
        finish();
        cut();
      },
    };
    streams.add(handle);
    if (call !== undefined) {
      call.stream?.drop();
      call.stream = handle;
    }

    /** The stream ended or broke before the call's response. */
    const unanswered = (broken: boolean): void => {
      if (finished) return;
      if (role.kind === 'standalone') {
        // A server that keeps ending its standalone stream at once would
        // have the SDK reopen it forever.
        standaloneIdle = brought ? 0 : standaloneIdle + 1;
        if (standaloneIdle >= maxResumptions) standaloneRefused = true;
      }
      if (call === undefined || call.done) {
        if (broken && role.kind === 'standalone') {
          finished = true;
          release();
          controller?.error(
            new HttpExchangeError('the event stream broke', 'exchange', 'ECONNRESET'),
          );
          return;
        }
        finish();
        return;
      }
      const resumed = role.kind === 'resume';
      if (resumed) call.idle = brought ? 0 : call.idle + 1;
      // The SDK reconnects after a stream with an event id (a resumed one
      // always): let it, while reconnections still bring something.
      if ((resumed || sawId) && call.lastEventId !== undefined && call.idle < maxResumptions) {
        // A resumed stream that sent no id of its own: repeat the last one,
        // or the SDK would reconnect without Last-Event-ID.
        finish(resumed && !sawId ? `id: ${call.lastEventId}\ndata: \n\n` : undefined);
        return;
      }
      const error = broken
        ? new HttpExchangeError(
            'the connection broke before the service answered',
            'exchange',
            'ECONNRESET',
          )
        : new HttpExchangeError(
            call.lastEventId === undefined
              ? 'the service ended the event stream without answering the request'
              : `the service ended the event stream without answering the request, and ${call.idle} reconnection(s) in a row brought nothing new`,
            'exchange',
          );
      finishCall(call);
      finish(failureEvent(call, error, resumed || sawId ? call.lastEventId : undefined));
    };

    const overflow = (): void => {
      const error = new HttpExchangeError(
        `an event of the stream is over the message limit of ${maxResponseBytes} bytes`,
        'exchange',
        'EMSGSIZE',
      );
      if (call !== undefined && !call.done) {
        finishCall(call);
        finish(failureEvent(call, error, sawId ? call.lastEventId : undefined));
      } else {
        if (role.kind === 'standalone') standaloneRefused = true;
        finished = true;
        release();
        controller?.error(error);
      }
      cut();
    };

    /** Whether the event's data is the response to `call`. */
    const answers = (json: string): boolean => {
      if (call === undefined || (!json.includes('"result"') && !json.includes('"error"')))
        return false;
      let message: unknown;
      try {
        message = JSON.parse(json);
      } catch {
        return false;
      }
      for (const m of Array.isArray(message) ? message : [message]) {
        const r = m as { id?: unknown; result?: unknown; error?: unknown };
        if (r.id === call.id && (r.result !== undefined || r.error !== undefined)) return true;
      }
      return false;
    };

    /** Take one line; returns `true` once the call's response has been passed on. */
    const line = (raw: string): boolean => {
      if (raw === '') {
        if (data.some((d) => d !== '')) brought = true;
        const answered =
          data.length > 0 && (type === '' || type === 'message') && answers(data.join('\n'));
        if (block !== '') controller?.enqueue(encoder.encode(`${block}\n`));
        block = '';
        blockBytes = 0;
        data = [];
        type = '';
        return answered;
      }
      let out = raw;
      if (!raw.startsWith(':')) {
        const colon = raw.indexOf(':');
        const field = colon < 0 ? raw : raw.slice(0, colon);
        let value = colon < 0 ? '' : raw.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'event') type = value;
        else if (field === 'id' && value !== '' && !value.includes('\0')) {
          sawId = true;
          if (call !== undefined && !call.done) {
            if (role.kind !== 'resume' || value !== role.from) brought = true;
            remember(value, call);
          }
        } else if (field === 'retry' && /^\d+$/.test(value) && Number(value) > maxRetryDelayMs) {
          out = `retry: ${maxRetryDelayMs}`;
        }
      }
      block += `${out}\n`;
      blockBytes += Buffer.byteLength(out) + 1;
      return false;
    };

    const take = (chunk: string): void => {
      text += chunk;
      let at = 0;
      NEWLINE.lastIndex = 0;
      for (;;) {
        const match = NEWLINE.exec(text);
        if (match === null) break;
        // A CR at the end may be the first half of a CRLF still on its way.
        if (match[0] === '\r' && match.index === text.length - 1) break;
        const answered = line(text.slice(at, match.index));
        at = match.index + match[0].length;
        if (blockBytes > maxResponseBytes) {
          overflow();
          return;
        }
        if (answered && call !== undefined) {
          // The response is in: close the SDK's side now, let the
          // connection end on its own (kept alive) or cut it if it lingers.
          finishCall(call);
          finish();
          res.resume();
          const linger = setTimeout(cut, LINGER_MS);
          linger.unref();
          res.once('close', () => clearTimeout(linger));
          return;
        }
      }
      text = text.slice(at);
      // Bytes are at least UTF-16 units: a pending line this long is over.
      if (blockBytes + text.length > maxResponseBytes) overflow();
    };

    res.on('data', (chunk: Buffer) => {
      if (finished) return;
      take(decoder.decode(chunk, { stream: true }));
      if (!finished && controller !== undefined && (controller.desiredSize ?? 1) <= 0) res.pause();
    });
    res.on('end', () => {
      active.delete(req);
      if (finished) return;
      take(decoder.decode());
      unanswered(false);
    });
    const broken = (): void => {
      active.delete(req);
      unanswered(true);
    };
    res.on('aborted', broken);
    res.on('error', broken);
    res.on('close', () => {
      if (!res.complete) broken();
      else active.delete(req);
    });

    return new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
      },
      pull() {
        if (res.isPaused()) res.resume();
      },
      cancel() {
        finished = true;
        release();
        cut();
      },
    });
  };

  const fetch: FetchLike = (input, init = {}) => {
    const method = (init.method ?? 'GET').toUpperCase();
    const url = typeof input === 'string' ? new URL(input) : input;
    const signal = init.signal ?? undefined;
    if (signal !== undefined && signal !== null && !watched.has(signal)) {
      // The SDK passes one signal per transport: one listener for all requests.
      watched.add(signal);
      signal.addEventListener('abort', abortAll, { once: true });
    }
    if (signal?.aborted || closed) {
      return Promise.reject(new HttpExchangeError('the transport was closed', 'connect'));
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
        const call = pending.get(cancelled);
        if (call !== undefined) {
          finishCall(call);
          call.stream?.drop();
        }
        const waiting = posts.get(cancelled);
        posts.delete(cancelled);
        waiting?.destroy(new HttpExchangeError('the call was cancelled', 'exchange'));
      }
    }
    let resume: { call: Pending; from: string } | undefined;
    if (method === 'GET') {
      const from = headers['last-event-id'];
      const call = from === undefined ? undefined : byEventId.get(from);
      if (call?.done === true || (call === undefined && standaloneRefused)) {
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
    return new Promise<Response>((resolve, reject) => {
      let phase: FailurePhase = 'connect';
      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        active.delete(req);
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
              failedResume(
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
      active.add(req);
      if (id !== undefined) {
        const posted = id;
        posts.set(posted, req);
        const forget = (): void => {
          if (posts.get(posted) === req) posts.delete(posted);
        };
        req.once('response', forget);
        req.once('close', forget);
      }
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
          active.delete(req);
          done(new Response(null, { status: 405, statusText: 'Method Not Allowed' }));
          return;
        }
        if (resume !== undefined && !stream) {
          // The service answered the reconnection, but not with the stream.
          res.resume();
          active.delete(req);
          done(
            failedResume(
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
            role = { kind: 'standalone' };
          } else {
            let call: Pending | undefined;
            if (id !== undefined) {
              call = { id, done: false, lastEventId: undefined, idle: 0, stream: undefined };
              pending.set(id, call);
            }
            role = { kind: 'post', pending: call };
          }
          done(
            new Response(eventStream(res, req, role), {
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
          active.delete(req);
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
  return { fetch, abortAll, failureOf };
}
