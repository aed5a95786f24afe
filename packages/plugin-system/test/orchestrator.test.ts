// LocalExecutorOrchestrator with a real registry and real plugin folders on
// disk: enqueue/status/backfill, the concurrency limit, both idempotency
// modes, the state file and restart, and resume from a checkpoint after a
// crash midway.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FileCheckpointStore,
  isHookValidationError,
  isPluginError,
  isUnitNotFound,
  LOCAL_EXECUTOR_NAME,
  type LocalExecutorOptions,
  LocalExecutorOrchestrator,
  localExecutorManifest,
  OrchestratorV1,
  PluginRegistry,
  UNIT_METADATA_KEY,
  unitOfWorkOf,
  validateManifest,
} from '../src/index.js';
import { tempDir } from './temp.js';
import {
  BATCH_KIND,
  Gate,
  settle,
  singlePass,
  type UowPluginSpec,
  writeUowPlugin,
} from './uow-fixtures.js';

type Enqueued = OrchestratorV1.EnqueueOutput;
type Status = OrchestratorV1.StatusOutput;

interface Host {
  registry: PluginRegistry;
  orchestrator: LocalExecutorOrchestrator;
  journal: { plugin: string; unit: string; attempt: number; item: number }[];
  gate: Gate;
  checkpoints: FileCheckpointStore;
  enqueue(input: OrchestratorV1.EnqueueInput): Promise<Enqueued>;
  status(unitId: string): Promise<Status>;
  backfill(input: OrchestratorV1.BackfillInput): Promise<OrchestratorV1.BackfillOutput>;
}

const hosts: Host[] = [];

afterEach(async () => {
  for (const host of hosts.splice(0)) {
    host.gate.open = true;
    for (const id of host.gate.waiting()) host.gate.release(id);
    await host.registry.teardownAll().catch(() => undefined);
    host.registry.close();
  }
});

interface HostOptions extends Partial<Omit<LocalExecutorOptions, 'registry'>> {
  root: string;
  plugins: UowPluginSpec[];
  config?: Record<string, Record<string, unknown>>;
  gate?: Gate;
  /** The `probe` resource: `checkpointed(n, unit)` is awaited after each save. */
  probe?: { checkpointed(n: number, unit: { unit_id: string; attempt: number }): Promise<void> };
}

/** A registry with the orchestrator kind, the batch kind, the plugin folders under `root/plugins`, and the orchestrator. */
async function startHost(options: HostOptions): Promise<Host> {
  const { root, plugins, config = {}, gate = new Gate(), probe, ...executor } = options;
  const pluginsDir = join(root, 'plugins');
  mkdirSync(pluginsDir, { recursive: true });
  // Distinct priorities: the batch kind is a singleton kind (ADR-0002), even
  // though the orchestrator always names its target.
  plugins.forEach((spec, i) => {
    writeUowPlugin(pluginsDir, { priority: 10 + i, ...spec });
  });
  const journal: Host['journal'] = [];
  const checkpoints = new FileCheckpointStore(join(root, 'checkpoints'));
  const batchConfig: Record<string, Record<string, unknown>> = {};
  for (const spec of plugins) batchConfig[spec.name] = { name: spec.name, ...config[spec.name] };
  const registry = new PluginRegistry({
    resources: {
      checkpoint: checkpoints,
      journal,
      gate,
      ...(probe === undefined ? {} : { probe }),
    },
    config: { batch: batchConfig },
    validateCalls: true,
    healthChecks: false,
  });
  registry.registerKind(OrchestratorV1.KIND_SPEC);
  registry.registerKind(BATCH_KIND);
  const found = await registry.discover(pluginsDir);
  expect(found.failures).toEqual([]);
  const orchestrator = new LocalExecutorOrchestrator({ registry, ...executor });
  registry.register(orchestrator);
  const report = await registry.setupAll({ resources: { progress: orchestrator.progress } });
  expect(report.unavailable).toEqual([]);
  const host: Host = {
    registry,
    orchestrator,
    journal,
    gate,
    checkpoints,
    enqueue: (input) => registry.call('orchestrator', 'enqueue', input) as Promise<Enqueued>,
    status: (unitId) =>
      registry.call('orchestrator', 'status', { unit_id: unitId }) as Promise<Status>,
    backfill: (input) =>
      registry.call('orchestrator', 'backfill', input) as Promise<OrchestratorV1.BackfillOutput>,
  };
  hosts.push(host);
  return host;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const items = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('the local_executor manifest', () => {
  it('is a valid orchestrator manifest, in-process only, and the registry loads the plugin from it', async () => {
    const result = validateManifest(localExecutorManifest);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.manifest).toMatchObject({
      name: LOCAL_EXECUTOR_NAME,
      kind: 'orchestrator',
      runtime: ['in_process'],
      in_process_only: true,
    });
    const host = await startHost({ root: tempDir(), plugins: [] });
    expect(host.registry.status().find((s) => s.kind === 'orchestrator')).toMatchObject({
      name: 'local_executor',
      state: 'ready',
    });
  });
});

