/**
 * The lifecycle (ADR-0001, ADR-0002 §Lifecycle ordering): which plugins start,
 * in which groups and order, what makes them `ready`, the exact reverse on
 * teardown, reload of one plugin, and what a runtime's own reports change.
 *
 * Owns: the start order, the batching of dispatch refreshes during a start or
 * teardown, the records set up but not yet announced `ready`, and the
 * resources and metadata plugins are started with. May not touch: record
 * maps (it asks the store), a plugin's handle or its single steps (the
 * loader), hookspecs and adapters (compatibility), or dispatch internals
 * (it asks the binding to refresh and the engine to verify).
 */

import {
  AmbiguousPlugin,
  type CallMetadata,
  closestName,
  envKindSuffix,
  type Logger,
  MissingDependency,
  type PluginFailure,
  type PluginRegistryError,
  type PluginState,
  PluginUnavailable,
  type Runtime,
  type RuntimeReportedState,
  TeardownErrors,
} from '@dagstack/plugin-api';
import type { DispatchEngine } from '@dagstack/plugin-dispatch';
import type { Compatibility } from './compatibility.js';
import { contentHash } from './content-hash.js';
import type { DispatchBinding } from './dispatch-binding.js';
import { asRegistryError } from './failure.js';
import { deepFreeze } from './freeze.js';
import type { HealthMonitor } from './health.js';
import type { PluginLoader } from './loader.js';
import {
  type HostResources,
  resourceRecord,
  type SetupOptions,
  type SetupReport,
} from './options.js';
import { type PlanNode, planStartGroups, rankOf } from './plan.js';
import type { PluginRecord } from './record.js';
import type { RecordStore } from './store.js';

/** What the lifecycle needs from its owner. */
export interface LifecycleHost {
  readonly store: RecordStore;
  readonly compatibility: Compatibility;
  readonly loader: PluginLoader;
  readonly health: HealthMonitor<PluginRecord>;
  readonly dispatch: DispatchBinding;
  readonly engine: Pick<DispatchEngine, 'verify' | 'settled'>;
  /** Where start-time warnings go. */
  readonly logger: Logger;
  /** Environment for `DAGSTACK_ACTIVE_<KIND>`. */
  env(): Readonly<Record<string, string | undefined>>;
  /** Change a record's state (events, error, dispatch refresh unless batching). */
  setState(record: PluginRecord, to: PluginState, error?: PluginRegistryError): void;
}

const started = (state: PluginState): boolean => state === 'ready' || state === 'degraded';

/** Why a `requires_restart` plugin cannot be reloaded (ADR-0001 §Reload). */
function mustRestart(record: PluginRecord): PluginUnavailable {
  return new PluginUnavailable({
    plugin: record.manifest.name,
    kind: record.manifest.kind,
    state: 'requires_restart',
    reason:
      'its teardown returned false (it could not release what it holds), so it is not set up again in this process; restart the process',
  });
}

/** Starts, stops and reloads plugins in dependency order. */
export class Lifecycle {
  readonly #host: LifecycleHost;
  #startOrder: string[][] = [];
  /** The registry's own resources (a record or a live container). */
  readonly #base: HostResources | undefined;
  /** What the starts so far added, merged over the base. */
  #extra: Readonly<Record<string, unknown>> = {};
  /** Per-plugin configuration of the last start that gave `configs`. */
  #configs: Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined;
  #metadata: CallMetadata = Object.freeze({});
  /** While true, state changes do not re-publish to dispatch (setupAll/teardownAll do it per group). */
  #batching = false;
  /** Set up during a start group, published to dispatch before they are `ready`. */
  readonly #pendingReady = new Set<PluginRecord>();

  constructor(host: LifecycleHost, resources: HostResources | undefined) {
    this.#host = host;
    this.#base = resources;
  }

