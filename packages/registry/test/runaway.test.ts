// Runaway isolated plugins are ended, not only marked: worker threads and
// child processes whose module spins while loading, whose setup spins or
// hangs, whose hook spins, or whose teardown never returns (one of them with
// a grandchild process). Each plugin writes where it runs (pid, OS thread
// id) when its module loads; the tests check that thread or process is gone.
// A host in a child process (the built package, plain Node) must then exit
// on its own after teardownAll() and close().
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  HookTimeout,
  isTeardownErrors,
  type KindSpec,
  PluginLoadError,
} from '@dagstack/plugin-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PluginRegistry } from '../src/index.js';

const TOOL: KindSpec = {
  kind: 'tool',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'execute', dispatch: 'singleton', mcp_exposed: true }],
};

type Behaviour = 'spin-load' | 'spin-setup' | 'hang-setup' | 'spin-hook' | 'ignore-teardown';
type Model = 'thread_cpu_bound' | 'process_cpu_bound';

const PLUGIN_SOURCE = (behaviour: Behaviour, grandchild: boolean) => `
import { spawn } from 'node:child_process';
import { readlinkSync, writeFileSync } from 'node:fs';
const [pid, , tid] = readlinkSync('/proc/thread-self').split('/');
const where = { pid: Number(pid), tid: Number(tid) };
const record = () => writeFileSync(new URL('./alive.json', import.meta.url), JSON.stringify(where));
record();
if (${JSON.stringify(behaviour)} === 'spin-load') for (;;) {}
export class Runaway {
  setup() {
    if (${grandchild}) {
      // Same process group as the plugin process: ending the group ends it.
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
      where.grandchild = child.pid;
      record();
    }
    if (${JSON.stringify(behaviour)} === 'spin-setup') for (;;) {}
    if (${JSON.stringify(behaviour)} === 'hang-setup') return new Promise(() => {});
  }
  execute() {
    if (${JSON.stringify(behaviour)} === 'spin-hook') for (;;) {}
    return { ok: true };
  }
  teardown() {
    if (${JSON.stringify(behaviour)} === 'ignore-teardown') return new Promise(() => {});
    return true;
  }
}
`;

interface Case {
  readonly name: string;
  readonly behaviour: Behaviour;
  readonly model: Model;
  readonly grandchild: boolean;
}

const CASES: Case[] = [];
for (const model of ['thread_cpu_bound', 'process_cpu_bound'] as const) {
  for (const behaviour of [
    'spin-load',
    'spin-setup',
    'hang-setup',
    'spin-hook',
    'ignore-teardown',
  ] as const) {
    CASES.push({
      name: `${behaviour}-${model === 'thread_cpu_bound' ? 'thread' : 'process'}`,
      behaviour,
      model,
      grandchild: false,
    });
  }
}
CASES.push({
  name: 'grandchild-process',
  behaviour: 'ignore-teardown',
  model: 'process_cpu_bound',
  grandchild: true,
});

/** Cases that never get ready: a short startup limit; the others get room on a busy machine. */
const failsToStart = (c: Case): boolean =>
  c.behaviour.endsWith('load') || c.behaviour.endsWith('setup');

async function writePlugins(root: string): Promise<void> {
  for (const [i, c] of CASES.entries()) {
    const dir = join(root, c.name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'plugin.mjs'), PLUGIN_SOURCE(c.behaviour, c.grandchild));
    await writeFile(
      join(dir, 'dagstack.toml'),
      `[plugin]
schema_version = "1"
name = "${c.name}"
kind = "tool"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
execution_model = "${c.model}"
entry_point = "plugin:Runaway"
priority = ${i}
startup_timeout_sec = ${failsToStart(c) ? 1 : 60}
teardown_timeout_sec = 1
`,
    );
  }
}

interface Where {
  pid: number;
  tid: number;
  grandchild?: number;
}

/**
 * Where a plugin ran, from the file its module wrote when it loaded;
 * `undefined` when it never got that far (its load timed out first, which a
 * busy machine can make happen to the short-limit cases).
 */
