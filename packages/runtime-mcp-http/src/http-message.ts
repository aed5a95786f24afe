// The parts of an HTTP message the host's fetch reads and writes: request
// headers (the SDK's, the trace context lifted from the body), what a
// JSON-RPC request body is (its id, the call a cancellation names) found
// without a parse on the hot path, and a response's headers as a `Headers`.
// Pure functions: no state, no I/O; http-fetch.ts sends the request.
import type { IncomingMessage } from 'node:http';
import type { RequestId } from './http-exchange.js';

const TRACE_MARK = '"_meta":{"traceparent":"';

/** A URL as it may appear in messages: no query string or fragment (they may carry keys). */
export function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
const TRACESTATE_MARK = '"tracestate":"';

/**
 * Lift the W3C trace context of a JSON-RPC request body into headers, so
 * proxies and HTTP middleware see it too (ADR-0005 §5). The wire puts
 * `traceparent` first in `_meta` (docs/wire.md §5), which makes a string
 * search enough: no parse on the hot path.
 */
export function traceHeaders(body: string, headers: Record<string, string>): void {
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

/** The id of a JSON-RPC request body; `undefined` for a notification or a response. */
export function requestIdOf(body: string): RequestId | undefined {
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
export function cancelledIdOf(body: string): RequestId | undefined {
  if (body.length > 4096 || !body.includes('"method":"notifications/cancelled"')) return undefined;
  try {
    const id = (JSON.parse(body) as { params?: { requestId?: unknown } }).params?.requestId;
    return typeof id === 'string' || typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
}

export function responseHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return headers;
}

export function copyHeaders(from: RequestInit['headers'], into: Record<string, string>): void {
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
