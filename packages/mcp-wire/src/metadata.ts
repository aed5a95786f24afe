import type { CallMetadata, JsonValue } from '@dagstack/plugin-api';
import { META_KEYS } from './constants.js';

/** A request or result `_meta` object. */
export type WireMeta = Record<string, unknown>;

const EMPTY: CallMetadata = Object.freeze({});

function liftableTrace(value: unknown): value is { traceparent: string; tracestate?: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const trace = value as Record<string, unknown>;
  if (typeof trace.traceparent !== 'string') return false;
  for (const key of Object.keys(trace)) {
    if (key === 'traceparent') continue;
    if (key === 'tracestate' && typeof trace.tracestate === 'string') continue;
    return false;
  }
  return true;
}

/**
 * Put call metadata into a request's `_meta` (docs/wire.md §5): the trace
 * context as W3C `traceparent` / `tracestate`, every other key under
 * `dagstack.dev/metadata`. Returns `undefined` for empty metadata.
 * @since 0.1.0
 */
export function encodeMetadata(
  metadata: CallMetadata | undefined,
  into?: WireMeta,
): WireMeta | undefined {
  if (metadata === undefined) return into;
  let meta = into;
  let rest: Record<string, unknown> | undefined;
  for (const key of Object.keys(metadata)) {
    const value = metadata[key];
    if (value === undefined) continue;
    if (key === 'trace_context' && liftableTrace(value)) {
      meta ??= {};
      meta[META_KEYS.traceparent] = value.traceparent;
      if (value.tracestate !== undefined) meta[META_KEYS.tracestate] = value.tracestate;
      continue;
    }
    rest ??= {};
    rest[key] = value;
  }
  if (rest !== undefined) {
    meta ??= {};
    meta[META_KEYS.metadata] = rest;
  }
  return meta;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Rebuild call metadata from a request's `_meta` (docs/wire.md §5). The
 * result is deep-frozen.
 * @since 0.1.0
 */
export function decodeMetadata(meta: WireMeta | undefined): CallMetadata {
  if (meta === undefined) return EMPTY;
  const carried = meta[META_KEYS.metadata];
  const traceparent = meta[META_KEYS.traceparent];
  const hasRest = typeof carried === 'object' && carried !== null && !Array.isArray(carried);
  if (!hasRest && typeof traceparent !== 'string') return EMPTY;
  const out: Record<string, JsonValue> = hasRest
    ? { ...(carried as Record<string, JsonValue>) }
    : {};
  if (typeof traceparent === 'string') {
    const tracestate = meta[META_KEYS.tracestate];
    out.trace_context =
      typeof tracestate === 'string' ? { traceparent, tracestate } : { traceparent };
  }
  return deepFreeze(out) as CallMetadata;
}
