/**
 * The manifest of the in-tree `LocalExecutorOrchestrator` (ADR-0003 §Default
 * in-tree implementation): kind `orchestrator`, in-process only.
 */

import type { JsonObject } from '@dagstack/plugin-api';

/**
 * Manifest name of the in-tree orchestrator.
 * @since 0.1.0
 */
export const LOCAL_EXECUTOR_NAME: 'local_executor' = 'local_executor';

/**
 * The hook a unit-of-work plugin is called with unless its manifest says
 * otherwise (`[plugin.metadata] unit_of_work_hook = "..."`) or the
 * orchestrator is configured with another `hook`.
 * @since 0.1.0
 */
export const DEFAULT_UNIT_HOOK: 'run' = 'run';

/**
 * The manifest document of {@link LocalExecutorOrchestrator}, in the inline
 * form `registry.registerManifest()` accepts. It has no `entry_point`: the
 * orchestrator needs the host's registry, so the host creates it and attaches
 * it (`registry.register(new LocalExecutorOrchestrator({ registry }))` reads
 * this manifest from the class).
 *
 * Configuration section `orchestrator.local_executor` (all optional; options
 * passed to the constructor win): `concurrency`, `state_file`, `hook`,
 * `unit_timeout_sec`.
 * @since 0.1.0
 */
export const localExecutorManifest: JsonObject = deepFreeze({
  schema_version: '1',
  name: LOCAL_EXECUTOR_NAME,
  kind: 'orchestrator',
  kind_api_version: '1.0.0',
  core_version: '>=0.1.0,<1.0.0',
  runtime: 'in_process',
  version: '0.1.0',
  description:
    'In-tree orchestrator: runs unit-of-work plugins in this process with a concurrency limit, idempotent enqueue, status, backfill, checkpoint resume and optional JSON state persistence.',
  in_process_only: true,
  execution_model: 'async',
  resources: { required: [], optional: ['checkpoint'] },
  config_schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      concurrency: {
        description: 'Units running at once.',
        type: 'integer',
        minimum: 1,
      },
      state_file: {
        description: 'JSON file the queue is persisted to and resumed from.',
        type: 'string',
        minLength: 1,
      },
      hook: {
        description: 'Hook called on unit-of-work plugins.',
        type: 'string',
        pattern: '^[a-z][a-z0-9_]*$',
      },
      unit_timeout_sec: {
        description: 'Time limit of one attempt; a unit over it is expired.',
        type: 'number',
        exclusiveMinimum: 0,
      },
    },
  },
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
