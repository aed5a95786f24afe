/**
 * The orchestrator's settings: constructor options over the configuration
 * section `orchestrator.local_executor` over the defaults.
 *
 * Owns: the defaults and the `concurrency` check (`ConfigInvalid`). Pure: it
 * returns a new `ExecutorSettings` and may not touch the orchestrator or its
 * units; the orchestrator decides when settings are applied (constructor and
 * `setup`).
 */

import { resolve } from 'node:path';
import { ConfigInvalid } from '@dagstack/plugin-api';
import { DEFAULT_UNIT_HOOK, LOCAL_EXECUTOR_NAME } from './manifest.js';
import type { LocalExecutorOptions } from './types.js';
import { KIND } from './unit-record.js';

/** Units running at once when neither the options nor the configuration say. */
export const DEFAULT_CONCURRENCY = 4;

/** The settings in effect. */
export interface ExecutorSettings {
  /** Units running at once. */
  readonly concurrency: number;
  /** Hook called on unit-of-work plugins whose manifest names none. */
  readonly hook: string;
  /** Time limit of one attempt in milliseconds, if any. */
  readonly timeoutMs: number | undefined;
  /** Absolute path of the state file, if any. */
  readonly stateFile: string | undefined;
}

/**
 * The settings from `options` (which win) and a configuration section
 * (snake_case keys). Throws `ConfigInvalid` for a concurrency that is not an
 * integer >= 1.
 */
export function resolveSettings(
  options: LocalExecutorOptions,
  config: Readonly<Record<string, unknown>>,
): ExecutorSettings {
  const o = options;
  const concurrency = o.concurrency ?? (config.concurrency as number | undefined);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw new ConfigInvalid({
      plugin: LOCAL_EXECUTOR_NAME,
      kind: KIND,
      problems: [
        {
          pointer: '/concurrency',
          message: `must be an integer >= 1, got ${String(concurrency)}`,
          source: 'LocalExecutorOptions',
          rule: 'minimum',
        },
      ],
    });
  }
  const hook = o.hook ?? (config.hook as string | undefined) ?? DEFAULT_UNIT_HOOK;
  const timeoutSec = config.unit_timeout_sec as number | undefined;
  const timeoutMs = o.unitTimeoutMs ?? (timeoutSec === undefined ? undefined : timeoutSec * 1000);
  const file = o.stateFile ?? (config.state_file as string | undefined);
  return {
    concurrency: concurrency ?? DEFAULT_CONCURRENCY,
    hook,
    timeoutMs,
    stateFile: file === undefined ? undefined : resolve(file),
  };
}