function whereOf(root: string, name: string): Where | undefined {
  const file = join(root, name, 'alive.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Where) : undefined;
}

/** Forget where plugins ran before: each host run writes its own files. */
async function forgetWhere(root: string): Promise<void> {
  await Promise.all(CASES.map((c) => rm(join(root, c.name, 'alive.json'), { force: true })));
}

/** A process is alive while /proc has it and it is not a zombie. */
function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** What still runs of a plugin: its thread (in the host) or its process, and a grandchild. */
function running(where: Where, hostPid: number): string[] {
  const left: string[] = [];
  if (where.pid === hostPid) {
    if (existsSync(`/proc/${hostPid}/task/${where.tid}`)) left.push(`thread ${where.tid}`);
  } else if (processAlive(where.pid)) left.push(`process ${where.pid}`);
  if (where.grandchild !== undefined && processAlive(where.grandchild))
    left.push(`grandchild ${where.grandchild}`);
  return left;
}

/** Poll until nothing of the plugins runs, or the deadline passes; returns what is left. */
async function settle(
  wheres: readonly (Where | undefined)[],
  hostPid: number,
  deadlineMs: number,
): Promise<string[]> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const left = wheres.flatMap((w) => (w === undefined ? [] : running(w, hostPid)));
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dagstack-runaway-'));
  await writePlugins(join(root, 'plugins'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

afterEach(() => {
  // Whatever a failed test left running is ended here: every plugin process
  // (with its process group) and grandchild the plugins recorded.
  for (const c of CASES) {
    const where = whereOf(join(root, 'plugins'), c.name);
    if (where === undefined) continue;
    const pids = [where.grandchild, where.pid === process.pid ? undefined : where.pid];
    for (const pid of pids) {
      if (pid === undefined || !processAlive(pid)) continue;
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // already gone, or not a group leader
        }
      }
    }
  }
});

describe('runaway isolated plugins', () => {
  it('ends the thread or process of a plugin that spins or hangs in load, setup, a hook or teardown', async () => {
    await forgetWhere(join(root, 'plugins'));
    const registry = new PluginRegistry({ logger: 'silent', healthChecks: false });
    registry.registerKind(TOOL);
    await registry.discover(join(root, 'plugins'));
    await registry.setupAll();
    const wheres = new Map(CASES.map((c) => [c.name, whereOf(join(root, 'plugins'), c.name)]));
    const state = (name: string) => registry.status().find((s) => s.name === name)?.state;

    // Load and setup: timed out, unavailable, and ended.
    const failedEarly = CASES.filter(failsToStart);
    for (const c of failedEarly) {
      expect(state(c.name), c.name).toBe('unavailable');
      const error = registry.status().find((s) => s.name === c.name)?.error;
      expect(error?.code, c.name).toBe(HookTimeout.code);
    }
    expect(
      await settle(
        failedEarly.map((c) => wheres.get(c.name)),
        process.pid,
        4000,
      ),
    ).toEqual([]);

    // The others run; the check above is not vacuous: these are alive.
    const started = CASES.filter((c) => !failedEarly.includes(c));
    for (const c of started) {
      expect(state(c.name), c.name).toBe('ready');
      const where = wheres.get(c.name);
      expect(where, c.name).toBeDefined();
      expect(running(where as Where, process.pid), c.name).not.toEqual([]);
    }

    // A spinning hook times out for the caller.
    for (const c of started.filter((x) => x.behaviour === 'spin-hook')) {
      await expect(
        registry.call('tool', 'execute', {}, { target: c.name, timeoutMs: 300 }),
      ).rejects.toBeInstanceOf(HookTimeout);
    }

    // Teardown: the spinning and the ignoring plugins are leaked, and ended.
    const error = await registry.teardownAll().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTeardownErrors(error)).toBe(true);
    for (const c of started) expect(state(c.name), c.name).toBe('leaked');
    expect(
      await settle(
        started.map((c) => wheres.get(c.name)),
        process.pid,
        4000,
      ),
    ).toEqual([]);
    registry.close();
  });

  it('refuses process.exit() in an in-process plugin setup with a typed error; other plugins start', async () => {
    const dir = join(root, 'exiting');
    await mkdir(join(dir, 'quitter'), { recursive: true });
    await mkdir(join(dir, 'steady'), { recursive: true });
    const toml = (name: string, priority: number) => `[plugin]
schema_version = "1"
name = "${name}"
kind = "tool"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:P"
priority = ${priority}
`;
    await writeFile(join(dir, 'quitter', 'dagstack.toml'), toml('quitter', 1));
    await writeFile(
      join(dir, 'quitter', 'plugin.mjs'),
      'export class P { setup() { process.exit(3); } execute() { return 1; } }',
    );
    await writeFile(join(dir, 'steady', 'dagstack.toml'), toml('steady', 0));
    await writeFile(
      join(dir, 'steady', 'plugin.mjs'),
      'export class P { async setup() { await new Promise((r) => setTimeout(r, 20)); } execute() { return 2; } }',
    );
    const registry = new PluginRegistry({ healthChecks: false });
    registry.registerKind(TOOL);
    await registry.discover(dir);
    const report = await registry.setupAll();
    expect(report.started).toEqual(['steady']);
    const quitter = report.unavailable.find((u) => u.plugin === 'quitter');
    expect(quitter?.error).toBeInstanceOf(PluginLoadError);
    expect(quitter?.error.message).toMatch(/process\.exit\(3\) in setup; refused/);
    expect(quitter?.error.hint).toMatch(/process_cpu_bound/);
    // Outside a plugin's setup, process.exit is the host's own again.
    expect(process.exit.name).not.toBe('guardedExit');
    await registry.teardownAll();
    registry.close();
  });
});

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Host processes the tests start; any still running after a test is killed. */
const hosts: ChildProcess[] = [];

afterEach(() => {
  for (const host of hosts.splice(0)) {
    if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
  }
});

