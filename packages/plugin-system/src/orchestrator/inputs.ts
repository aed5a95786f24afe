/**
 * Shape checks of the orchestrator hooks' inputs: `enqueue`, `status` and
 * `backfill` (its states and time window), each failure a
 * `HookValidationError` naming the field.
 *
 * Owns: `problem` and the checks. Pure: it reads the input only and may not
 * touch units, indexes or the registry; what the input means (plugin lookup,
 * idempotency, selection) is decided by the callers.
 */

import { HookValidationError } from '@dagstack/plugin-dispatch';
import type {
  BackfillInput,
  EnqueueInput,
  RerunnableState,
  StatusInput,
} from '../generated/kinds/orchestrator/v1.js';
import { LOCAL_EXECUTOR_NAME } from './manifest.js';
import { isObject, KIND, RERUNNABLE } from './unit-record.js';

/** States `backfill` queues again unless its input names others. */
const DEFAULT_BACKFILL_STATES: readonly RerunnableState[] = ['failed', 'expired'];

/** A `HookValidationError` for one problem in the input of `hook`. */
export function problem(
  hook: string,
  pointer: string,
  text: string,
  rule: string,
): HookValidationError {
  return new HookValidationError({
    kind: KIND,
    hook,
    direction: 'input',
    plugin: LOCAL_EXECUTOR_NAME,
    problems: [{ pointer, message: text, source: `input of ${KIND}.${hook}`, rule }],
  });
}

/**
 * Throw unless the `enqueue` input is an object with a non-empty
 * `plugin_name`, an object `args` and string keys where given. Whether
 * `args` is plain JSON is checked later, by the caller.
 */
export function checkEnqueueInput(input: EnqueueInput): void {
  if (!isObject(input)) throw problem('enqueue', '', 'must be an object', 'type');
  if (typeof input.plugin_name !== 'string' || input.plugin_name === '')
    throw problem('enqueue', '/plugin_name', 'is required (a plugin name)', 'required');
  if (!isObject(input.args)) throw problem('enqueue', '/args', 'must be an object', 'type');
  for (const field of ['idempotency_key', 'partition_key'] as const) {
    if (input[field] !== undefined && typeof input[field] !== 'string')
      throw problem('enqueue', `/${field}`, 'must be a string', 'type');
  }
}

/** Throw unless the `status` input is an object with a string `unit_id`. */
export function checkStatusInput(input: StatusInput): void {
  if (!isObject(input) || typeof input.unit_id !== 'string')
    throw problem('status', '/unit_id', 'is required (the id enqueue returned)', 'required');
}

/** A checked `backfill` input: which units to queue again. */
export interface BackfillFilter {
  /** Only units of this plugin. */
  readonly pluginName: string | undefined;
  /** Only units of this partition. */
  readonly partitionKey: string | undefined;
  /** Only units enqueued at or after this time (ms since the epoch). */
  readonly since: number | undefined;
  /** Only units enqueued before this time (ms since the epoch). */
  readonly until: number | undefined;
  /** End states to run again (re-runnable ones only). */
  readonly states: ReadonlySet<string>;
}

/**
 * The filter of a `backfill` input: its states (default failed and expired;
 * each must be re-runnable) and its time window (RFC 3339 date-times).
 */
export function parseBackfillInput(input: BackfillInput): BackfillFilter {
  if (!isObject(input)) throw problem('backfill', '', 'must be an object', 'type');
  const states = new Set<string>(input.states ?? DEFAULT_BACKFILL_STATES);
  for (const state of states) {
    if (!RERUNNABLE.has(state))
      throw problem('backfill', '/states', `"${state}" cannot be run again`, 'enum');
  }
  const time = (field: 'since' | 'until'): number | undefined => {
    const value = input[field];
    if (value === undefined) return undefined;
    const ms = Date.parse(value);
    if (Number.isNaN(ms))
      throw problem('backfill', `/${field}`, 'must be an RFC 3339 date-time', 'format');
    return ms;
  };
  const since = time('since');
  const until = time('until');
  return {
    pluginName: input.plugin_name,
    partitionKey: input.partition_key,
    since,
    until,
    states,
  };
}
