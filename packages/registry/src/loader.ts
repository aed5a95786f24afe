/**
 * One plugin's own lifecycle steps, each within its time limit: load (the
 * required resources, its configuration, a handle from its runtime adapter
 * or the attached object, with runtime fallback), setup (with its context),
 * and teardown (in-flight calls drained, then cancelled). A plugin whose load,
 * setup or teardown failed or timed out is ended (`PluginHandle.terminate`).
 *
 * Owns: a record's `handle`, `config` and `runtime` (on fallback) while it
 * loads, and the failure of a step (logged, the plugin made `unavailable`,
 * `leaked` or `stopped`). May not touch: start order, dependency planning,
 * health polling or dispatch — the lifecycle decides what runs when and what
 * a successful setup means.
 */

import {
  HookCancelled,
  HookTimeout,
  type Logger,
  type PluginHandle,
  PluginLoadError,
  type PluginRegistryError,
  type PluginState,
  PluginUnavailable,
  type Runtime,
  type RuntimeAdapter,
  type RuntimeReportedState,
} from '@dagstack/plugin-api';
import { missingRequired } from '@dagstack/plugin-resources';
import type { Compatibility } from './compatibility.js';
import { type ConfigSource, resolvePluginConfig } from './config.js';
import type { PluginContexts } from './context.js';
import { asRegistryError } from './failure.js';
import { createInProcessHandle } from './in-process.js';
import type { PluginRecord } from './record.js';
import { withTimeout } from './timeout.js';

/** What the loader needs from its owner. */
export interface LoaderHost {
  readonly logger: Logger;
  readonly compatibility: Compatibility;
  readonly contexts: PluginContexts;
  /** Where per-plugin configuration comes from. */
  readonly config: ConfigSource | undefined;
  /** The resources the host provides now. */
  resources(): Readonly<Record<string, unknown>>;
  /** Change a record's state (events, error, dispatch refresh). */
  setState(record: PluginRecord, to: PluginState, error?: PluginRegistryError): void;
  /** A runtime's own report on a loaded plugin (a crashed child, a reconnect). */
  report(
    record: PluginRecord,
    state: RuntimeReportedState,
    reason: PluginRegistryError | undefined,
  ): void;
  /** The plugin's function catalogue changed (MCP `tools/list_changed`). */
  catalogueChanged(record: PluginRecord): void;
}

/** Loads, sets up and tears down single plugins. */
export class PluginLoader {
  readonly #host: LoaderHost;

  constructor(host: LoaderHost) {
    this.#host = host;
  }

