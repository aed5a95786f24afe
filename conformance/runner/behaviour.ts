// Turns the language-neutral behaviour descriptions of fixtures (README
// §Behaviours) into real plugin objects: hook methods, setup, teardown,
// health and middleware before/after, each recording what it was asked to
// do in an event log.
import type { Behaviour } from './behaviour-engine.mjs';
import { Mismatch } from './compare.js';

export type { Behaviour, Invocation, PluginBehaviour } from './behaviour-engine.mjs';
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