describe('LocalExecutorOrchestrator: enqueue and status', () => {
  it('runs the plugin through the registry and reports state, times, progress and output', async () => {
    let clock = Date.parse('2026-03-01T10:00:00.000Z');
    const host = await startHost({
      root: tempDir(),
      plugins: [{ name: 'summer' }],
      now: () => (clock += 1000),
    });
    const { unit_id, deduplicated } = await host.enqueue({
      plugin_name: 'summer',
      args: { items: items(4) },
    });
    expect(deduplicated).toBe(false);
    const done = await host.orchestrator.wait(unit_id);
    expect(done.state).toBe('succeeded');
    const status = await host.status(unit_id);
    expect(status).toEqual({
      unit_id,
      state: 'succeeded',
      started_at: '2026-03-01T10:00:02.000Z',
      finished_at: '2026-03-01T10:00:03.000Z',
      progress: {
        attempt: 1,
        checkpoint_key: `units/${unit_id}`,
        resumed_from_checkpoint: false,
        percent: 1,
        message: 'item 3',
        payload: { current: 4, total: 4 },
      },
    });
    expect(host.orchestrator.unit(unit_id).output).toEqual(singlePass(items(4)));
    // A finished unit's checkpoint is removed.
    expect(await host.checkpoints.list()).toEqual([]);
    expect(host.journal.map((j) => j.item)).toEqual([0, 1, 2, 3]);
  });

  it("calls the hook the plugin's manifest names, and tells the plugin its unit", async () => {
    const host = await startHost({
      root: tempDir(),
      plugins: [{ name: 'processor', extra: '[plugin.metadata]\nunit_of_work_hook = "process"' }],
    });
    const { unit_id } = await host.enqueue({
      plugin_name: 'processor',
      args: { items: [1] },
      partition_key: 'p1',
    });
    expect((await host.orchestrator.wait(unit_id)).state).toBe('succeeded');
    expect(host.orchestrator.unit(unit_id)).toMatchObject({
      hook: 'process',
      plugin_kind: 'batch',
      partition_key: 'p1',
      output: { ...singlePass([1]), via: 'process' },
    });
    expect(host.journal).toEqual([{ plugin: 'processor', unit: unit_id, attempt: 1, item: 0 }]);
    expect(
      unitOfWorkOf({
        metadata: { [UNIT_METADATA_KEY]: { unit_id, attempt: 1, checkpoint_key: 'units/x' } },
      }),
    ).toEqual({ unit_id, attempt: 1, checkpoint_key: 'units/x' });
    expect(unitOfWorkOf({ metadata: {} })).toBeUndefined();
  });

  it('refuses a malformed enqueue (typed, naming the field), an unknown plugin and an unknown unit', async () => {
    const host = await startHost({ root: tempDir(), plugins: [{ name: 'summer' }] });
    const malformed = await rejection(host.enqueue({ plugin_name: 'summer' } as never));
    expect(isHookValidationError(malformed)).toBe(true);
    expect(malformed).toMatchObject({ pointer: '/args', direction: 'input' });
    // The plugin checks too when the registry does not validate.
    expect(() =>
      host.orchestrator.enqueue({ plugin_name: 'summer', args: { when: new Date(0) } } as never),
    ).toThrow(/args of|\/when/);
    const unknown = await rejection(host.enqueue({ plugin_name: 'nobody', args: {} }));
    expect(isPluginError(unknown, 'PLUGIN_UNAVAILABLE')).toBe(true);
    expect(String(unknown)).toContain('nobody');
    const missing = await rejection(host.status('no-such-unit'));
    expect(isUnitNotFound(missing)).toBe(true);
    expect(missing).toMatchObject({ unitId: 'no-such-unit' });
  });

  it('reports a failure with its error', async () => {
    const host = await startHost({
      root: tempDir(),
      plugins: [{ name: 'crasher' }],
      config: { crasher: { fail_after: 2 } },
    });
    const { unit_id } = await host.enqueue({ plugin_name: 'crasher', args: { items: items(5) } });
    const status = await host.orchestrator.wait(unit_id);
    expect(status.state).toBe('failed');
    expect(status.error).toContain('crashed on purpose after 2 items');
    expect(status.finished_at).toBeDefined();
    expect(status.progress).toMatchObject({
      attempt: 1,
      percent: 0.4,
      payload: { current: 2, total: 5 },
    });
  });
});

