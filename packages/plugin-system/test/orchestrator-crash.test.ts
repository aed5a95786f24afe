// The orchestrator's key guarantee with a real crash: a host process is
// killed (SIGKILL) while a checkpointable unit is midway; a new host process
// with the same state file and checkpoint folder resumes the unit from its
// checkpoint, and the result equals a single-pass run. The hosts run the
// built package (dist) in plain Node, as an application would.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeKey, FileCheckpointStore } from '../src/index.js';
import { tempDir } from './temp.js';
import { BATCH_KIND, singlePass, writeUowPlugin } from './uow-fixtures.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(PACKAGE_DIR, 'dist/index.js');

const HOST_SOURCE = `
const { FileCheckpointStore, LocalExecutorOrchestrator, OrchestratorV1, PluginRegistry } = await import(process.env.PLUGIN_SYSTEM_ENTRY);
const root = process.env.HOST_ROOT;
const hangAt = Number(process.env.HANG_AT ?? '0');
const emit = (event) => process.stdout.write(JSON.stringify(event) + '\\n');
const probe = {
  async checkpointed(n, unit) {
    const hang = n === hangAt && unit.attempt === 1;
    // The state file says "running" before the test is told to kill us.
    if (hang) await orchestrator.flush();
    emit({ event: 'checkpoint', n, attempt: unit.attempt, unit_id: unit.unit_id });
    // Stay here, with the checkpoint saved, until the test kills the process.
    if (hang) await new Promise(() => setInterval(() => {}, 1 << 30));
  },
};
const registry = new PluginRegistry({
  resources: { checkpoint: new FileCheckpointStore(root + '/checkpoints'), probe },
  config: { batch: { summer: { name: 'summer' } } },
  validateCalls: true,
  healthChecks: false,
});
registry.registerKind(OrchestratorV1.KIND_SPEC);
registry.registerKind(JSON.parse(process.env.BATCH_KIND));
await registry.discover(root + '/plugins');
const orchestrator = new LocalExecutorOrchestrator({ registry, stateFile: root + '/state.json', concurrency: 1 });
registry.register(orchestrator);
await registry.setupAll({ resources: { progress: orchestrator.progress } });
if (process.env.HOST_MODE === 'enqueue') {
  const out = await registry.call('orchestrator', 'enqueue', {
    plugin_name: 'summer',
    args: { items: JSON.parse(process.env.ITEMS) },
    idempotency_key: 'job-1',
  });
  emit({ event: 'enqueued', ...out });
}
await orchestrator.idle();
emit({ event: 'done', units: orchestrator.units() });
await registry.teardownAll();
`;

interface HostEvent {
  event: 'checkpoint' | 'enqueued' | 'done';
  n?: number;
  attempt?: number;
  unit_id?: string;
  units?: {
    unit_id: string;
    state: string;
    attempts: number;
    output?: unknown;
    progress?: Record<string, unknown>;
  }[];
}

interface RunningHost {
  readonly child: ChildProcess;
  readonly events: HostEvent[];
  /** Resolves with the first event that satisfies `match`. */
  waitFor(match: (e: HostEvent) => boolean): Promise<HostEvent>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

const children: ChildProcess[] = [];

afterEach(async () => {
  // Reap anything a failed test left running.
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }
  }
});

function setUp(root: string): void {
  mkdirSync(join(root, 'plugins'), { recursive: true });
  writeUowPlugin(join(root, 'plugins'), { name: 'summer' });
  writeFileSync(join(root, 'host.mjs'), HOST_SOURCE);
}

