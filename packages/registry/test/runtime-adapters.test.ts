// How the registry works with runtime adapters: registration-time check(),
// the kind's hookspec and a state-report callback in load(), reported states
// applied, and adapters closed by teardownAll().
import {
  type KindSpec,
  PluginLoadError,
  type PluginManifest,
  PluginUnavailable,
  type RuntimeAdapter,
  type RuntimeLoadOptions,
} from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import { PluginRegistry } from '../src/index.js';

const TOOL: KindSpec = {
  kind: 'tool',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'execute', dispatch: 'singleton', mcp_exposed: true }],
};

const manifest = (name: string, runtime: unknown, extra: Record<string, unknown> = {}) => ({
  schema_version: '1',
  name,
  kind: 'tool',
  kind_api_version: '1',
  core_version: '>=0.1.0,<1.0.0',
  runtime,
  url: 'http://127.0.0.1:9/mcp',
  ...extra,
});

/** A fake out-of-process runtime that records what the registry gives it. */
function fakeRuntime(refuse: (m: PluginManifest) => boolean = () => false) {
  const loads: RuntimeLoadOptions[] = [];
  let closed = 0;
  const adapter: RuntimeAdapter = {
    runtime: 'mcp_http',
    check: (m) =>
      refuse(m)
        ? new PluginLoadError('cannot run under mcp_http: refused by the test', {
            plugin: m.name,
            kind: m.kind,
          })
        : undefined,
    async load(m, options) {
      loads.push(options);
      return {
        manifest: m,
        runtime: 'mcp_http',
        hooks: new Set(['execute']),
        setup: async () => {},
        teardown: async () => true,
        health: async () => ({ status: 'ok' }),
        invoke: async (_hook, input) => ({ echoed: input }),
      };
    },
    close: async () => {
      closed += 1;
    },
  };
  return { adapter, loads, closed: () => closed };
}

