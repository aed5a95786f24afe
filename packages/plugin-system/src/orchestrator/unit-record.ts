/**
 * The orchestrator's per-unit record, shared by local-executor.ts and the
 * modules it delegates to, with the constants and small helpers they all use.
 *
 * Owns: the `UnitRecord` shape (what is kept in memory and in the state
 * file), the `kind/name` key of a unit's plugin and the sets of end and
 * re-runnable states. A leaf module: it imports only types from packages and
 * the generated kind, never another file of this folder, and holds no state.
 * Which module writes which record field is said in that module's header.
 */

import type { JsonObject } from '@dagstack/plugin-api';
import type { UnitState } from '../generated/kinds/orchestrator/v1.js';

/** A unit as kept in memory and in the state file. */
export interface UnitRecord {
  unit_id: string;
  seq: number;
  plugin_name: string;
  plugin_kind: string;
  hook: string;
  args: JsonObject;
  metadata: JsonObject;
  state: UnitState;
  attempts: number;
  enqueued_at: number;
  started_at?: number;
  finished_at?: number;
  idempotency_key?: string;
  partition_key?: string;
  input_hash?: string;
  output_hash?: string;
  progress?: JsonObject;
  error?: string;
  output?: unknown;
  /** False when the output is not JSON and so is not in the state file. */
  output_persisted?: boolean;
}

/** The kind the orchestrator is a plugin of (and whose plugins it never runs as units). */
export const KIND = 'orchestrator';

/** States a unit does not leave by itself. */
export const END_STATES: ReadonlySet<UnitState> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'expired',
]);

/** End states a backfill may queue again; a unit in one does not hold its input hash. */
export const RERUNNABLE: ReadonlySet<string> = new Set(['failed', 'expired', 'cancelled']);

/** RFC 3339 text of milliseconds since the epoch. */
export const iso = (ms: number): string => new Date(ms).toISOString();

/** Whether `value` is a plain object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The message of an error, or the text of any other thrown value. */
export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `kind/name` of the plugin that runs a unit. */
export function pluginKey(unit: UnitRecord): string {
  return `${unit.plugin_kind}/${unit.plugin_name}`;
}