interface HostRun {
  readonly pid: number;
  readonly code: number | null;
  /** When the process exited (`Date.now()`). */
  readonly at: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `source` as a host in a child process over the built package and the plugins in `plugins`. */
async function runHost(name: string, source: string, plugins: string): Promise<HostRun> {
  const file = join(root, name);
  await writeFile(file, source);
  const spawned = spawn(process.execPath, [file], {
    env: {
      ...process.env,
      REGISTRY_ENTRY: pathToFileURL(join(PACKAGE_DIR, 'dist/index.js')).href,
      PLUGINS: plugins,
      TOOL_KIND: JSON.stringify(TOOL),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  hosts.push(spawned);
  let stdout = '';
  let stderr = '';
  spawned.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  spawned.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const { code, at } = await new Promise<{ code: number | null; at: number }>((resolve) =>
    spawned.once('exit', (exitCode) => resolve({ code: exitCode, at: Date.now() })),
  );
  return { pid: spawned.pid as number, code, at, stdout, stderr };
}

const HOST_SOURCE = `
const { PluginRegistry } = await import(process.env.REGISTRY_ENTRY);
const registry = new PluginRegistry();
registry.registerKind(JSON.parse(process.env.TOOL_KIND));
await registry.discover(process.env.PLUGINS);
await registry.setupAll();
for (const s of registry.status()) {
  if (s.name.startsWith('spin-hook') && s.state === 'ready')
    await registry.call('tool', 'execute', {}, { target: s.name, timeoutMs: 200 }).catch(() => {});
}
await registry.teardownAll().catch(() => {});
registry.close();
process.stdout.write(JSON.stringify({ closed: Date.now(), states: registry.status().map((s) => [s.name, s.state]) }) + '\\n');
setImmediate(() => process.stderr.write(JSON.stringify(process.getActiveResourcesInfo()) + '\\n'));
`;

describe('a host with runaway plugins', () => {
  it('exits by itself within 5 s of close(), with every plugin thread and process gone', async () => {
    await forgetWhere(join(root, 'plugins'));
    const exit = await runHost('host.mjs', HOST_SOURCE, join(root, 'plugins'));
    expect(exit.code, exit.stderr).toBe(0);
    const report = JSON.parse(exit.stdout.trim()) as {
      closed: number;
      states: [string, string][];
    };
    expect(exit.at - report.closed, exit.stderr).toBeLessThan(5000);
    const states = Object.fromEntries(report.states);
    expect(states['spin-setup-thread']).toBe('unavailable');
    expect(states['ignore-teardown-process']).toBe('leaked');
    const wheres = CASES.map((c) => whereOf(join(root, 'plugins'), c.name));
    // The plugins that got ready ran in this host: their threads and processes are known.
    for (const [i, c] of CASES.entries()) {
      if (!failsToStart(c)) expect(wheres[i]?.pid, c.name).toBeDefined();
    }
    expect(await settle(wheres, exit.pid, 4000)).toEqual([]);
  });
});

const WAITING_HOST = `
const { PluginRegistry } = await import(process.env.REGISTRY_ENTRY);
const registry = new PluginRegistry({ healthChecks: false });
registry.registerKind(JSON.parse(process.env.TOOL_KIND));
await registry.discover(process.env.PLUGINS);
await registry.setupAll();
// Nothing but the plugins' own thread and process can keep this host alive now.
for (const name of ['slow-thread', 'slow-process']) {
  const out = await registry.call('tool', 'execute', { ms: 1500 }, { target: name });
  process.stdout.write(JSON.stringify({ name, out }) + '\\n');
}
await registry.teardownAll();
registry.close();
`;

describe('a host awaiting a long call of an isolated plugin', () => {
  it('stays alive until the answer comes (thread and process), then exits', async () => {
    const dir = join(root, 'slow');
    for (const [i, model] of (['thread_cpu_bound', 'process_cpu_bound'] as const).entries()) {
      const name = model === 'thread_cpu_bound' ? 'slow-thread' : 'slow-process';
      await mkdir(join(dir, name), { recursive: true });
      await writeFile(
        join(dir, name, 'plugin.mjs'),
        `export class Slow {
  execute(input) {
    const until = Date.now() + input.ms;
    while (Date.now() < until) {}
    return { done: true, model: ${JSON.stringify(model)} };
  }
}
`,
      );
      await writeFile(
        join(dir, name, 'dagstack.toml'),
        `[plugin]
schema_version = "1"
name = "${name}"
kind = "tool"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
execution_model = "${model}"
entry_point = "plugin:Slow"
priority = ${i}
`,
      );
    }
    const run = await runHost('waiting-host.mjs', WAITING_HOST, dir);
    // 13: Node's exit code for a top-level await that never settled (the loop ran dry).
    expect(run.code, run.stderr).toBe(0);
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { name: 'slow-thread', out: { done: true, model: 'thread_cpu_bound' } },
      { name: 'slow-process', out: { done: true, model: 'process_cpu_bound' } },
    ]);
  });
});
