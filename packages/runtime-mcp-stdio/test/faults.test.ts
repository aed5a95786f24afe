// Fault tests with real child processes: crashes, hangs, oversize messages,
// garbage on stdout, grandchildren, bad commands, 20 plugins at once. Every
// process a test starts is reaped in afterEach, even when the test fails.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isHookTimeout,
  isPluginInvocationError,
  isPluginLoadError,
  isPluginUnavailable,
  isSerializationError,
  type PluginInvocationError,
  type PluginUnavailable,
} from '@dagstack/plugin-api';
import type { StateChange } from '@dagstack/plugin-registry';
import { afterEach, describe, expect, it } from 'vitest';
import {
  alive,
  closeAll,
  FIXTURES,
  KINDS,
  type LogRecord,
  makeRegistry,
  memoryLogger,
  reap,
  stdioManifest,
  waitForState,
} from './helpers.js';

const FAULTY = join(FIXTURES, 'faulty', 'server.mjs');
const SUITE = join(FIXTURES, 'suite', 'server.mjs');
const started = new Set<number>();

afterEach(async () => {
  await closeAll();
  reap(started);
  started.clear();
});

async function pidOf(registry: ReturnType<typeof makeRegistry>['registry'], name = 'f1') {
  const { pid } = (await registry.call('faulty', 'pid', {}, { target: name })) as { pid: number };
  started.add(pid);
  return pid;
}

async function faulty(
  options: Parameters<typeof makeRegistry>[1] = {},
  env: Record<string, string> = {},
  records: LogRecord[] = [],
) {
  const made = makeRegistry({ logger: memoryLogger(records) }, options);
  made.registry.registerKind(KINDS.faulty);
  made.registry.registerManifest(stdioManifest('f1', 'faulty', FAULTY, {}, { env }), undefined, {
    dir: join(FIXTURES, 'faulty'),
  });
  const changes: StateChange[] = [];
  made.registry.on('state', (change) => changes.push(change));
  const report = await made.registry.setupAll();
  expect(report.unavailable).toEqual([]);
  return { ...made, changes, records };
}