describe('LocalExecutorOrchestrator: concurrency', () => {
  it('never runs more units at once than the limit, and starts them in enqueue order', async () => {
    const host = await startHost({
      root: tempDir(),
      plugins: [{ name: 'gated', className: 'Gated' }],
      concurrency: 2,
    });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push((await host.enqueue({ plugin_name: 'gated', args: { id: `u${i}` } })).unit_id);
    }
    await host.gate.arrived(2);
    await settle();
    const states = async (): Promise<string[]> =>
      Promise.all(ids.map(async (id) => (await host.status(id)).state));
    expect(await states()).toEqual(['running', 'running', 'queued', 'queued', 'queued', 'queued']);
    // Release one at a time; each release lets exactly one more in.
    for (let i = 0; i < 6; i++) {
      await host.gate.arrived(Math.min(i + 2, 6));
      await settle();
      expect(host.gate.active).toBe(Math.min(2, 6 - i));
      host.gate.release(`u${i}`);
      await host.orchestrator.wait(ids[i] as string);
    }
    await host.orchestrator.idle();
    expect(await states()).toEqual(Array(6).fill('succeeded'));
    expect(host.gate.maxActive).toBe(2);
    expect(host.gate.entered).toEqual(['u0', 'u1', 'u2', 'u3', 'u4', 'u5']);
  });

  it('runs the units of one partition one after another', async () => {
    const host = await startHost({
      root: tempDir(),
      plugins: [{ name: 'gated', className: 'Gated' }],
      concurrency: 4,
    });
    for (const [id, partition] of [
      ['a1', 'a'],
      ['a2', 'a'],
      ['b1', 'b'],
      ['a3', 'a'],
    ] as const) {
      await host.enqueue({ plugin_name: 'gated', args: { id }, partition_key: partition });
    }
    await host.gate.arrived(2);
    await settle();
    expect(host.gate.waiting().sort()).toEqual(['a1', 'b1']);
    host.gate.release('a1');
    await host.gate.arrived(3);
    await settle();
    expect(host.gate.waiting().sort()).toEqual(['a2', 'b1']);
    host.gate.open = true;
    host.gate.release('a2');
    host.gate.release('b1');
    await host.orchestrator.idle();
    expect(host.gate.entered).toEqual(['a1', 'b1', 'a2', 'a3']);
    expect(host.gate.maxActive).toBe(2);
  });
});

