// Turns the language-neutral behaviour descriptions of fixtures (README
// §Behaviours) into real plugin objects: hook methods, setup, teardown,
// health and middleware before/after, each recording what it was asked to
// do in an event log; and a middleware's governance filter.
import type { Behaviour, FilterBehaviour } from './behaviour-engine.mjs';
import { Mismatch } from './compare.js';

export type {
  Behaviour,
  FilterBehaviour,
  Invocation,
  PluginBehaviour,
} from './behaviour-engine.mjs';
export { FixtureError, makePluginObject, perform } from './behaviour-engine.mjs';

const BEHAVIOUR_KEYS = new Set([
  'delay_ms',
  'returns',
  'returns_empty',
  'echo',
  'merges',
  'append_to',
  'returns_call',
  'stop_chain',
  'returns_stop_chain',
  'throws',
  'hangs',
  'trace_done',
  'status',
  'uses_resources',
  'sequence',
]);

/** A middleware's `filter` entry (README §Plugins), checked. */
export function checkFilter(f: unknown, where: string): FilterBehaviour {
  const isNames = (v: unknown): v is string[] =>
    Array.isArray(v) && v.every((n) => typeof n === 'string');
  if (typeof f !== 'object' || f === null || Array.isArray(f)) {
    throw new Mismatch(`fixture error: ${where} must be a filter object`);
  }
  const { metadata_key, allow, otherwise, ...rest } = f as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw new Mismatch(`fixture error: ${where} has unknown key "${unknown[0]}"`);
  }
  const byValue =
    typeof allow === 'object' &&
    allow !== null &&
    !Array.isArray(allow) &&
    Object.values(allow).every(isNames);
  if (
    (metadata_key !== undefined && typeof metadata_key !== 'string') ||
    !(isNames(allow) || (byValue && typeof metadata_key === 'string')) ||
    (otherwise !== undefined && !isNames(otherwise))
  ) {
    throw new Mismatch(
      `fixture error: ${where} must be { allow: [names] } or { metadata_key, allow: { value: [names] }, otherwise? }`,
    );
  }
  return f as FilterBehaviour;
}

/** The event log of a case: `<plugin>.<method>` entries in the order they happened. */
export type EventLog = string[];

export function checkBehaviour(b: unknown, where: string): Behaviour {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) {
    throw new Mismatch(`fixture error: ${where} must be a behaviour object`);
  }
  for (const key of Object.keys(b)) {
    if (!BEHAVIOUR_KEYS.has(key))
      throw new Mismatch(`fixture error: ${where} has unknown key "${key}"`);
  }
  const behaviour = b as Behaviour;
  for (const [i, step] of (behaviour.sequence ?? []).entries())
    checkBehaviour(step, `${where}.sequence[${i}]`);
  return behaviour;
}