function startHost(root: string, env: Record<string, string>): RunningHost {
  const child = spawn(process.execPath, [join(root, 'host.mjs')], {
    cwd: root,
    env: {
      ...process.env,
      PLUGIN_SYSTEM_ENTRY: pathToFileURL(ENTRY).href,
      HOST_ROOT: root,
      BATCH_KIND: JSON.stringify(BATCH_KIND),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const events: HostEvent[] = [];
  const watchers: { match: (e: HostEvent) => boolean; resolve: (e: HostEvent) => void }[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const event = JSON.parse(line) as HostEvent;
    events.push(event);
    for (const w of watchers.filter((x) => x.match(event))) {
      watchers.splice(watchers.indexOf(w), 1);
      w.resolve(event);
    }
  });
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stderr: string;
  }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })));
  return {
    child,
    events,
    exited,
    waitFor: (match) => {
      const seen = events.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        watchers.push({ match, resolve });
        void exited.then((e) =>
          reject(new Error(`host exited (${e.code ?? e.signal}) first:\n${e.stderr}`)),
        );
      });
    },
  };
}

async function runToEnd(root: string, env: Record<string, string>): Promise<HostEvent[]> {
  const host = startHost(root, env);
  const end = await host.exited;
  expect({ code: end.code, stderr: end.stderr }).toEqual({ code: 0, stderr: '' });
  return host.events;
}

describe('LocalExecutorOrchestrator across a killed host process', () => {
  it('resumes a unit from its checkpoint after SIGKILL midway, with the single-pass result', async () => {
    if (!existsSync(join(PACKAGE_DIR, 'dist/orchestrator/local-executor.js'))) {
      throw new Error(
        `${ENTRY} is missing or stale: build first (pnpm -F @dagstack/plugin-system run build)`,
      );
    }
    const input = Array.from({ length: 8 }, (_, i) => (i + 1) * 7);
    const ITEMS = JSON.stringify(input);

    // Reference: one uninterrupted run in its own folder.
    const reference = tempDir();
    setUp(reference);
    const refEvents = await runToEnd(reference, { HOST_MODE: 'enqueue', ITEMS });
    const refUnit = refEvents.find((e) => e.event === 'done')?.units?.[0];
    expect(refUnit).toMatchObject({ state: 'succeeded', attempts: 1 });

    // First host: killed right after the third checkpoint is saved.
    const root = tempDir();
    setUp(root);
    const first = startHost(root, { HOST_MODE: 'enqueue', ITEMS, HANG_AT: '3' });
    const third = await first.waitFor((e) => e.event === 'checkpoint' && e.n === 3);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const unitId = third.unit_id as string;

    // What the crash left on disk: the unit still marked running, and its checkpoint.
    const state = JSON.parse(readFileSync(join(root, 'state.json'), 'utf8')) as {
      units: { unit_id: string; state: string; attempts: number }[];
    };
    expect(state.units.map((u) => [u.unit_id, u.state, u.attempts])).toEqual([
      [unitId, 'running', 1],
    ]);
    const checkpoints = new FileCheckpointStore(join(root, 'checkpoints'));
    const saved = await checkpoints.load(`units/${unitId}`);
    expect(saved?.state).toMatchObject({ next: 3, count: 3 });
    expect(saved?.version).toMatch(/^3-[0-9a-f]{12}$/);
    // A killed writer leaves no lock behind (the kill came between saves).
    expect(readdirSync(join(root, 'checkpoints'))).toEqual([
      `${encodeKey(`units/${unitId}`)}.json`,
    ]);

    // Second host, same folder, no enqueue: it resumes the unit by itself.
    const events = await runToEnd(root, { HOST_MODE: 'resume', ITEMS });
    const resumedSteps = events.filter((e) => e.event === 'checkpoint');
    expect(resumedSteps.map((e) => [e.n, e.attempt])).toEqual([
      [4, 2],
      [5, 2],
      [6, 2],
      [7, 2],
      [8, 2],
    ]);
    const unit = events.find((e) => e.event === 'done')?.units?.[0];
    expect(unit).toMatchObject({
      unit_id: unitId,
      state: 'succeeded',
      attempts: 2,
      progress: {
        resumed_from_checkpoint: true,
        resumed_from_version: saved?.version,
        percent: 1,
        payload: { current: 8, total: 8 },
      },
    });
    expect(unit?.output).toEqual(refUnit?.output);
    expect(unit?.output).toEqual(singlePass(input));
    expect(await checkpoints.list()).toEqual([]);
  });
});