describe('a crashing child', () => {
  it('kill -9 mid-call rejects every in-flight call at once; the next call after the restart succeeds', async () => {
    const { registry, changes } = await faulty({ restart: { initialDelayMs: 50 } });
    const before = await pidOf(registry);
    const inFlight = [1, 2, 3].map((i) =>
      registry.call('faulty', 'sleep', { ms: 60_000, i }).catch((e: unknown) => e),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const killedAt = performance.now();
    process.kill(before, 'SIGKILL');
    const errors = (await Promise.all(inFlight)) as PluginUnavailable[];
    const elapsed = performance.now() - killedAt;
    console.log(`[measure] 3 in-flight calls rejected ${elapsed.toFixed(1)} ms after kill -9`);
    for (const error of errors) {
      expect(isPluginUnavailable(error)).toBe(true);
      expect(error.signal).toBe('SIGKILL');
      expect(error.plugin).toBe('f1');
      expect(error.message).toContain('was killed by SIGKILL');
    }
    await waitForState(registry, 'f1', 'ready');
    expect(changes.map((c) => c.to)).toEqual(expect.arrayContaining(['degraded', 'ready']));
    const after = await pidOf(registry);
    expect(after).not.toBe(before);
    expect(alive(before)).toBe(false);
    await expect(registry.call('faulty', 'echo', { x: 1 })).resolves.toMatchObject({
      input: { x: 1 },
    });
  });

  it('goes unavailable after repeated failed restarts, with the reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dagstack-stdio-'));
    try {
      const crashFile = join(dir, 'crash');
      const { registry, runtime } = await faulty(
        { restart: { maxAttempts: 2, initialDelayMs: 20 } },
        { FAULTY_CRASH_FILE: crashFile },
      );
      const pid = await pidOf(registry);
      await writeFile(crashFile, 'every setup exits now');
      process.kill(pid, 'SIGKILL');
      await waitForState(registry, 'f1', 'unavailable');
      const row = registry.status()[0];
      expect(row?.error?.code).toBe('PLUGIN_UNAVAILABLE');
      expect(row?.error?.message).toMatch(
        /failed 3 times in a row; the runtime stopped restarting/,
      );
      expect(runtime.processes()).toMatchObject([
        { plugin: 'f1', state: 'failed', pid: undefined },
      ]);
      const error = await registry
        .getPlugin<{ pid(): Promise<unknown> }>('faulty', 'f1')
        .pid()
        .catch((e: unknown) => e);
      expect(isPluginUnavailable(error)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('timeouts', () => {
  it('a call that hangs past its deadline rejects with HookTimeout; the plugin keeps serving', async () => {
    const { registry } = await faulty();
    const pid = await pidOf(registry);
    const error = await registry
      .call('faulty', 'hang', {}, { timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(isHookTimeout(error)).toBe(true);
    expect(await pidOf(registry)).toBe(pid);
  });

  it('the runtime call limit applies when the caller gives none', async () => {
    const { registry } = await faulty({ callTimeoutMs: 200 });
    const error = await registry.call('faulty', 'hang', {}).catch((e: unknown) => e);
    expect(isHookTimeout(error)).toBe(true);
    expect((error as { timeoutMs: number }).timeoutMs).toBe(200);
  });
});

describe('message size', () => {
  const limit = 256 * 1024;

  it('an oversize result from servePlugin becomes a typed tool error', async () => {
    const { registry } = await faulty(
      { maxMessageBytes: limit },
      { FAULTY_MAX_BYTES: String(limit) },
    );
    const pid = await pidOf(registry);
    const error = (await registry
      .call('faulty', 'big', { bytes: 1024 * 1024 })
      .catch((e: unknown) => e)) as PluginInvocationError;
    expect(isPluginInvocationError(error)).toBe(true);
    expect(error.remoteName).toBe('MessageTooLarge');
    expect(error.message).toContain(`over the message limit of ${limit} bytes`);
    expect(await pidOf(registry)).toBe(pid);
  });

  it('a child that floods stdout past the limit is ended and restarted; host memory stays bounded', async () => {
    const { registry } = await faulty({ maxMessageBytes: limit, restart: { initialDelayMs: 20 } });
    const pid = await pidOf(registry);
    const error = (await registry
      .call('faulty', 'raw_big', { bytes: 4 * 1024 * 1024 })
      .catch((e: unknown) => e)) as PluginUnavailable;
    expect(isPluginUnavailable(error)).toBe(true);
    expect(error.message).toContain(`larger than the limit of ${limit} bytes`);
    await waitForState(registry, 'f1', 'ready');
    expect(await pidOf(registry)).not.toBe(pid);
  });

  it('an oversize request is refused before it is sent', async () => {
    const { registry } = await faulty({ maxMessageBytes: limit });
    const pid = await pidOf(registry);
    const error = await registry
      .call('faulty', 'echo', { blob: 'z'.repeat(limit) })
      .catch((e: unknown) => e);
    expect(isSerializationError(error)).toBe(true);
    expect((error as Error).message).toContain('over the message limit');
    expect(await pidOf(registry)).toBe(pid);
  });
});

describe('stdout garbage and logging', () => {
  it('a non-protocol line on stdout is a logged error and a degraded plugin, not a host crash', async () => {
    const records: LogRecord[] = [];
    const { registry, changes } = await faulty({}, {}, records);
    await expect(registry.call('faulty', 'garbage', {})).resolves.toEqual({ ok: true });
    const logged = records.find((r) => r.message.includes('not an MCP message'));
    expect(logged?.level).toBe('error');
    expect(logged?.fields?.['plugin.name']).toBe('f1');
    expect(changes.find((c) => c.to === 'degraded')?.error?.message).toMatch(
      /stdout carried output that is not an MCP message/,
    );
    // Still serving, and a good health check brings it back to ready.
    await expect(registry.call('faulty', 'echo', { y: 2 })).resolves.toMatchObject({
      input: { y: 2 },
    });
    await expect(registry.checkHealth('f1')).resolves.toEqual({ status: 'ok' });
    expect(registry.status()[0]?.state).toBe('ready');
  });

  it("the child's stderr reaches the plugin's logger line by line", async () => {
    const records: LogRecord[] = [];
    const { registry } = makeRegistry({ logger: memoryLogger(records) });
    registry.registerKind(KINDS.tool);
    registry.registerManifest(stdioManifest('calc', 'tool', join(FIXTURES, 'calc', 'server.mjs')));
    await registry.setupAll();
    await expect(
      registry.call('tool', 'execute', { function: 'mul', args: { a: 6, b: 7 } }),
    ).resolves.toEqual({ result: 42, trace: null });
    await expect
      .poll(() => records.find((r) => r.message === 'executing mul'))
      .toMatchObject({ level: 'info', fields: { stream: 'stderr', 'plugin.name': 'calc' } });
  });
});

describe('environment and working directory', () => {
  it('the child gets a minimal environment plus the manifest env, in the plugin folder', async () => {
    process.env.DAGSTACK_TEST_HOST_SECRET = 'do-not-leak';
    try {
      const { registry } = await faulty({}, { FROM_MANIFEST: 'yes' });
      const { env } = (await registry.call('faulty', 'echo', {})) as {
        env: { secret: string | null; fromManifest: string | null; cwd: string };
      };
      expect(env).toEqual({ secret: null, fromManifest: 'yes', cwd: join(FIXTURES, 'faulty') });
    } finally {
      delete process.env.DAGSTACK_TEST_HOST_SECRET;
    }
  });
});

describe('shutdown', () => {
  it('teardownAll leaves no process: the plugin and its grandchild are gone (checked by pid)', async () => {
    const { registry, runtime } = await faulty();
    const pid = await pidOf(registry);
    const { pid: grandchild } = (await registry.call('faulty', 'spawn_child', {})) as {
      pid: number;
    };
    started.add(grandchild);
    expect(alive(pid)).toBe(true);
    expect(alive(grandchild)).toBe(true);
    await registry.teardownAll();
    expect(registry.status()[0]?.state).toBe('stopped');
    expect(alive(pid)).toBe(false);
    expect(alive(grandchild)).toBe(false);
    expect(runtime.processes()).toEqual([]);
  });

  it('20 plugins start in parallel, all answer, and none is left after teardownAll', async () => {
    const { registry, runtime } = makeRegistry();
    registry.registerKind(KINDS.suite);
    const names = Array.from({ length: 20 }, (_, i) => `p${String(i + 1).padStart(2, '0')}`);
    names.forEach((name, i) => {
      registry.registerManifest(stdioManifest(name, 'suite', SUITE, { priority: i }));
    });
    const t0 = performance.now();
    const report = await registry.setupAll();
    console.log(
      `[measure] cold start of 20 mcp_stdio plugins: ${(performance.now() - t0).toFixed(0)} ms`,
    );
    expect(report.unavailable).toEqual([]);
    expect(report.started).toHaveLength(20);
    const pids = runtime.processes().map((p) => p.pid as number);
    for (const pid of pids) started.add(pid);
    expect(new Set(pids).size).toBe(20);
    const answers = await Promise.all(
      names.map((name) => registry.call('suite', 'single', { text: name }, { target: name })),
    );
    expect(answers.map((a) => (a as { echo: string }).echo)).toEqual(names);
    await registry.teardownAll();
    expect(pids.filter(alive)).toEqual([]);
  });
});

describe('refusals and start-up failures', () => {
  it('a kind whose hookspec is in_process_only is refused at registration', () => {
    const { registry } = makeRegistry();
    registry.registerKind({ ...KINDS.faulty, constraints: { in_process_only: true } });
    registry.registerManifest(stdioManifest('f1', 'faulty', FAULTY));
    const row = registry.status()[0];
    expect(row?.state).toBe('unavailable');
    expect(row?.error?.code).toBe('PLUGIN_LOAD_ERROR');
    expect(row?.error?.message).toMatch(
      /cannot run under mcp_stdio: the "faulty" hookspec is in_process_only/,
    );
  });

  it('a served hook marked mcp_exposed: false is refused after the handshake, with the reason', async () => {
    const { registry, runtime } = makeRegistry();
    registry.registerKind(KINDS.faulty);
    registry.registerManifest(
      stdioManifest('f1', 'faulty', FAULTY, {}, { env: { FAULTY_LIVE_STREAM: '1' } }),
    );
    const report = await registry.setupAll();
    const error = report.unavailable[0]?.error;
    expect(isPluginLoadError(error)).toBe(true);
    expect(error?.message).toMatch(/"live_stream", marked mcp_exposed: false/);
    expect(runtime.processes()).toEqual([]);
  });

  it('a command that does not exist, a child that exits, a child that never answers', async () => {
    const { registry, runtime } = makeRegistry();
    registry.registerKind(KINDS.faulty);
    registry.registerManifest(
      stdioManifest('missing', 'faulty', ['dagstack-no-such-program'], { priority: 1 }),
    );
    registry.registerManifest(
      stdioManifest(
        'exits',
        'faulty',
        [process.execPath, '-e', 'console.error("bad config: no API key"); process.exit(3)'],
        { priority: 2 },
      ),
    );
    registry.registerManifest(
      stdioManifest('silent', 'faulty', [process.execPath, '-e', 'setInterval(() => {}, 1000)'], {
        startup_timeout_sec: 1,
        priority: 3,
      }),
    );
    const report = await registry.setupAll();
    const errors = Object.fromEntries(report.unavailable.map((u) => [u.plugin, u.error]));
    expect(errors.missing?.message).toMatch(/cannot start "dagstack-no-such-program"/);
    expect(errors.missing?.hint).toMatch(/must exist on PATH/);
    expect(errors.exits?.message).toMatch(/exited with code 3 during start-up/);
    expect(errors.exits?.hint).toContain('bad config: no API key');
    expect(isHookTimeout(errors.silent)).toBe(true);
    // The runtime ends the silent child itself once its handshake limit passes.
    await expect.poll(() => runtime.processes(), { timeout: 10_000 }).toEqual([]);
  });
});
