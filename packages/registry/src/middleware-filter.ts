/**
 * The governance filter a `chain_wrap` middleware plugin contributes
 * (ADR-0005 §4 "the governance product registers the filter through chain
 * middleware"; spec decision R18): the plugin object's optional
 * `filter(candidates, call)` method, adapted to the dispatch engine's
 * `Middleware.filter`. The engine runs it after the host's
 * `governanceFilter`, in middleware priority order.
 *
 * The plugin sees each candidate as a frozen `{ name, kind, manifest }`
 * (never its handle or object) and answers with the ones it allows, as
 * those objects or their names.
 *
 * Owns: the frozen candidate views (one per dispatch candidate, kept while
 * the candidate lives). May not touch: records, dispatch state or the
 * plugin's other methods.
 */

import {
  type CandidateFilter,
  type FilterCandidate,
  PluginRegistryError,
} from '@dagstack/plugin-api';
import type { DispatchCandidate, Middleware } from '@dagstack/plugin-dispatch';

/** The frozen view of each candidate a middleware filter is shown. */
const views = new WeakMap<DispatchCandidate, FilterCandidate>();

function viewOf(candidate: DispatchCandidate): FilterCandidate {
  let view = views.get(candidate);
  if (view === undefined) {
    view = Object.freeze({
      name: candidate.name,
      kind: candidate.kind,
      manifest: candidate.manifest,
    });
    views.set(candidate, view);
  }
  return view;
}

/**
 * The engine-side filter of middleware plugin `plugin` (of `kind`) whose
 * object has `filter` as its method. Throws `PluginRegistryError` naming the
 * plugin when `filter` answers with something other than a list (a promise
 * included: filters are synchronous); what `filter` throws passes as thrown.
 */
export function middlewareFilter(
  plugin: string,
  kind: string,
  instance: object,
  filter: CandidateFilter,
): NonNullable<Middleware['filter']> {
  return (calledKind, hook, candidates, call) => {
    const answer: unknown = filter.call(instance, candidates.map(viewOf), {
      kind: calledKind,
      hook,
      metadata: call.metadata,
    });
    if (!Array.isArray(answer)) {
      throw new PluginRegistryError(
        `filter(candidates, call) returned ${describe(answer)}, not a list of candidates`,
        {
          plugin,
          kind,
          hint: 'return the allowed candidates (or their names) synchronously, e.g. candidates.filter((c) => ...)',
        },
      );
    }
    const allowed = new Set<string>();
    for (const entry of answer as unknown[]) {
      if (typeof entry === 'string') allowed.add(entry);
      else if (typeof entry === 'object' && entry !== null) {
        const name = (entry as { name?: unknown }).name;
        if (typeof name === 'string') allowed.add(name);
      }
    }
    return candidates.filter((c) => allowed.has(c.name));
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof (value as { then?: unknown } | undefined)?.then === 'function') return 'a promise';
  return typeof value;
}
