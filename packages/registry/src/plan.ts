import { DependencyCycle, RUNTIME_START_ORDER, type Runtime } from '@dagstack/plugin-api';

/** What the start planner needs to know of a plugin. */
export interface PlanNode {
  /** Unique key of the plugin (`<kind>/<name>`). */
  readonly key: string;
  /** The plugin's name, a tie-break after priority. */
  readonly name: string;
  /** The manifest `priority`; higher starts first within a group. */
  readonly priority: number;
  /** The runtime the plugin runs in; decides its start phase. */
  readonly runtime: Runtime;
  /** Keys of the plugins it depends on (already resolved). */
  readonly deps: readonly string[];
}

const phase = (runtime: Runtime): number => RUNTIME_START_ORDER.indexOf(runtime);

/** Priority desc, then name: the tie-break everywhere in the lifecycle. */
export function byPriorityThenName(a: PlanNode, b: PlanNode): number {
  return (
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