describe('runtime adapters', () => {
  it('check() refuses a plugin at registration with the adapter reason', () => {
    const fake = fakeRuntime((m) => m.name === 'refused');
    const registry = new PluginRegistry({ runtimes: [fake.adapter], healthChecks: false });
    registry.registerKind(TOOL);
    registry.registerManifest(manifest('refused', 'mcp_http'));
    registry.registerManifest(manifest('fine', 'mcp_http'));
    const rows = Object.fromEntries(registry.status().map((r) => [r.name, r]));
    expect(rows.refused?.state).toBe('unavailable');
    expect(rows.refused?.error?.message).toContain('refused by the test');
    expect(rows.fine?.state).toBe('registered');
    expect(rows.fine?.runtime).toBe('mcp_http');
  });

  it('a refused runtime falls back to the next declared runtime', () => {
    const fake = fakeRuntime(() => true);
    const registry = new PluginRegistry({ runtimes: [fake.adapter], healthChecks: false });
    registry.registerManifest(
      manifest('both', ['mcp_http', 'in_process'], { entry_point: 'plugin:Thing' }),
    );
    expect(registry.status()[0]).toMatchObject({ state: 'registered', runtime: 'in_process' });
  });

  it("load() gets the kind's hookspec; reported states apply while the plugin is started", async () => {
    const fake = fakeRuntime();
    const registry = new PluginRegistry({ runtimes: [fake.adapter], healthChecks: false });
    registry.registerKind(TOOL);
    registry.registerManifest(manifest('remote', 'mcp_http'));
    const changes: string[] = [];
    registry.on('state', (c) => changes.push(`${c.from}->${c.to}`));
    await registry.setupAll();
    const options = fake.loads[0] as RuntimeLoadOptions;
    expect(options.kindSpec).toBe(TOOL);
    const crash = new PluginUnavailable({ plugin: 'remote', state: 'degraded', reason: 'crashed' });
    options.onStateChange?.('degraded', crash);
    expect(registry.status()[0]).toMatchObject({
      state: 'degraded',
      error: { message: crash.message },
    });
    options.onStateChange?.('ready');
    expect(registry.status()[0]?.state).toBe('ready');
    options.onStateChange?.('unavailable', crash);
    expect(registry.status()[0]?.state).toBe('unavailable');
    await expect(registry.call('tool', 'execute', {})).rejects.toThrow();
    // Made unavailable by its runtime: the runtime may bring it back (a
    // service that came back), and it is callable again.
    options.onStateChange?.('ready');
    expect(registry.status()[0]?.state).toBe('ready');
    expect(await registry.call('tool', 'execute', { n: 1 })).toEqual({ echoed: { n: 1 } });
    // After teardown, reports are ignored.
    await registry.teardownAll();
    options.onStateChange?.('ready');
    expect(registry.status()[0]?.state).toBe('stopped');
    expect(changes).toEqual([
      'registered->starting',
      'starting->ready',
      'ready->degraded',
      'degraded->ready',
      'ready->unavailable',
      'unavailable->ready',
      'ready->stopping',
      'stopping->stopped',
    ]);
  });

  it('a report made while the plugin starts is applied when setup returns (a service not reachable yet)', async () => {
    let options: RuntimeLoadOptions | undefined;
    const down = new PluginUnavailable({
      plugin: 'remote',
      state: 'unavailable',
      reason: 'not reachable',
    });
    const adapter: RuntimeAdapter = {
      runtime: 'mcp_http',
      async load(m, o) {
        options = o;
        return {
          manifest: m,
          runtime: 'mcp_http',
          hooks: new Set(['execute']),
          // The runtime knows during setup that the service is down.
          setup: async () => o.onStateChange?.('unavailable', down),
          teardown: async () => true,
          health: async () => ({ status: 'ok' }),
          invoke: async () => 'served',
        };
      },
    };
    const registry = new PluginRegistry({ runtimes: [adapter], healthChecks: false });
    registry.registerKind(TOOL);
    registry.registerManifest(manifest('remote', 'mcp_http'));
    const changes: string[] = [];
    registry.on('state', (c) => changes.push(`${c.from}->${c.to}`));
    const report = await registry.setupAll();
    expect(report.unavailable.map((u) => u.plugin)).toEqual(['remote']);
    expect(registry.status()[0]).toMatchObject({
      state: 'unavailable',
      error: { message: down.message },
    });
    // Never `ready` in between.
    expect(changes).toEqual(['registered->starting', 'starting->unavailable']);
    // The service comes back: the runtime revives it.
    options?.onStateChange?.('ready');
    expect(await registry.call('tool', 'execute', {})).toBe('served');
    await registry.teardownAll();
  });

  it('a plugin that failed its own setup is not revived by runtime reports', async () => {
    let options: RuntimeLoadOptions | undefined;
    const adapter: RuntimeAdapter = {
      runtime: 'mcp_http',
      async load(m, o) {
        options = o;
        return {
          manifest: m,
          runtime: 'mcp_http',
          hooks: new Set(['execute']),
          setup: async () => {
            throw new Error('bad config');
          },
          teardown: async () => true,
          health: async () => ({ status: 'ok' }),
          invoke: async () => 'never',
        };
      },
    };
    const registry = new PluginRegistry({ runtimes: [adapter], healthChecks: false });
    registry.registerKind(TOOL);
    registry.registerManifest(manifest('remote', 'mcp_http'));
    await registry.setupAll();
    expect(registry.status()[0]?.state).toBe('unavailable');
    options?.onStateChange?.('ready');
    expect(registry.status()[0]?.state).toBe('unavailable');
    expect(registry.status()[0]?.error?.message).toContain('bad config');
  });

  it('teardownAll() closes every adapter once the plugins are torn down', async () => {
    const fake = fakeRuntime();
    const registry = new PluginRegistry({ runtimes: [fake.adapter], healthChecks: false });
    registry.registerKind(TOOL);
    registry.registerManifest(manifest('remote', 'mcp_http'));
    await registry.setupAll();
    await registry.teardownAll();
    expect(registry.status()[0]?.state).toBe('stopped');
    expect(fake.closed()).toBe(1);
  });
});
