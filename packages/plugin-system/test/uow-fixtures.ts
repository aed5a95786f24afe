// Real unit-of-work plugin folders (dagstack.toml + plugin.mjs) for the
// orchestrator tests, the application kind they implement, and host-side
// probes the plugins reach through resources (never through module state).
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HookCall, KindSpec } from '@dagstack/plugin-api';

/** The application kind of the test plugins: one `run` hook. */
export const BATCH_KIND: KindSpec = {
  kind: 'batch',
  kind_api_version: '1.0.0',
  hooks: [
    {
      name: 'run',
      dispatch: 'singleton',
      mcp_exposed: false,
      input_schema: { type: 'object' },
      output_schema: { type: 'object' },
    },
    {
      name: 'process',
      dispatch: 'singleton',
      mcp_exposed: false,
      input_schema: { type: 'object' },
      output_schema: { type: 'object' },
    },
  ],
};

/**
 * `Summer`: folds `items` into `{ count, sum, digest }` one item at a time,
 * saving a checkpoint after each item under the key the orchestrator gives,
 * and resuming from it. Each save passes the version loaded or last saved
 * (`expectedVersion`), so a write by anyone else in between fails the run
 * with a `CheckpointConflict`. `config.fail_after = N` throws after N items on the
 * first attempt. Host probes (resources): `journal` (an array: one entry per
 * item processed) and `probe.checkpointed(n, unit)` (awaited after each save).
 *
 * `Gated`: `run` awaits `gate.enter(input, call)` (a host object).
 */
export const PLUGIN_SOURCE = `import { createHash } from 'node:crypto';

const step = (digest, item) => createHash('sha256').update(digest + ':' + JSON.stringify(item)).digest('hex');
const opt = (ctx, name) => (ctx.resources.has(name) ? ctx.resources.get(name) : undefined);

export class Summer {
  setup(ctx) {
    this.ctx = ctx;
    this.journal = opt(ctx, 'journal');
    this.probe = opt(ctx, 'probe');
  }
  async run(input, call) {
    const unit = call.metadata.unit_of_work;
    const store = this.ctx.checkpoint;
    const key = unit === undefined ? undefined : unit.checkpoint_key;
    const saved = key !== undefined && store !== undefined ? await store.load(key) : undefined;
    let state = saved === undefined ? { next: 0, count: 0, sum: 0, digest: '' } : saved.state;
    let version = saved === undefined ? null : saved.version;
    for (let i = state.next; i < input.items.length; i++) {
      const item = input.items[i];
      if (this.journal !== undefined) this.journal.push({ plugin: this.ctx.config.name, unit: unit && unit.unit_id, attempt: unit && unit.attempt, item: i });
      state = { next: i + 1, count: state.count + 1, sum: state.sum + item, digest: step(state.digest, item) };
      if (key !== undefined && store !== undefined) version = await store.save(key, state, { expectedVersion: version });
      if (this.ctx.progress !== undefined) this.ctx.progress.update({ percent: (i + 1) / input.items.length, message: 'item ' + i, payload: { current: i + 1, total: input.items.length } });
      if (this.probe !== undefined) await this.probe.checkpointed(i + 1, unit);
      if (this.ctx.config.fail_after === i + 1 && unit !== undefined && unit.attempt === 1) {
        throw new Error('crashed on purpose after ' + (i + 1) + ' items');
      }
    }
    return { count: state.count, sum: state.sum, digest: state.digest };
  }
  async process(input, call) {
    return { ...(await this.run(input, call)), via: 'process' };
  }
}

export class Gated {
  setup(ctx) {
    this.gate = ctx.resources.get('gate');
  }
  run(input, call) {
    return this.gate.enter(input, call);
  }
}
`;

/** What {@link writeUowPlugin} writes. */
export interface UowPluginSpec {
  name: string;
  /** `Summer` or `Gated`. @default "Summer" */
  className?: 'Summer' | 'Gated';
  /** `[plugin.unit_of_work]` lines. */
  unitOfWork?: string;
  teardownTimeoutSec?: number;
  /** Plugins of one singleton kind need distinct priorities (ADR-0002). @default 0 */
  priority?: number;
  /** TOML appended to the manifest (further tables). */
  extra?: string;
}

/** Write a plugin folder `<root>/<name>` with dagstack.toml and plugin.mjs. */
export function writeUowPlugin(root: string, spec: UowPluginSpec): string {
  const dir = join(root, spec.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'dagstack.toml'),
    `[plugin]
schema_version = "1"
name = "${spec.name}"
kind = "batch"
kind_api_version = "1.0.0"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:${spec.className ?? 'Summer'}"
execution_model = "async"
priority = ${spec.priority ?? 0}
teardown_timeout_sec = ${spec.teardownTimeoutSec ?? 2}

[plugin.resources]
optional = ["checkpoint", "progress", "journal", "probe", "gate"]

[plugin.unit_of_work]
declared = true
checkpointable = true
${spec.unitOfWork ?? 'idempotency_mode = "none"'}
${spec.extra ?? ''}
`,
  );
  writeFileSync(join(dir, 'plugin.mjs'), PLUGIN_SOURCE);
  return dir;
}

/** The result `Summer` gives for `items` in one pass (the same fold, written again here). */
export function singlePass(items: readonly number[]): {
  count: number;
  sum: number;
  digest: string;
} {
  let digest = '';
  for (const item of items) {
    digest = createHash('sha256')
      .update(`${digest}:${JSON.stringify(item)}`)
      .digest('hex');
  }
  return { count: items.length, sum: items.reduce((a, b) => a + b, 0), digest };
}

/**
 * A host object gated plugins wait in: counts how many runs are inside at
 * once, and lets the test release them one by one. A run rejects when its
 * call is aborted.
 */
export class Gate {
  active = 0;
  maxActive = 0;
  readonly entered: string[] = [];
  /** When true, runs return at once. */
  open = false;
  readonly #pending = new Map<string, () => void>();
  readonly #arrivals: { count: number; resolve: () => void }[] = [];

  async enter(input: { id: string }, call: HookCall): Promise<{ id: string }> {
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    this.entered.push(input.id);
    for (const waiter of this.#arrivals.filter((a) => this.entered.length >= a.count)) {
      this.#arrivals.splice(this.#arrivals.indexOf(waiter), 1);
      waiter.resolve();
    }
    try {
      if (!this.open) {
        const signal = call.signal;
        await new Promise<void>((resolve, reject) => {
          this.#pending.set(input.id, resolve);
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      }
      return { id: input.id };
    } finally {
      this.#pending.delete(input.id);
      this.active -= 1;
    }
  }

  /** Resolves once `count` runs have entered in all. */
  arrived(count: number): Promise<void> {
    if (this.entered.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#arrivals.push({ count, resolve }));
  }

  /** Let the run of `id` return. */
  release(id: string): void {
    const resolve = this.#pending.get(id);
    if (resolve === undefined) throw new Error(`no run of ${id} is waiting`);
    resolve();
  }

  /** Ids of the runs waiting inside now. */
  waiting(): string[] {
    return [...this.#pending.keys()];
  }
}

/** Let pending promise callbacks and immediates run (no wall-clock wait). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}
