/**
 * The engine's settings as its modules read them: the options of a
 * `DispatchEngine`, defaulted and checked once, when the engine is made,
 * and never changed afterwards. Also the two things every module does with
 * them: checking a timeout and reporting a failed `broadcast_collect` plugin.
 *
 * Owns: the settings object (one per engine, a fixed shape). May not touch:
 * plans, kinds, call state or anything that runs a plugin. A leaf: it
 * imports nothing of the package but types.
 */
import type { Logger } from '@dagstack/plugin-api';
import { NOOP_LOGGER, PluginRegistryError } from '@dagstack/plugin-api';
import type { DispatchCandidate, DispatchEngineOptions } from './types.js';

/** A `DispatchEngine`'s options with their defaults applied; read-only. */
export interface EngineSettings {
  readonly logger: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly routingPolicy: DispatchEngineOptions['routingPolicy'];
  readonly governanceFilter: DispatchEngineOptions['governanceFilter'];
  readonly selectCapability: DispatchEngineOptions['selectCapability'];
  readonly validate: boolean;
  readonly checkJson: boolean;
  readonly onPluginFailure: DispatchEngineOptions['onPluginFailure'];
  readonly defaultTimeoutMs: number | undefined;
}

/**
 * A timeout option as the engine uses it: `undefined` for none (also for
 * `Infinity`); throws `PluginRegistryError` for anything but a positive
 * number.
 */
export function checkTimeout(value: number | undefined, what: string): number | undefined {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return undefined;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new PluginRegistryError(
      `${what} must be a positive number of milliseconds, got ${value}`,
      {
        hint: 'omit it (or pass Infinity) for no limit',
      },
    );
  }
  return value;
}

/** The settings of an engine made with `options` (throws for a bad `defaultTimeoutMs`). */
export function engineSettings(options: DispatchEngineOptions): EngineSettings {
  return {
    logger: options.logger ?? NOOP_LOGGER,
    env: options.env ?? process.env,
    routingPolicy: options.routingPolicy,
    governanceFilter: options.governanceFilter,
    selectCapability: options.selectCapability,
    validate: options.validate ?? false,
    checkJson: options.checkJsonBoundaries ?? false,
    onPluginFailure: options.onPluginFailure,
    defaultTimeoutMs: checkTimeout(options.defaultTimeoutMs, 'defaultTimeoutMs'),
  };
}

/**
 * Tell the engine's `onPluginFailure` that `candidate` failed in a
 * `broadcast_collect`; what the callback throws is logged, not passed on.
 */
export function reportFailure(
  settings: EngineSettings,
  candidate: DispatchCandidate,
  error: unknown,
  hook: string,
): void {
  const report = settings.onPluginFailure;
  if (report === undefined) return;
  try {
    report(candidate, error, hook);
  } catch (callbackError) {
    settings.logger.error('onPluginFailure callback threw', {
      plugin: candidate.name,
      hook,
      error: callbackError,
    });
  }
}

/**
 * Log a plugin whose error a `singleton` call skipped (firstresult: an error
 * counts as no result and the next plugin is tried); it is not thrown, so
 * the log line is where the operator sees it.
 */
export function reportSkipped(
  settings: EngineSettings,
  candidate: DispatchCandidate,
  error: unknown,
  hook: string,
): void {
  settings.logger.warn('singleton: a plugin failed, trying the next one (firstresult)', {
    plugin: candidate.name,
    kind: candidate.kind,
    hook,
    error: error instanceof Error ? error.message : String(error),
  });
}