  /** The resources plugins are started with (the registry's, with the starts' merged over). */
  get resources(): Readonly<Record<string, unknown>> {
    return { ...resourceRecord(this.#base), ...this.#extra };
  }

  /** The `configs` of the last start that gave them, by plugin name or `kind.name`. */
  get configs(): Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined {
    return this.#configs;
  }

  /** The metadata of the last start, given to every `setup(ctx)`. */
  get metadata(): CallMetadata {
    return this.#metadata;
  }

  /** Whether dispatch refreshes are batched now. */
  get batching(): boolean {
    return this.#batching;
  }

  /** Whether a record is set up and published, but not yet announced `ready`. */
  pending(record: PluginRecord): boolean {
    return this.#pendingReady.has(record);
  }

  /** See `PluginRegistry.setupAll`. */
  async startAll(options: SetupOptions): Promise<SetupReport> {
    const { store, compatibility } = this.#host;
    this.#metadata = deepFreeze(structuredClone(options.metadata ?? {})) as CallMetadata;
    if (options.resources !== undefined)
      this.#extra = { ...this.#extra, ...resourceRecord(options.resources) };
    if (options.configs !== undefined) this.#configs = this.#checkConfigs(options.configs);
    const candidates = [...store.values()].filter(
      (r) =>
        r.state === 'registered' ||
        r.state === 'stopped' ||
        (r.state === 'unavailable' && compatibility.check(r)),
    );
    for (const record of candidates) {
      if (record.state === 'stopped') compatibility.check(record);
    }
    const startable = candidates.filter((r) => r.state === 'registered' || r.state === 'stopped');
    const failedKeys = this.#failMissingDependencies(startable);
    this.#onePerRuntime(startable, failedKeys);
    const toStart = startable.filter((r) => !failedKeys.has(r.key));

    // Start-time checks that stop the start (ADR-0002 §Conflict resolution).
    const nodes: PlanNode[] = toStart.map((r) => ({
      key: r.key,
      name: r.manifest.name,
      priority: r.manifest.priority,
      rank: rankOf(r.manifest),
      runtime: r.runtime as Runtime,
      deps: this.#resolveDeps(r),
    }));
    const groups = planStartGroups(nodes);
    this.#host.dispatch.refresh(toStart);
    const ambiguities = this.#host.engine.verify();
    if (ambiguities.length > 0) throw ambiguities[0] as PluginRegistryError;

    // Content hashes for status() (ADR-0001 §Supply-chain security), read up front.
    // Sixteen at a time, so a thousand plugins do not open a thousand files at once.
    const toHash = toStart.filter((r) => r.dir !== undefined && r.contentHash === undefined);
    for (let i = 0; i < toHash.length; i += 16) {
      await Promise.all(
        toHash.slice(i, i + 16).map(async (r) => {
          r.contentHash = await contentHash(r.dir as string).catch(() => undefined);
        }),
      );
    }
    const names: string[] = [];
    const order: string[][] = [];
    this.#batching = true;
    try {
      for (const group of groups) {
        // Publishes each group to dispatch before the next one starts, so
        // later groups may call these plugins from their setup.
        await this.#startGroup(group, order, names);
      }
    } finally {
      this.#batching = false;
      this.#startOrder.push(...order);
      this.#host.dispatch.refresh();
    }
    return {
      started: names,
      unavailable: [...store.values()]
        .filter((r) => r.state === 'unavailable')
        .map((r) => ({ plugin: r.manifest.name, error: r.error as PluginRegistryError })),
    };
  }

  /**
   * Resolve dependencies of the startable records: one whose dependency is
   * missing, or neither starting nor started, becomes `unavailable`, and so,
   * in turn, do its dependents. Returns the keys of those that failed.
   */
  #failMissingDependencies(startable: readonly PluginRecord[]): Set<string> {
    const startableSet = new Set(startable);
    const failedKeys = new Set<string>();
    let changed = true;
    while (changed) {
      changed = false;
      for (const record of startable) {
        if (failedKeys.has(record.key)) continue;
        for (const dep of record.manifest.depends_on) {
          const resolved = this.#host.store.dependency(dep.name, dep.kind);
          const ok =
            resolved !== undefined &&
            !failedKeys.has(resolved.key) &&
            (startableSet.has(resolved) || started(resolved.state));
          if (!ok) {
            const reason =
              resolved === undefined
                ? 'is not registered'
                : `is ${failedKeys.has(resolved.key) ? 'unavailable' : resolved.state}${resolved.error ? ` (${resolved.error.message})` : ''}`;
            this.#dependencyFailed(record, dep.name, reason);
            failedKeys.add(record.key);
            changed = true;
            break;
          }
        }
      }
    }
    return failedKeys;
  }

  /**
   * Kinds whose hookspec says `singleton_per_runtime` (the orchestrator): at
   * most one of their plugins runs. `DAGSTACK_ACTIVE_<KIND>` names it and the
   * others become `unavailable` with the reason; without it, several
   * candidates stop the start with {@link AmbiguousPlugin}.
   */
  #onePerRuntime(startable: readonly PluginRecord[], failedKeys: Set<string>): void {
    for (const [kind, spec] of this.#host.compatibility.kinds()) {
      if (spec.constraints?.singleton_per_runtime !== true) continue;
      const running = [...this.#host.store.values()].filter(
        (r) => r.manifest.kind === kind && started(r.state),
      );
      const starting = startable.filter((r) => r.manifest.kind === kind && !failedKeys.has(r.key));
      const all = [...running, ...starting];
      if (all.length <= 1) continue;
      const names = all.map((r) => r.manifest.name).sort();
      // One already runs: it stays the one. Otherwise the environment must choose.
      let chosen = running[0]?.manifest.name;
      if (chosen === undefined) {
        chosen = this.#host.env()[`DAGSTACK_ACTIVE_${envKindSuffix(kind)}`];
        if (chosen === undefined || !names.includes(chosen)) {
          throw new AmbiguousPlugin({ kind, candidates: names, reason: 'one_per_runtime' });
        }
      }
      for (const record of starting) {
        if (record.manifest.name === chosen) continue;
        this.#host.setState(
          record,
          'unavailable',
          new AmbiguousPlugin({
            kind,
            plugin: record.manifest.name,
            candidates: names,
            reason: 'one_per_runtime',
          }),
        );
        failedKeys.add(record.key);
      }
    }
  }

  /** Load, then set up, one start group; records the completion order. */
  async #startGroup(group: readonly PlanNode[], order: string[][], names: string[]): Promise<void> {
    const { store, loader } = this.#host;
    const records = group.map((n) => store.get(n.key) as PluginRecord);
    const completed: string[] = [];
    const runnable: PluginRecord[] = [];
    for (const record of records) {
      if (!this.#depsReady(record)) {
        const failedDep = record.manifest.depends_on.find((d) => {
          const r = store.dependency(d.name, d.kind);
          return r === undefined || !started(r.state);
        });
        this.#dependencyFailed(record, failedDep?.name ?? '?', 'failed to start');
        continue;
      }
      runnable.push(record);
    }
    const loaded = await Promise.all(runnable.map((record) => loader.load(record)));
    const deferReady = (record: PluginRecord): void => {
      if (record.state === 'starting') this.#pendingReady.add(record);
      else this.#becomeStarted(record);
    };
    await Promise.all(
      runnable.map(async (record, i) => {
        if (loaded[i] === true && (await loader.setup(record, deferReady)))
          completed.push(record.key);
      }),
    );
    // Publish the group to dispatch first, then announce `ready`: a listener
    // (or a poller of status()) that calls a plugin the moment it is ready
    // must find it callable.
    if (this.#pendingReady.size > 0) {
      this.#host.dispatch.refresh();
      for (const record of [...this.#pendingReady]) {
        this.#pendingReady.delete(record);
        this.#becomeStarted(record);
      }
    }
    if (completed.length > 0) order.push(completed);
    names.push(...completed.map((k) => (store.get(k) as PluginRecord).manifest.name));
  }

  /** `configs` as given (copied), with a warning for each key that names no registered plugin. */
  #checkConfigs(
    configs: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
  ): Readonly<Record<string, Readonly<Record<string, unknown>>>> {
    const names = new Set<string>();
    for (const record of this.#host.store.values()) {
      names.add(record.manifest.name);
      names.add(`${record.manifest.kind}.${record.manifest.name}`);
    }
    for (const key of Object.keys(configs)) {
      if (names.has(key)) continue;
      const near = closestName(key, names, 3);
      this.#host.logger.warn(`setupAll configs: "${key}" names no registered plugin`, {
        config_key: key,
        hint:
          near === undefined
            ? 'key configs by plugin name (or "<kind>.<name>")'
            : `did you mean "${near}"?`,
      });
    }
    return { ...configs };
  }

  /** Make a record `unavailable` for a dependency that is missing or not started; returns the error. */
  #dependencyFailed(record: PluginRecord, dependency: string, reason: string): MissingDependency {
    const error = new MissingDependency({
      plugin: record.manifest.name,
      kind: record.manifest.kind,
      dependency,
      reason,
    });
    this.#host.setState(record, 'unavailable', error);
    return error;
  }

  #resolveDeps(record: PluginRecord): string[] {
    return record.manifest.depends_on
      .map((d) => this.#host.store.dependency(d.name, d.kind)?.key)
      .filter((k): k is string => k !== undefined);
  }

  #depsReady(record: PluginRecord): boolean {
    return record.manifest.depends_on.every((d) => {
      const r = this.#host.store.dependency(d.name, d.kind);
      return r !== undefined && started(r.state);
    });
  }

  /**
   * A plugin whose setup succeeded: `ready`, unless its runtime reported
   * otherwise while it was starting (a service not reachable yet).
   */
  #becomeStarted(record: PluginRecord): void {
    const reported = record.startReport;
    record.startReport = undefined;
    if (reported === undefined || reported.state === 'ready') {
      this.#host.setState(record, 'ready');
      this.#host.health.start(record);
    } else if (reported.state === 'degraded') {
      this.#host.setState(record, 'degraded', reported.reason);
      this.#host.health.start(record);
    } else {
      record.runtimeDown = true;
      this.#host.setState(record, 'unavailable', reported.reason);
    }
  }

  /** A runtime's own report on a plugin (a crashed child, a restart). */
  report(
    record: PluginRecord,
    state: RuntimeReportedState,
    reason: PluginRegistryError | undefined,
  ): void {
    // During the start the report is kept and applied when setup finishes.
    if (record.state === 'starting') {
      record.startReport = { state, reason };
      return;
    }
    // Reports apply to a started plugin, and to one the runtime itself made
    // unavailable (a service that went away may come back: ADR-0001 §Cold start).
    const downByRuntime = record.state === 'unavailable' && record.runtimeDown === true;
    if (!started(record.state) && !downByRuntime) return;
    if (state === record.state) return;
    if (state === 'unavailable') {
      this.#host.health.stop(record);
      record.runtimeDown = true;
    } else if (downByRuntime) {
      record.runtimeDown = false;
      this.#host.health.start(record);
    }
    this.#host.setState(record, state, reason);
    // The handle may serve other hooks after a reconnect: dispatch re-reads them.
    if (!this.#batching) this.#host.dispatch.refresh();
  }

  /** See `PluginRegistry.teardownAll`. */
  async stopAll(): Promise<void> {
    const { store, dispatch } = this.#host;
    await this.#host.engine.settled();
    const errors: PluginFailure[] = [];
    const order = this.#startOrder;
    this.#startOrder = [];
    this.#batching = true;
    try {
      for (const group of [...order].reverse()) {
        const records = group
          .map((key) => store.get(key))
          .filter((r): r is PluginRecord => r !== undefined && started(r.state));
        // No new calls reach a group once its teardown begins.
        for (const record of records) this.#host.setState(record, 'stopping');
        dispatch.refresh();
        for (const record of [...records].reverse()) {
          const error = await this.#stop(record);
          if (error !== undefined) errors.push({ plugin: record.manifest.name, error });
        }
      }
    } finally {
      this.#batching = false;
      dispatch.refresh();
    }
    // Adapters release what is left: processes of plugins that became
    // unavailable or leaked, connections. Nothing the registry started survives.
    for (const adapter of this.#host.compatibility.adapters()) {
      try {
        await adapter.close?.();
      } catch (error) {
        errors.push({
          plugin: `runtime ${adapter.runtime}`,
          error: asRegistryError(error, undefined, `closing the ${adapter.runtime} runtime`),
        });
      }
    }
    if (errors.length > 0) throw new TeardownErrors({ errors });
  }

  async #stop(record: PluginRecord): Promise<PluginRegistryError | undefined> {
    this.#host.health.stop(record);
    if (record.state !== 'stopping') {
      this.#host.setState(record, 'stopping');
      if (this.#batching) this.#host.dispatch.refresh();
    }
    return this.#host.loader.teardown(record);
  }

  /** See `PluginRegistry.reload`. */
  async reload(record: PluginRecord): Promise<void> {
    const name = record.manifest.name;
    if (record.state === 'leaked') {
      throw new PluginUnavailable({
        plugin: name,
        kind: record.manifest.kind,
        state: 'leaked',
        reason: 'its last teardown never finished; restart the process',
      });
    }
    if (record.state === 'requires_restart') throw mustRestart(record);
    if (started(record.state)) {
      const error = await this.#stop(record);
      if (error !== undefined) throw error;
      // ADR-0001: a teardown that returned false cannot be followed by a setup
      // in this process (the plugin said it could not release its resources).
      if ((record.state as PluginState) === 'requires_restart') throw mustRestart(record);
    }
    this.#startOrder = this.#startOrder
      .map((g) => g.filter((k) => k !== record.key))
      .filter((g) => g.length > 0);
    record.handle = undefined;
    if (!this.#host.compatibility.check(record)) throw record.error as PluginRegistryError;
    if (!this.#depsReady(record)) {
      throw this.#dependencyFailed(
        record,
        record.manifest.depends_on.map((d) => d.name).join(', '),
        'is not ready',
      );
    }
    const { loader } = this.#host;
    const ok =
      (await loader.load(record)) && (await loader.setup(record, (r) => this.#becomeStarted(r)));
    if (ok) this.#startOrder.push([record.key]);
    this.#host.dispatch.refresh();
    if (!ok) throw record.error as PluginRegistryError;
  }
}