  /** Load a plugin (`starting`); false, with the plugin `unavailable`, when it fails. */
  async load(record: PluginRecord): Promise<boolean> {
    const m = record.manifest;
    this.#host.setState(record, 'starting');
    const limitMs = startLimitMs(record);
    try {
      const missing = missingRequired(m.resources, this.#host.resources());
      if (missing.length > 0) {
        throw new PluginUnavailable({
          plugin: m.name,
          kind: m.kind,
          reason: `required resources not provided: ${missing.join(', ')}`,
          hint: 'pass them in the registry options (resources) or remove them from [plugin.resources].required',
        });
      }
      record.config = resolvePluginConfig(m, this.#host.config);
      if (record.attached !== undefined) {
        record.handle = createInProcessHandle(m, record.attached);
      } else {
        record.handle = await this.#loadWithFallback(record, limitMs);
      }
      return true;
    } catch (error) {
      return this.#fail(record, error, 'loading');
    }
  }

  /**
   * Load the plugin under its chosen runtime; when that fails and the
   * manifest lists further runtimes this host has (and whose adapters accept
   * the plugin), try them in order (R1): a Python plugin declaring
   * `["in_process", "mcp_stdio"]` cannot be imported by a TypeScript host and
   * runs over stdio instead. Every failure that is followed by another try is
   * logged; when all fail, the error names each runtime and why.
   */
  async #loadWithFallback(record: PluginRecord, limitMs: number): Promise<PluginHandle> {
    const m = record.manifest;
    const host = this.#host;
    const spec = host.compatibility.kind(m.kind);
    const order = host.compatibility.loadOrder(record);
    const failures: { runtime: Runtime; error: unknown }[] = [];
    for (const [i, runtime] of order.entries()) {
      const adapter = host.compatibility.adapter(runtime) as RuntimeAdapter;
      // Aborted when the load times out: the runtime ends what it started.
      const abort = new AbortController();
      let loading: Promise<PluginHandle> | undefined;
      try {
        const handle = await withTimeout(
          () => {
            loading = adapter.load(m, {
              ...(record.dir === undefined ? {} : { dir: record.dir }),
              ...(spec === undefined ? {} : { kindSpec: spec }),
              logger: host.contexts.logger(record),
              signal: abort.signal,
              onStateChange: (state, reason) => host.report(record, state, reason),
              onCatalogueChange: () => host.catalogueChanged(record),
            });
            return loading;
          },
          limitMs,
          () => {
            const timeout = new HookTimeout({
              plugin: m.name,
              kind: m.kind,
              path: m.source,
              hook: 'load',
              timeoutMs: limitMs,
            });
            abort.abort(timeout);
            return timeout;
          },
        );
        record.runtime = runtime;
        return handle;
      } catch (error) {
        // A load that finishes after its time is up is ended at once.
        if (error instanceof HookTimeout)
          loading?.then((late) => this.#terminate(record, late), noop);
        failures.push({ runtime, error });
        const next = order[i + 1];
        if (next !== undefined) {
          host.logger.warn(`plugin could not be loaded under ${runtime}; trying ${next}`, {
            plugin: m.name,
            kind: m.kind,
            runtime,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }
    const first = failures[0] as { runtime: Runtime; error: unknown };
    if (failures.length === 1) throw first.error;
    throw new PluginLoadError(
      `could not be loaded under any of its runtimes: ${failures
        .map(
          (f) => `${f.runtime} (${f.error instanceof Error ? f.error.message : String(f.error)})`,
        )
        .join('; ')}`,
      {
        plugin: m.name,
        kind: m.kind,
        path: m.source,
        cause: first.error,
        hint: `fix what stops the first runtime (${first.runtime}), or remove the runtimes this plugin cannot run under from its manifest`,
      },
    );
  }

  /**
   * Run a loaded plugin's `setup(ctx)` within its startup timeout. On
   * success `setUp(record)` runs before this resolves; on failure the plugin
   * is `unavailable` and this resolves false.
   */
  async setup(record: PluginRecord, setUp: (record: PluginRecord) => void): Promise<boolean> {
    const m = record.manifest;
    const limitMs = startLimitMs(record);
    try {
      const handle = record.handle as PluginHandle;
      await withTimeout(
        () => handle.setup(this.#host.contexts.create(record)),
        limitMs,
        () =>
          new HookTimeout({
            plugin: m.name,
            kind: m.kind,
            path: m.source,
            hook: 'setup',
            timeoutMs: limitMs,
          }),
      );
      setUp(record);
      return true;
    } catch (error) {
      // A plugin that failed or hung in setup does not keep running.
      await this.#terminate(record, record.handle);
      await this.#host.contexts.release(record);
      return this.#fail(record, error, 'setup');
    }
  }

  /**
   * Tear a `stopping` plugin down within its `teardown_timeout_sec`: the
   * first half waits for in-flight calls, which are then cancelled. Ends
   * `stopped`, `requires_restart` (teardown returned false), `leaked` (it
   * timed out) or `stopped` with the error; returns the error, if any. Its
   * config listeners are dropped in every case.
   */
  async teardown(record: PluginRecord): Promise<PluginRegistryError | undefined> {
    const m = record.manifest;
    const limitMs = m.teardown_timeout_sec * 1000;
    const deadline = Date.now() + limitMs;
    try {
      // Give in-flight operations the first half of the budget, then cancel them.
      if (record.inFlight.size > 0) {
        await withTimeout(
          () => record.inFlight.idle(),
          limitMs / 2,
          () => new HookTimeout({ plugin: m.name, hook: 'in-flight', timeoutMs: limitMs / 2 }),
        ).catch(() => {
          for (const op of record.inFlight.toArray()) {
            op.cancel(
              new HookCancelled({
                plugin: m.name,
                kind: m.kind,
                hook: op.hook,
                hint: `the plugin was torn down while this call was in flight (it did not finish within half of teardown_timeout_sec = ${m.teardown_timeout_sec} s); retry once the plugin is ready again`,
              }),
            );
          }
        });
      }
      const handle = record.handle as PluginHandle;
      const released = await withTimeout(
        () => handle.teardown(),
        Math.max(1, deadline - Date.now()),
        () =>
          new HookTimeout({ plugin: m.name, kind: m.kind, hook: 'teardown', timeoutMs: limitMs }),
      );
      this.#host.setState(record, released ? 'stopped' : 'requires_restart');
      return undefined;
    } catch (error) {
      const reason = asRegistryError(error, record, 'teardown');
      // Leaked or failed, its thread or process is ended before the state says so.
      await this.#terminate(record, record.handle);
      this.#host.setState(record, error instanceof HookTimeout ? 'leaked' : 'stopped', reason);
      this.#host.logger.error('plugin teardown failed', {
        plugin: m.name,
        kind: m.kind,
        error: reason.message,
      });
      return reason;
    } finally {
      record.configListeners.clear();
      // ADR-0003: the plugin's temp folder goes with its teardown. A plugin
      // that could not release what it holds (requires_restart) or never
      // finished (leaked) keeps it until the host's resources are closed.
      if (record.state !== 'requires_restart' && record.state !== 'leaked')
        await this.#host.contexts.release(record);
    }
  }

  /** End a handle's own thread or process, when it has one; a failure to do so is logged. */
  async #terminate(record: PluginRecord, handle: PluginHandle | undefined): Promise<void> {
    if (handle?.terminate === undefined) return;
    try {
      await handle.terminate();
    } catch (error) {
      this.#host.logger.error('ending the plugin failed', {
        plugin: record.manifest.name,
        kind: record.manifest.kind,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  #fail(record: PluginRecord, error: unknown, what: string): false {
    const reason = asRegistryError(error, record, what);
    this.#host.logger.error('plugin failed to start', {
      plugin: record.manifest.name,
      kind: record.manifest.kind,
      error: reason.message,
    });
    this.#host.setState(record, 'unavailable', reason);
    return false;
  }
}

const noop = (): void => {};

/** A plugin's startup limit: `mcp_stdio.startup_timeout_sec` when set, else `startup_timeout_sec`. */
function startLimitMs(record: PluginRecord): number {
  return (
    (record.manifest.mcp_stdio?.startup_timeout_sec ?? record.manifest.startup_timeout_sec) * 1000
  );
}
