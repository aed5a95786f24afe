// What one SDK transport has in flight over HTTP: its requests and event
// streams (dropped all at once by abortAll), the POSTed requests whose answer
// has not started yet, the calls whose answer comes on an event stream and
// the event ids a reconnection resumes them from, the run of standalone
// streams that ended empty, whether a legacy HTTP+SSE session's stream has
// ended, and the JSON-RPC error responses made here for a
// call that cannot be answered (marked with a nonce, mapped back by
// failureOf). It sends nothing and parses no stream: http-fetch.ts and
// event-stream.ts do, and change this state only through these methods.
import { randomUUID } from 'node:crypto';
import type { ClientRequest } from 'node:http';
import { HttpExchangeError, type Pending, type RequestId } from './http-exchange.js';

/** Where the failure a made-up error response stands for is kept (its `data`). */
const FAILURE_KEY = 'dagstack.dev/transport-failure';

/** JSON-RPC "connection closed": what a client that cannot map the error back shows. */
const CONNECTION_CLOSED = -32000;

/** Event ids remembered to tell which call a `GET` with `Last-Event-ID` resumes. */
const REMEMBERED_EVENT_IDS = 1024;

/** The exchanges of one transport (see the module comment). */
export class InFlight {
  readonly #maxResumptions: number;
  /** Marks the error responses made here, so no server can forge one. */
  readonly #nonce = randomUUID();
  readonly #requests = new Set<ClientRequest>();
  readonly #streams = new Set<{ drop(): void }>();
  readonly #calls = new Map<RequestId, Pending>();
  /** POSTed requests whose answer has not started to stream yet, by JSON-RPC id. */
  readonly #posts = new Map<RequestId, ClientRequest>();
  readonly #byEventId = new Map<string, Pending>();
  /** Standalone streams in a row that ended without an event. */
  #standaloneIdle = 0;
  /** No more standalone streams: one sent an event over the bound, or they keep ending empty. */
  #standaloneRefused = false;
  /** The stream of a legacy HTTP+SSE session ended: the session is gone. */
  #sessionEnded = false;
  #closed = false;

  constructor(maxResumptions: number) {
    this.#maxResumptions = maxResumptions;
  }

  /** {@link abortAll} was called: no new request goes out. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether a new standalone `GET` stream is refused (see {@link standaloneEnded}). */
  get standaloneRefused(): boolean {
    return this.#standaloneRefused;
  }

  /** The stream of a legacy HTTP+SSE session ended (see {@link endSession}). */
  get sessionEnded(): boolean {
    return this.#sessionEnded;
  }

