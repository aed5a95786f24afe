// The vocabulary of the host's HTTP layer: the fetch the SDK transport calls
// and its options, HttpExchangeError (a failed exchange, with the phase it
// failed in), and the records of a call whose answer comes on an event
// stream. A leaf: it imports nothing of the package and holds no state.
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';

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

/**
 * The socket-less code of an {@link HttpExchangeError} for a request on a
 * legacy HTTP+SSE session whose event stream has ended: the request was not
 * sent, and the service no longer has the session.
 */
export const SESSION_ENDED = 'ESESSIONENDED';

/**
 * Credentials fetched for each request instead of fixed headers (OAuth):
 * the `authorization` value to send, and what to do when the service
 * refuses it. Never logged.
 */
export interface RequestCredentials {
  /** The `authorization` header value for the next request; rejects when none can be had. */
  authorization(): Promise<string>;
  /**
   * The service answered 401 to a request sent with `sent`: that credential
   * is spent. `wwwAuthenticate` is the challenge of the answer, if any.
   * `true`: send the request once more with a new one.
   */
  rejected(sent: string, wwwAuthenticate: string | null): boolean;
}

export interface HttpFetchOptions {
  readonly agent: HttpAgent | HttpsAgent;
  /** Headers sent with every request, credentials included (never logged). */
  readonly headers: Readonly<Record<string, string>>;
  /** Credentials fetched per request and renewed once on a 401 (OAuth); besides `headers`. */
  readonly credentials?: RequestCredentials | undefined;
  /**
   * The fetch of the SDK's `SSEClientTransport` (the HTTP+SSE transport of
   * MCP 2024-11-05): its `GET` stream is the session, which carries the
   * answers to the POSTed requests; when it ends, the requests still
   * waiting fail at once and later ones are refused with {@link SESSION_ENDED}.
   */
  readonly legacySse?: boolean;
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
   * with a JSON-RPC error response made here (see `createHttpFetch`).
   */
  failureOf(error: unknown): HttpExchangeError | undefined;
}

/** A JSON-RPC request id. */
export type RequestId = string | number;

/** A request whose answer comes on an event stream. */
export interface Pending {
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
export type StreamRole =
  /** The answer to a POSTed request. */
  | { readonly kind: 'post'; readonly pending: Pending | undefined }
  /** A `GET` with `Last-Event-ID` that resumes a call's stream. */
  | { readonly kind: 'resume'; readonly pending: Pending; readonly from: string }
  /** The standalone `GET` stream: server messages not tied to a call. */
  | { readonly kind: 'standalone' }
  /** The `GET` stream of a legacy HTTP+SSE session: every answer, and the session itself. */
  | { readonly kind: 'session' };
