// The body of a response event stream as the SDK transport reads it: the
// events of the node:http response passed on whole as they arrive, each
// bounded, with `retry:` capped; the stream of a call closed once its
// response has passed, and a call whose stream ended or broke unanswered
// either left to the SDK to resume or failed with a made-up error response.
// The stream of a legacy HTTP+SSE session carries the answers to every call:
// when it ends, the calls still waiting fail at once.
// It owns the parse state of one stream; the calls, event ids and streams of
// the transport stay in in-flight.ts, changed only through its methods. It
// sends no request (http-fetch.ts does).
import type { ClientRequest, IncomingMessage } from 'node:http';
import {
  HttpExchangeError,
  type HttpFetchOptions,
  type RequestId,
  type StreamRole,
} from './http-exchange.js';
import type { InFlight } from './in-flight.js';

/** How long an answered stream may take to end on its own (keeping the connection) before it is cut. */
const LINGER_MS = 1000;

const NEWLINE = /\r\n|\r|\n/g;

/** The ids of the responses in an event's data (one message or a batch). */
function responseIds(json: string): RequestId[] {
  if (!json.includes('"result"') && !json.includes('"error"')) return [];
  let message: unknown;
  try {
    message = JSON.parse(json);
  } catch {
    return [];
  }
  const ids: RequestId[] = [];
  for (const m of Array.isArray(message) ? message : [message]) {
    const r = m as { id?: unknown; result?: unknown; error?: unknown };
    if (
      (typeof r.id === 'string' || typeof r.id === 'number') &&
      (r.result !== undefined || r.error !== undefined)
    )
      ids.push(r.id);
  }
  return ids;
}

/**
 * The body of an event stream: the events of `res` as they arrive, each
 * whole (a partial one is never passed on), bounded, with `retry` capped;
 * closed after the response of the call it carries.
 */
export function eventStream(
  res: IncomingMessage,
  req: ClientRequest,
  role: StreamRole,
  flight: InFlight,
  options: HttpFetchOptions,
): ReadableStream<Uint8Array> {
  const { maxResponseBytes, maxRetryDelayMs, maxResumptions } = options;
  const call = role.kind === 'standalone' || role.kind === 'session' ? undefined : role.pending;
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
    flight.removeStream(handle);
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
    flight.untrack(req);
  };
  /** Quietly: the host closes the transport, or the call is over. */
  const handle = {
    drop(): void {
      finish();
      cut();
    },
  };
  flight.addStream(handle);
  if (call !== undefined) {
    call.stream?.drop();
    call.stream = handle;
  }

  /** The stream ended or broke before the call's response. */
  const unanswered = (broken: boolean): void => {
    if (finished) return;
    if (role.kind === 'session') {
      // The legacy session is gone with its stream: fail what still waits.
      finish(
        flight.endSession(
          broken
            ? new HttpExchangeError(
                'the event stream of the session broke before the service answered',
                'exchange',
                'ECONNRESET',
              )
            : new HttpExchangeError(
                'the service ended the event stream of the session before it answered',
                'exchange',
              ),
        ),
      );
      return;
    }
    if (role.kind === 'standalone') flight.standaloneEnded(brought);
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
    flight.finish(call);
    finish(flight.failureEvent(call, error, resumed || sawId ? call.lastEventId : undefined));
  };

  const overflow = (): void => {
    const error = new HttpExchangeError(
      `an event of the stream is over the message limit of ${maxResponseBytes} bytes`,
      'exchange',
      'EMSGSIZE',
    );
    if (call !== undefined && !call.done) {
      flight.finish(call);
      finish(flight.failureEvent(call, error, sawId ? call.lastEventId : undefined));
    } else if (role.kind === 'session') {
      finish(flight.endSession(error));
    } else {
      if (role.kind === 'standalone') flight.refuseStandalone();
      finished = true;
      release();
      controller?.error(error);
    }
    cut();
  };

  /** Whether the event's data is the response to `call`. */
  const answers = (json: string): boolean =>
    call !== undefined && responseIds(json).includes(call.id);

  /** Take one line; returns `true` once the call's response has been passed on. */
  const line = (raw: string): boolean => {
    if (raw === '') {
      if (data.some((d) => d !== '')) brought = true;
      const message = data.length > 0 && (type === '' || type === 'message');
      if (message && role.kind === 'session') {
        for (const id of responseIds(data.join('\n'))) flight.answered(id);
      }
      const answered = message && answers(data.join('\n'));
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
          flight.remember(value, call);
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
        flight.finish(call);
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
    flight.untrack(req);
    if (finished) return;
    take(decoder.decode());
    unanswered(false);
  });
  const broken = (): void => {
    flight.untrack(req);
    unanswered(true);
  };
  res.on('aborted', broken);
  res.on('error', broken);
  res.on('close', () => {
    if (!res.complete) broken();
    else flight.untrack(req);
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
}
