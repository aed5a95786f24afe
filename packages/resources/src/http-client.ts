/**
 * {@link FetchHttpClient}: the `HttpClient` protocol over the global `fetch`.
 * `fetch` is the one code path: `get`, `post`, `put` and `delete` only set
 * the method and encode the body, then call it.
 */

import type { HttpClient } from '@dagstack/plugin-api';
import { ResourceError } from './errors.js';

/** A `fetch`-compatible function. @since 0.1.0 */
export type FetchFunction = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** Options of {@link FetchHttpClient}. @since 0.1.0 */
export interface FetchHttpClientOptions {
  /** Relative request URLs are resolved against it (`new URL(input, baseUrl)`). */
  baseUrl?: string | URL;
  /** Headers sent with every request; a request's own headers win. */
  headers?: ConstructorParameters<typeof Headers>[0];
  /**
   * Per-request timeout in ms (`AbortSignal.timeout`), combined with the
   * request's own `signal`. A timed-out request rejects with the
   * `TimeoutError` `DOMException` that `fetch` raises.
   */
  timeoutMs?: number;
  /** The `fetch` to call. Default: the global `fetch` at call time. */
  fetch?: FetchFunction;
}

/** Whether `body` is something `fetch` sends as it is (not to be JSON-encoded). */
function isRawBody(body: unknown): boolean {
  return (
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof Blob ||
    body instanceof FormData ||
    body instanceof URLSearchParams ||
    body instanceof ReadableStream
  );
}

function jsonBody(method: string, body: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch (error) {
    throw new ResourceError(`${method.toLowerCase()}: the body cannot be sent as JSON`, {
      resource: 'http_client',
      hint: 'pass JSON data (no bigint, no cycles), or an already encoded string or bytes',
      cause: error,
    });
  }
  if (text === undefined) {
    throw new ResourceError(
      `${method.toLowerCase()}: a body of type ${typeof body} has no JSON form`,
      {
        resource: 'http_client',
        hint: 'pass JSON data, an already encoded string or bytes, or undefined for no body',
      },
    );
  }
  return text;
}

function combine(signals: AbortSignal[]): AbortSignal | undefined {
  if (signals.length <= 1) return signals[0];
  return AbortSignal.any(signals);
}

/**
 * An HTTP client the host configures once (base URL, default headers,
 * timeout) and hands to plugins. Responses are the standard `Response`
 * (which is an `HttpResponse`).
 *
 * `post` and `put` send `body` as JSON with `content-type: application/json`
 * (unless the request's headers set a content type), except a string,
 * `ArrayBuffer` or view of one (`Uint8Array`, `Buffer`), `Blob`, `FormData`,
 * `URLSearchParams` or `ReadableStream`, which is sent as it is. An
 * `undefined` body sends none. The method of `init` is replaced by the
 * member's, and `init.body` by the `body` argument.
 * @since 0.1.0
 */
export class FetchHttpClient implements HttpClient {
  readonly #baseUrl: URL | undefined;
  readonly #headers: Headers;
  readonly #timeoutMs: number | undefined;
  readonly #fetch: FetchFunction | undefined;

  constructor(options: FetchHttpClientOptions = {}) {
    if (
      options.timeoutMs !== undefined &&
      (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0)
    ) {
      throw new ResourceError(`timeoutMs ${String(options.timeoutMs)} is not a positive number`, {
        resource: 'http_client',
        hint: 'pass the timeout in milliseconds (> 0), or leave it out for no timeout',
      });
    }
    try {
      this.#baseUrl = options.baseUrl === undefined ? undefined : new URL(options.baseUrl);
    } catch (error) {
      throw new ResourceError(
        `baseUrl ${JSON.stringify(String(options.baseUrl))} is not an absolute URL`,
        {
          resource: 'http_client',
          hint: 'pass an absolute URL such as "https://api.example.com/v1/"',
          cause: error,
        },
      );
    }
    this.#headers = new Headers(options.headers);
    this.#timeoutMs = options.timeoutMs;
    this.#fetch = options.fetch;
  }

  /** The absolute URL a request for `input` goes to. */
  resolve(input: string | URL): URL {
    if (input instanceof URL) return input;
    try {
      return this.#baseUrl === undefined ? new URL(input) : new URL(input, this.#baseUrl);
    } catch (error) {
      throw new ResourceError(`cannot make an absolute URL of ${JSON.stringify(input)}`, {
        resource: 'http_client',
        hint:
          this.#baseUrl === undefined
            ? 'pass an absolute URL, or give the client a baseUrl'
            : 'pass a valid relative or absolute URL',
        cause: error,
      });
    }
  }

  /** `fetch(input, init)` with the client's base URL, default headers and timeout applied. */
  async fetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = this.resolve(input);
    const headers = new Headers(this.#headers);
    for (const [name, value] of new Headers(init.headers)) headers.set(name, value);
    const signals: AbortSignal[] = [];
    if (init.signal) signals.push(init.signal);
    if (this.#timeoutMs !== undefined) signals.push(AbortSignal.timeout(this.#timeoutMs));
    const signal = combine(signals);
    const request: RequestInit = { ...init, headers };
    if (signal !== undefined) request.signal = signal;
    const fetchFn = this.#fetch ?? globalThis.fetch;
    return fetchFn(url, request);
  }

  /** `GET url`. @since 0.2.1 */
  get(url: string | URL, init: RequestInit = {}): Promise<Response> {
    return this.fetch(url, { ...init, method: 'GET' });
  }

  /** `POST url` with `body` (JSON unless it is already a body). @since 0.2.1 */
  post(url: string | URL, body: unknown, init: RequestInit = {}): Promise<Response> {
    return this.#send('POST', url, body, init);
  }

  /** `PUT url` with `body` (JSON unless it is already a body). @since 0.2.1 */
  put(url: string | URL, body: unknown, init: RequestInit = {}): Promise<Response> {
    return this.#send('PUT', url, body, init);
  }

  /** `DELETE url`. @since 0.2.1 */
  delete(url: string | URL, init: RequestInit = {}): Promise<Response> {
    return this.fetch(url, { ...init, method: 'DELETE' });
  }

  /** A request with a body, encoded as the class documentation says. */
  async #send(
    method: string,
    url: string | URL,
    body: unknown,
    init: RequestInit,
  ): Promise<Response> {
    const request: RequestInit & { duplex?: 'half' } = { ...init, method };
    if (body === undefined) {
      delete request.body;
    } else if (isRawBody(body)) {
      request.body = body as RequestInit['body'];
      // Node's fetch sends a stream only as a half-duplex request.
      if (body instanceof ReadableStream) request.duplex = 'half';
    } else {
      const headers = new Headers(init.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      request.headers = headers;
      request.body = jsonBody(method, body);
    }
    return this.fetch(url, request);
  }
}
