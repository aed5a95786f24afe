/**
 * How the checks word and locate what they find: a thrown value as text, a
 * sample's label, the plugin frame of an error, and where two outcomes first
 * differ.
 *
 * Owns: these pure helpers. It may not record results, run the plugin or
 * hold state; it imports only the shared context (types) from `src/`.
 */

import { firstDifference, preview } from '../host/json.mjs';
import { pluginFrames } from '../host/probes.mjs';
import type { ErrorInfo, Outcome } from '../host/session.mjs';
import type { Target } from './context.js';
import type { ContractSample } from './types.js';

/**
 * Why a check that needs samples skipped, and how to give it some: samples,
 * or the kind's hookspec (whose input schemas give one sample per hook).
 */
export function noSamples(target: Target, what: string): string {
  const spec = target.options.kindSpec;
  const why =
    spec === undefined
      ? `no samples and no hookspec for kind "${target.manifest.kind}"`
      : 'no samples (the hookspec gave none)';
  return `${why}: ${what}; pass samples ([{ hook, input }]) or the kind's hookspec (kindSpec) so the hooks run`;
}

/** The message of a thrown value. */
export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** `sample #i (hook)`. */
export const sampleLabel = (i: number, s: ContractSample | undefined): string =>
  `sample #${i}${s === undefined ? '' : ` (${s.hook})`}`;

/** The plugin frame of an error's stack, when it has one. */
export function locate(error: unknown, target: Target): string | undefined {
  const stack = error instanceof Error ? error.stack : (error as ErrorInfo | undefined)?.stack;
  return pluginFrames(stack, target.pluginDir)[0];
}

/** Where two outcomes first differ, as text; `undefined` when equal. */
export function compareOutcomes(
  a: Outcome | undefined,
  b: Outcome | undefined,
): { pointer: string; left: string; right: string } | undefined {
  const show = (o: Outcome | undefined): string =>
    o === undefined
      ? 'nothing'
      : o.ok
        ? (o.json ?? 'undefined')
        : `${o.error.name}: ${o.error.message}`;
  if (a === undefined || b === undefined || a.ok !== b.ok) {
    if (a === undefined && b === undefined) return undefined;
    return { pointer: '', left: show(a), right: show(b) };
  }
  if (a.ok && b.ok) {
    if (a.json === b.json) return undefined;
    if (a.json === undefined || b.json === undefined)
      return { pointer: '', left: show(a), right: show(b) };
    const diff = firstDifference(JSON.parse(a.json), JSON.parse(b.json));
    return diff === undefined
      ? { pointer: '', left: preview(a.json), right: preview(b.json) }
      : { pointer: diff.pointer, left: preview(diff.left), right: preview(diff.right) };
  }
  if (!a.ok && !b.ok && a.error.name === b.error.name && a.error.message === b.error.message) {
    return undefined;
  }
  return { pointer: '', left: show(a), right: show(b) };
}
