import type { DispatchCandidate, Middleware } from './types.js';

/** 0 for the `tryfirst` band, 1 for normal, 2 for `trylast`. */
export function bandOf(candidate: DispatchCandidate): number {
  const manifest = candidate.manifest;
  if (manifest.tryfirst) return 0;
  return manifest.trylast ? 2 : 1;
}

function byName(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

/**
 * The one ordering rule of every dispatch class: the `tryfirst` band, then
 * the normal band, then the `trylast` band; inside each band priority
 * descending, ties by name (code-unit order). Never registration order or
 * timing.
 * @since 0.1.0
 */
export function compareCandidates(a: DispatchCandidate, b: DispatchCandidate): number {
  const bands = bandOf(a) - bandOf(b);
  if (bands !== 0) return bands;
  const priorities = b.manifest.priority - a.manifest.priority;
  if (priorities !== 0) return priorities;
  return byName(a.name, b.name);
}

/**
 * A sorted copy of `candidates` (see {@link compareCandidates}).
 * @since 0.1.0
 */
export function sortCandidates(candidates: readonly DispatchCandidate[]): DispatchCandidate[] {
  return [...candidates].sort(compareCandidates);
}

/** Middleware order of `before`: priority descending, ties by name. */
export function compareMiddleware(a: Middleware, b: Middleware): number {
  const priorities = b.priority - a.priority;
  return priorities !== 0 ? priorities : byName(a.name, b.name);
}

/** Whether a middleware's `kinds` / `hooks` globs cover `(kind, hook)`. */
export function middlewareMatches(middleware: Middleware, kind: string, hook: string): boolean {
  return (
    (middleware.kinds.includes('*') || middleware.kinds.includes(kind)) &&
    (middleware.hooks.includes('*') || middleware.hooks.includes(hook))
  );
}

/** Whether a candidate is middleware (has `chain_wrap`) rather than a business plugin. */
export function isMiddlewareCandidate(candidate: DispatchCandidate): boolean {
  return candidate.manifest.chain_wrap !== undefined;
}
