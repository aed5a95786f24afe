/**
 * {@link FetchHttpClient}: the `HttpClient` protocol over the global `fetch`.
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

function combine(signals: AbortSignal[]): AbortSignal | undefined {
  if (signals.length <= 1) return signals[0];
  return AbortSignal.any(signals);
}

/**
 * An HTTP client the host configures once (base URL, default headers,
 * timeout) and hands to plugins. Responses are the standard `Response`.
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
}