  /** Drop every request and event stream in flight, and forget every call. */
  abortAll(): void {
    this.#closed = true;
    for (const call of this.#calls.values()) call.done = true;
    for (const stream of [...this.#streams]) stream.drop();
    this.#streams.clear();
    for (const req of this.#requests)
      req.destroy(new HttpExchangeError('the connection was closed by the host', 'exchange'));
    this.#requests.clear();
    this.#calls.clear();
    this.#byEventId.clear();
  }

  /** A request went out (until {@link untrack}). */
  track(req: ClientRequest): void {
    this.#requests.add(req);
  }

  /** A request is over: its response ended, broke or was cut. */
  untrack(req: ClientRequest): void {
    this.#requests.delete(req);
  }

  /** An event stream is open (until {@link removeStream}). */
  addStream(stream: { drop(): void }): void {
    this.#streams.add(stream);
  }

  removeStream(stream: { drop(): void }): void {
    this.#streams.delete(stream);
  }

  /** The POSTed request `id` waits for its answer, until `req` has a response or closes. */
  awaitAnswer(id: RequestId, req: ClientRequest): void {
    this.#posts.set(id, req);
    const forget = (): void => {
      if (this.#posts.get(id) === req) this.#posts.delete(id);
    };
    req.once('response', forget);
    req.once('close', forget);
  }

  /** The request `id` is answered on an event stream: a call to follow across reconnections. */
  begin(id: RequestId): Pending {
    const call: Pending = { id, done: false, lastEventId: undefined, idle: 0, stream: undefined };
    this.#calls.set(id, call);
    return call;
  }

  /** The request `id` timed out or was aborted: its exchange and its stream are of no more use. */
  cancel(id: RequestId): void {
    const call = this.#calls.get(id);
    if (call !== undefined) {
      this.finish(call);
      call.stream?.drop();
    }
    const waiting = this.#posts.get(id);
    this.#posts.delete(id);
    waiting?.destroy(new HttpExchangeError('the call was cancelled', 'exchange'));
  }

  /** The call `id` got its answer (on the stream of a legacy session). */
  answered(id: RequestId): void {
    const call = this.#calls.get(id);
    if (call !== undefined) this.finish(call);
  }

  /**
   * The stream of a legacy HTTP+SSE session ended: nothing more can be
   * answered. Returns the events that fail every call still waiting with
   * `error` (to pass on before the stream closes); later requests are
   * refused ({@link sessionEnded}).
   */
  endSession(error: HttpExchangeError): string {
    this.#sessionEnded = true;
    let events = '';
    for (const call of [...this.#calls.values()]) {
      events += this.failureEvent(call, error);
      this.finish(call);
    }
    return events;
  }

  /** The call a `GET` with `Last-Event-ID: eventId` resumes, while it is remembered. */
  callAt(eventId: string): Pending | undefined {
    return this.#byEventId.get(eventId);
  }

  /** `eventId` arrived on a stream of `call`: the point a reconnection resumes from. */
  remember(eventId: string, call: Pending): void {
    call.lastEventId = eventId;
    this.#byEventId.delete(eventId);
    this.#byEventId.set(eventId, call);
    if (this.#byEventId.size > REMEMBERED_EVENT_IDS) {
      const oldest = this.#byEventId.keys().next().value;
      if (oldest !== undefined) this.#byEventId.delete(oldest);
    }
  }

  /** The call is over (answered, failed here, or cancelled): no more resumption. */
  finish(call: Pending): void {
    call.done = true;
    if (this.#calls.get(call.id) === call) this.#calls.delete(call.id);
  }

  /**
   * A standalone stream ended before it was dropped; `brought`: it carried an
   * event. A server that keeps ending its standalone stream at once would
   * have the SDK reopen it forever: after `maxResumptions` empty ones in a row
   * it is refused.
   */
  standaloneEnded(brought: boolean): void {
    this.#standaloneIdle = brought ? 0 : this.#standaloneIdle + 1;
    if (this.#standaloneIdle >= this.#maxResumptions) this.#standaloneRefused = true;
  }

  /** A standalone stream sent an event over the bound: it is not opened again. */
  refuseStandalone(): void {
    this.#standaloneRefused = true;
  }

  /** An event answering `call` with `error`, as a JSON-RPC error response. */
  failureEvent(call: Pending, error: HttpExchangeError, eventId?: string): string {
    const message = {
      jsonrpc: '2.0',
      id: call.id,
      error: {
        code: CONNECTION_CLOSED,
        message: error.message,
        data: {
          [FAILURE_KEY]: {
            nonce: this.#nonce,
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
  }

  /** A made-up event stream that fails `call` (a resumption the service refused). */
  failedResume(call: Pending, error: HttpExchangeError, from: string): Response {
    this.finish(call);
    return new Response(this.failureEvent(call, error, from), {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
    });
  }

  /** The failure behind an error response made by {@link failureEvent}; `undefined` for any other error. */
  failureOf(error: unknown): HttpExchangeError | undefined {
    if (typeof error !== 'object' || error === null) return undefined;
    const data = (error as { data?: unknown }).data;
    if (typeof data !== 'object' || data === null) return undefined;
    const mark = (data as Record<string, unknown>)[FAILURE_KEY] as
      | { nonce?: unknown; phase?: unknown; message?: unknown; code?: unknown }
      | undefined;
    if (mark?.nonce !== this.#nonce || typeof mark.message !== 'string') return undefined;
    return new HttpExchangeError(
      mark.message,
      mark.phase === 'connect' ? 'connect' : 'exchange',
      typeof mark.code === 'string' ? mark.code : undefined,
    );
  }
}
