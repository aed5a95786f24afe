import {
  DependencyCycle,
  MissingDependency,
  type PluginManifest,
  RUNTIME_START_ORDER,
  type Runtime,
} from '@dagstack/plugin-api';

/** What the start planner needs to know of a plugin. */
export interface PlanNode {
  /** Unique key of the plugin (`<kind>/<name>`). */
  readonly key: string;
  /** The plugin's name, a tie-break after priority. */
  readonly name: string;
  /** The manifest `priority`; higher starts first within a group. */
  readonly priority: number;
  /**
   * `tryfirst` (-1) / `trylast` (1) of the manifest, 0 for neither: within a
   * group they come before priority (ADR-0002's escape hatches), so a
   * `tryfirst` plugin starts first and stops last. @default 0
   */
  readonly rank?: -1 | 0 | 1;
  /** The runtime the plugin runs in; decides its start phase. */
  readonly runtime: Runtime;
  /** Keys of the plugins it depends on (already resolved). */
  readonly deps: readonly string[];
}

const phase = (runtime: Runtime): number => RUNTIME_START_ORDER.indexOf(runtime);

/** `tryfirst` / `trylast` as a rank: -1 first, 1 last, 0 neither. */
export function rankOf(manifest: {
  readonly tryfirst: boolean;
  readonly trylast: boolean;
}): -1 | 0 | 1 {
  return manifest.tryfirst ? -1 : manifest.trylast ? 1 : 0;
}

/** `tryfirst` first and `trylast` last, then priority desc, then name: the order everywhere in the lifecycle. */
export function byPriorityThenName(a: PlanNode, b: PlanNode): number {
  return (
    (a.rank ?? 0) - (b.rank ?? 0) ||
    b.priority - a.priority ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}

/**
 * Find a dependency cycle, returned closed (`[a, b, a]`), or `undefined`.
 * Deterministic: nodes are visited in key order.
 */
export function findCycle(nodes: readonly PlanNode[]): string[] | undefined {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const color = new Map<string, 'grey' | 'black'>();
  const stack: string[] = [];
  const visit = (key: string): string[] | undefined => {
    color.set(key, 'grey');
    stack.push(key);
    for (const dep of [...(byKey.get(key)?.deps ?? [])].sort()) {
      if (!byKey.has(dep)) continue;
      const c = color.get(dep);
      if (c === 'grey') return [...stack.slice(stack.indexOf(dep)), dep];
      if (c === undefined) {
        const found = visit(dep);
        if (found !== undefined) return found;
      }
    }
    stack.pop();
    color.set(key, 'black');
    return undefined;
  };
  for (const key of [...byKey.keys()].sort()) {
    if (color.get(key) === undefined) {
      const found = visit(key);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Split plugins into start groups (ADR-0002 §Startup order): a group holds
 * plugins whose dependencies are all in earlier groups, of the earliest
 * runtime phase among those that are ready (in_process, then mcp_stdio, then
 * mcp_http), sorted by priority desc then name. Plugins in a group start in
 * parallel; a dependency on a later-phase plugin defers the dependent.
 *
 * Throws {@link DependencyCycle} naming the plugins of a cycle.
 */
export function planStartGroups(nodes: readonly PlanNode[]): PlanNode[][] {
  const cycle = findCycle(nodes);
  if (cycle !== undefined) {
    const names = new Map(nodes.map((n) => [n.key, n.name]));
    throw new DependencyCycle({ cycle: cycle.map((k) => names.get(k) ?? k) });
  }
  const known = new Set(nodes.map((n) => n.key));
  const done = new Set<string>();
  let pending = [...nodes];
  const groups: PlanNode[][] = [];
  while (pending.length > 0) {
    const ready = pending.filter((n) => n.deps.every((d) => done.has(d) || !known.has(d)));
    const first = Math.min(...ready.map((n) => phase(n.runtime)));
    const group = ready.filter((n) => phase(n.runtime) === first).sort(byPriorityThenName);
    for (const n of group) done.add(n.key);
    const inGroup = new Set(group.map((n) => n.key));
    pending = pending.filter((n) => !inGroup.has(n.key));
    groups.push(group);
  }
  return groups;
}

/**
 * The order in which the registry starts `manifests` (ADR-0002 §Startup
 * order): dependencies first, in-process before `mcp_stdio` before
 * `mcp_http` where dependencies allow, then priority (highest first), then
 * name. The same planner as `setupAll()`, for hosts that want the order
 * without starting anything; teardown runs it in reverse.
 *
 * A `depends_on` entry resolves by name (and kind, when the manifest gives
 * one) among `manifests`. Throws {@link MissingDependency} for an entry that
 * names no manifest in the list (or a name several kinds share without its
 * kind) and {@link DependencyCycle} naming the plugins of a cycle.
 *
 * ```ts
 * for (const m of topoSort(registry.list())) logger.info('will start', { plugin: m.name });
 * ```
 * @since 0.2.0
 */
export function topoSort<TManifest extends PluginManifest>(
  manifests: readonly TManifest[],
): TManifest[] {
  const keyOf = (m: PluginManifest): string => `${m.kind}/${m.name}`;
  const byKey = new Map<string, TManifest>();
  const byName = new Map<string, TManifest[]>();
  for (const m of manifests) {
    byKey.set(keyOf(m), m);
    byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
  }
  const nodes: PlanNode[] = [...byKey.values()].map((m) => ({
    key: keyOf(m),
    name: m.name,
    priority: m.priority,
    rank: rankOf(m),
    runtime: m.runtime[0] as Runtime,
    deps: m.depends_on.map((dep) => {
      const matches =
        dep.kind === undefined
          ? (byName.get(dep.name) ?? [])
          : [byKey.get(`${dep.kind}/${dep.name}`)].filter((x) => x !== undefined);
      if (matches.length === 1) return keyOf(matches[0] as TManifest);
      throw new MissingDependency({
        plugin: m.name,
        kind: m.kind,
        dependency: dep.name,
        reason:
          matches.length === 0
            ? 'is not among the manifests given'
            : `matches ${matches.length} plugins (${matches.map((x) => x.kind).join(', ')}): give its kind in depends_on`,
      });
    }),
  }));
  return planStartGroups(nodes)
    .flat()
    .map((n) => byKey.get(n.key) as TManifest);
}