describe('LocalExecutorOrchestrator: idempotency', () => {
  it('returns the first unit for a repeated idempotency_key (per plugin), before and after it ran', async () => {
    const host = await startHost({
      root: tempDir(),
      plugins: [{ name: 'summer' }, { name: 'other' }],
    });
    const first = await host.enqueue({
      plugin_name: 'summer',
      args: { items: [1, 2] },
      idempotency_key: 'job-7',
    });
    const again = await host.enqueue({
      plugin_name: 'summer',
      args: { items: [9, 9, 9] },
      idempotency_key: 'job-7',
    });
    expect(again).toEqual({ unit_id: first.unit_id, deduplicated: true });
    const otherPlugin = await host.enqueue({
      plugin_name: 'other',
      args: { items: [1, 2] },
      idempotency_key: 'job-7',
    });
    expect(otherPlugin.deduplicated).toBe(false);
    expect(otherPlugin.unit_id).not.toBe(first.unit_id);
    await host.orchestrator.idle();
    const later = await host.enqueue({
      plugin_name: 'summer',
      args: { items: [1, 2] },
      idempotency_key: 'job-7',
    });
    expect(later).toEqual({ unit_id: first.unit_id, deduplicated: true });
    await host.orchestrator.idle();
    // summer ran once (two items), other once.
    expect(host.journal.filter((j) => j.plugin === 'summer')).toHaveLength(2);
    expect(host.journal.filter((j) => j.plugin === 'other')).toHaveLength(2);
    expect(host.orchestrator.units()).toHaveLength(2);
  });

  it('deduplicates on the input hash for input_hash plugins only, over the content_hash fields', async () => {
    const host = await startHost({
      root: tempDir(),
      plugins: [
        { name: 'hashed', unitOfWork: 'idempotency_mode = "input_hash"\ncontent_hash = ["items"]' },
        { name: 'plain' },
      ],
    });
    const a = await host.enqueue({ plugin_name: 'hashed', args: { items: [1, 2], note: 'a' } });
    const b = await host.enqueue({ plugin_name: 'hashed', args: { note: 'b', items: [1, 2] } });
    const c = await host.enqueue({ plugin_name: 'hashed', args: { items: [2, 1] } });
    expect(b).toEqual({ unit_id: a.unit_id, deduplicated: true });
    expect(c.deduplicated).toBe(false);
    const p1 = await host.enqueue({ plugin_name: 'plain', args: { items: [1, 2] } });
    const p2 = await host.enqueue({ plugin_name: 'plain', args: { items: [1, 2] } });
    expect(p2.unit_id).not.toBe(p1.unit_id);
    expect(p2.deduplicated).toBe(false);
    await host.orchestrator.idle();
    // A completed run answers for its hash: no new run.
    const d = await host.enqueue({ plugin_name: 'hashed', args: { items: [1, 2] } });
    expect(d).toEqual({ unit_id: a.unit_id, deduplicated: true });
    await host.orchestrator.idle();
    const runs = (plugin: string): number =>
      new Set(host.journal.filter((j) => j.plugin === plugin).map((j) => j.unit)).size;
    expect(runs('hashed')).toBe(2);
    expect(runs('plain')).toBe(2);
    expect(host.orchestrator.unit(a.unit_id).input_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(host.orchestrator.unit(p1.unit_id).input_hash).toBeUndefined();
  });

  it('records the output hash of output_hash plugins (equal outputs, equal hashes)', async () => {
    const host = await startHost({
      root: tempDir(),
      plugins: [{ name: 'outputs', unitOfWork: 'idempotency_mode = "output_hash"' }],
    });
    const one = await host.enqueue({ plugin_name: 'outputs', args: { items: [4, 5] } });
    const two = await host.enqueue({ plugin_name: 'outputs', args: { items: [4, 5] } });
    const three = await host.enqueue({ plugin_name: 'outputs', args: { items: [5, 4] } });
    expect(two.deduplicated).toBe(false);
    await host.orchestrator.idle();
    const hash = (id: string): string | undefined => host.orchestrator.unit(id).output_hash;
    expect(hash(one.unit_id)).toMatch(/^[0-9a-f]{64}$/);
    expect(hash(two.unit_id)).toBe(hash(one.unit_id));
    expect(hash(three.unit_id)).not.toBe(hash(one.unit_id));
  });
});

describe('LocalExecutorOrchestrator: backfill', () => {
  it('queues failed units again by plugin, partition, time window and state', async () => {
    let clock = Date.parse('2026-03-01T00:00:00.000Z');
    const host = await startHost({
      root: tempDir(),
      plugins: [{ name: 'crasher' }, { name: 'summer' }],
      config: { crasher: { fail_after: 1 } },
      now: () => clock,
    });
    const a = await host.enqueue({
      plugin_name: 'crasher',
      args: { items: [1, 2] },
      partition_key: 'a',
    });
    clock = Date.parse('2026-03-02T00:00:00.000Z');
    const b = await host.enqueue({
      plugin_name: 'crasher',
      args: { items: [3, 4] },
      partition_key: 'b',
    });
    const ok = await host.enqueue({ plugin_name: 'summer', args: { items: [5] } });
    await host.orchestrator.idle();
    expect((await host.status(a.unit_id)).state).toBe('failed');
    expect((await host.status(b.unit_id)).state).toBe('failed');
    expect((await host.status(ok.unit_id)).state).toBe('succeeded');

    expect(await host.backfill({ states: ['cancelled'] })).toEqual({
      enqueued_count: 0,
      skipped_count: 0,
    });
    expect(await host.backfill({ until: '2026-02-28T00:00:00Z' })).toEqual({
      enqueued_count: 0,
      skipped_count: 0,
    });
    expect(await host.backfill({ plugin_name: 'crasher', since: '2026-03-01T12:00:00Z' })).toEqual({
      enqueued_count: 1,
      skipped_count: 0,
    });
    expect((await host.orchestrator.wait(b.unit_id)).state).toBe('succeeded');
    expect((await host.status(a.unit_id)).state).toBe('failed');
    expect(await host.backfill({ partition_key: 'a' })).toEqual({
      enqueued_count: 1,
      skipped_count: 0,
    });
    const rerun = await host.orchestrator.wait(a.unit_id);
    expect(rerun.state).toBe('succeeded');
    expect(rerun.progress).toMatchObject({ attempt: 2 });
    expect(rerun.error).toBeUndefined();
    // Nothing failed is left; a running state cannot be asked for.
    expect(await host.backfill({})).toEqual({ enqueued_count: 0, skipped_count: 0 });
    const bad = await rejection(host.backfill({ states: ['running' as 'failed'] }));
    expect(isHookValidationError(bad)).toBe(true);
    expect(bad).toMatchObject({ pointer: '/states/0' });
  });

  it('expires a unit over its time limit and runs expired ones again', async () => {
    const host = await startHost({
      root: tempDir(),
      plugins: [{ name: 'gated', className: 'Gated' }],
      concurrency: 1,
      unitTimeoutMs: 50,
    });
    const slow = await host.enqueue({ plugin_name: 'gated', args: { id: 'slow' } });
    await host.gate.arrived(1);
    // Later runs return at once; the one inside waits until its limit aborts it.
    host.gate.open = true;
    const next = await host.enqueue({ plugin_name: 'gated', args: { id: 'next' } });
    const expired = await host.orchestrator.wait(slow.unit_id);
    expect(expired.state).toBe('expired');
    expect(expired.error).toMatch(/time/i);
    expect((await host.orchestrator.wait(next.unit_id)).state).toBe('succeeded');
    expect(await host.backfill({ states: ['failed'] })).toEqual({
      enqueued_count: 0,
      skipped_count: 0,
    });
    expect(await host.backfill({ states: ['expired'] })).toEqual({
      enqueued_count: 1,
      skipped_count: 0,
    });
    const rerun = await host.orchestrator.wait(slow.unit_id);
    expect(rerun.state).toBe('succeeded');
    expect(rerun.progress).toMatchObject({ attempt: 2 });
    expect(host.gate.entered).toEqual(['slow', 'next', 'slow']);
  });

  it('cancels queued and running units, counts running ones as skipped, and backfills cancelled ones on request', async () => {
    const host = await startHost({
      root: tempDir(),
      plugins: [{ name: 'gated', className: 'Gated' }],
      concurrency: 1,
    });
    const running = await host.enqueue({ plugin_name: 'gated', args: { id: 'r' } });
    const queued = await host.enqueue({ plugin_name: 'gated', args: { id: 'q' } });
    await host.gate.arrived(1);
    expect(host.orchestrator.cancel(queued.unit_id)).toBe(true);
    expect((await host.status(queued.unit_id)).state).toBe('cancelled');
    // Default states are failed and expired; the running unit matches and is skipped.
    expect(await host.backfill({})).toEqual({ enqueued_count: 0, skipped_count: 1 });
    expect(await host.backfill({ states: ['cancelled'] })).toEqual({
      enqueued_count: 1,
      skipped_count: 1,
    });
    expect((await host.status(queued.unit_id)).state).toBe('queued');
    host.gate.open = true;
    expect(host.orchestrator.cancel(running.unit_id)).toBe(true);
    expect((await host.orchestrator.wait(running.unit_id)).state).toBe('cancelled');
    expect((await host.orchestrator.wait(queued.unit_id)).state).toBe('succeeded');
    expect(host.orchestrator.cancel(queued.unit_id)).toBe(false);
    expect(await host.backfill({ states: ['cancelled'] })).toEqual({
      enqueued_count: 1,
      skipped_count: 0,
    });
    expect((await host.orchestrator.wait(running.unit_id)).state).toBe('succeeded');
    expect(host.gate.entered).toEqual(['r', 'q', 'r']);
  });
});

describe('LocalExecutorOrchestrator: state file and restart', () => {
  it('persists every unit atomically and a new host resumes the interrupted and queued ones', async () => {
    const root = tempDir();
    const stateFile = join(root, 'state', 'orchestrator.json');
    const plugins: UowPluginSpec[] = [
      { name: 'gated', className: 'Gated', teardownTimeoutSec: 1 },
      { name: 'summer' },
    ];
    const first = await startHost({ root, plugins, concurrency: 1, stateFile });
    const done = await first.enqueue({ plugin_name: 'summer', args: { items: [1, 2, 3] } });
    await first.orchestrator.wait(done.unit_id);
    const ids: string[] = [];
    for (const id of ['x', 'y', 'z']) {
      ids.push(
        (await first.enqueue({ plugin_name: 'gated', args: { id }, idempotency_key: id })).unit_id,
      );
    }
    await first.gate.arrived(1);
    await first.orchestrator.flush();
    const read = (): {
      format: string;
      units: { unit_id: string; state: string; attempts: number; output?: unknown }[];
    } => JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(read().format).toBe('dagstack.local_executor.state');
    expect(read().units.map((u) => [u.state, u.attempts])).toEqual([
      ['succeeded', 1],
      ['running', 1],
      ['queued', 0],
      ['queued', 0],
    ]);
    expect(read().units[0]?.output).toEqual(singlePass([1, 2, 3]));

    // Stop the first host: the running unit is interrupted, not failed.
    hosts.splice(hosts.indexOf(first), 1);
    await first.registry.teardownAll();
    first.registry.close();
    expect(read().units.map((u) => u.state)).toEqual(['succeeded', 'queued', 'queued', 'queued']);

    const gate = new Gate();
    gate.open = true;
    const second = await startHost({ root, plugins: [], concurrency: 1, stateFile, gate });
    // The same plugins, discovered again from the same folder.
    expect(
      second.registry
        .listManifests()
        .map((m) => m.name)
        .sort(),
    ).toEqual(['gated', 'local_executor', 'summer']);
    const statuses = await Promise.all(ids.map((id) => second.orchestrator.wait(id)));
    expect(statuses.map((s) => [s.state, s.progress?.attempt])).toEqual([
      ['succeeded', 2],
      ['succeeded', 1],
      ['succeeded', 1],
    ]);
    expect(gate.entered).toEqual(['x', 'y', 'z']);
    // Known ids and keys survive the restart.
    expect((await second.status(done.unit_id)).state).toBe('succeeded');
    expect(second.orchestrator.unit(done.unit_id).output).toEqual(singlePass([1, 2, 3]));
    expect(
      await second.enqueue({ plugin_name: 'gated', args: { id: 'x' }, idempotency_key: 'x' }),
    ).toEqual({
      unit_id: ids[0],
      deduplicated: true,
    });
    expect(second.journal).toEqual([]);
  });

  it('waits, without failing the unit, while its plugin is still starting (its start group is not done)', async () => {
    const root = tempDir();
    const stateFile = join(root, 'state.json');
    const plugins: UowPluginSpec[] = [{ name: 'gated', className: 'Gated' }];
    const first = await startHost({ root, plugins, stateFile });
    const { unit_id } = await first.enqueue({ plugin_name: 'gated', args: { id: 'g' } });
    await first.gate.arrived(1);
    hosts.splice(hosts.indexOf(first), 1);
    await first.registry.teardownAll();
    first.registry.close();

    // The next start has a plugin whose setup holds its start group open.
    const slowDir = join(root, 'plugins', 'slow');
    mkdirSync(slowDir);
    writeFileSync(
      join(slowDir, 'dagstack.toml'),
      '[plugin]\nname = "slow"\nkind = "misc"\ncore_version = ">=0.1.0"\nruntime = "in_process"\nentry_point = "plugin:Slow"\nstartup_timeout_sec = 60\n\n[plugin.resources]\nrequired = ["hold"]\n',
    );
    writeFileSync(
      join(slowDir, 'plugin.mjs'),
      "export class Slow { async setup(ctx) { await ctx.resources.get('hold').promise; } }\n",
    );
    let release = (): void => {};
    const hold = { promise: new Promise<void>((r) => (release = r)) };
    const logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    const gate = new Gate();
    gate.open = true;
    const registry = new PluginRegistry({
      resources: { gate, hold },
      logger,
      healthChecks: false,
    });
    registry.registerKind(OrchestratorV1.KIND_SPEC);
    registry.registerKind(BATCH_KIND);
    await registry.discover(join(root, 'plugins'));
    const orchestrator = new LocalExecutorOrchestrator({ registry, stateFile });
    registry.register(orchestrator);
    const started = registry.setupAll();
    const stateOf = (name: string) => registry.status().find((s) => s.name === name)?.state;
    // A plugin is `ready` only once its whole start group is published to
    // dispatch (spec decision R7): while slow holds the group, gated is starting.
    // The orchestrator knows the unit once its own setup has read the state file.
    const knowsUnit = (): boolean => {
      try {
        orchestrator.unit(unit_id);
        return true;
      } catch {
        return false;
      }
    };
    while (stateOf('slow') !== 'starting' || stateOf('gated') !== 'starting' || !knowsUnit()) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(stateOf('gated')).toBe('starting');
    expect(['queued', 'running']).toContain(orchestrator.unit(unit_id).state);
    expect(gate.entered).toEqual([]);
    release();
    await started;
    const done = await orchestrator.wait(unit_id);
    // One attempt before the restart, one after: the retries in the gap do not count.
    expect(done).toMatchObject({ state: 'succeeded', progress: { attempt: 2 } });
    expect(gate.entered).toEqual(['g']);
    await registry.teardownAll();
    registry.close();
  });

  it('refuses a state file of another format instead of overwriting it', async () => {
    const root = tempDir();
    const stateFile = join(root, 'not-ours.json');
    writeFileSync(stateFile, '{"hello": "world"}\n');
    const registry = new PluginRegistry({ healthChecks: false });
    registry.registerKind(OrchestratorV1.KIND_SPEC);
    const orchestrator = new LocalExecutorOrchestrator({ registry, stateFile });
    registry.register(orchestrator);
    const report = await registry.setupAll();
    expect(report.unavailable.map((u) => u.plugin)).toEqual(['local_executor']);
    expect(String(report.unavailable[0]?.error)).toContain('not an orchestrator state file');
    expect(readFileSync(stateFile, 'utf8')).toBe('{"hello": "world"}\n');
    registry.close();
  });
});

describe('LocalExecutorOrchestrator: checkpoint resume', () => {
  it('a unit that crashes midway resumes from its checkpoint and gives the single-pass result', async () => {
    const host = await startHost({
      root: tempDir(),
      plugins: [{ name: 'crasher' }, { name: 'summer' }],
      config: { crasher: { fail_after: 3 } },
    });
    const input = items(8, 10);
    const crashed = await host.enqueue({ plugin_name: 'crasher', args: { items: input } });
    const failed = await host.orchestrator.wait(crashed.unit_id);
    expect(failed.state).toBe('failed');
    // The checkpoint of the first attempt is on disk: three items done, three saves.
    const saved = await host.checkpoints.load(`units/${crashed.unit_id}`);
    expect(saved?.state).toMatchObject({ next: 3, count: 3 });
    expect(saved?.version).toMatch(/^3-[0-9a-f]{12}$/);

    expect(await host.backfill({ plugin_name: 'crasher' })).toEqual({
      enqueued_count: 1,
      skipped_count: 0,
    });
    const resumed = await host.orchestrator.wait(crashed.unit_id);
    expect(resumed.state).toBe('succeeded');
    expect(resumed.progress).toMatchObject({
      attempt: 2,
      resumed_from_checkpoint: true,
      resumed_from_version: saved?.version,
      percent: 1,
      payload: { current: 8 },
    });

    const reference = await host.enqueue({ plugin_name: 'summer', args: { items: input } });
    await host.orchestrator.wait(reference.unit_id);
    const single = host.orchestrator.unit(reference.unit_id).output;
    expect(host.orchestrator.unit(crashed.unit_id).output).toEqual(single);
    expect(single).toEqual(singlePass(input));
    // The second attempt did only the items after the checkpoint.
    const byAttempt = (attempt: number): number[] =>
      host.journal
        .filter((j) => j.unit === crashed.unit_id && j.attempt === attempt)
        .map((j) => j.item);
    expect(byAttempt(1)).toEqual([0, 1, 2]);
    expect(byAttempt(2)).toEqual([3, 4, 5, 6, 7]);
    expect(await host.checkpoints.list()).toEqual([]);
    // The reference unit resumed from nothing: no version note.
    expect(host.orchestrator.unit(reference.unit_id).progress).toMatchObject({
      resumed_from_checkpoint: false,
    });
    expect(host.orchestrator.unit(reference.unit_id).progress).not.toHaveProperty(
      'resumed_from_version',
    );
  });

  it("a write to a unit's checkpoint by someone else fails the attempt's next save, and is kept", async () => {
    let checkpoints: FileCheckpointStore | undefined;
    let intruder: string | undefined;
    const host = await startHost({
      root: tempDir(),
      plugins: [{ name: 'summer' }],
      probe: {
        // After the plugin's second save, another writer (a stale attempt,
        // say) saves over the unit's checkpoint.
        async checkpointed(n, unit) {
          if (n === 2 && checkpoints !== undefined) {
            intruder = await checkpoints.save(`units/${unit.unit_id}`, { intruder: true });
          }
        },
      },
    });
    checkpoints = host.checkpoints;
    const { unit_id } = await host.enqueue({ plugin_name: 'summer', args: { items: items(5) } });
    const done = await host.orchestrator.wait(unit_id);
    expect(done.state).toBe('failed');
    expect(intruder).toMatch(/^3-/);
    expect(done.error).toContain(
      `key "units/${unit_id}" is at version "${intruder}", not the expected "2-`,
    );
    expect(host.journal.map((j) => j.item)).toEqual([0, 1, 2]);
    // The plugin's third save was refused: the other writer's checkpoint stands.
    expect(await host.checkpoints.load(`units/${unit_id}`)).toEqual({
      state: { intruder: true },
      version: intruder,
    });
  });
});
