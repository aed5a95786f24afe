// Registration checks, calls through the registry, context, health, config,
// supply-chain flags and status().
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type HookCall,
  isAmbiguousPlugin,
  isConfigInvalid,
  isHookCancelled,
  isKindUnknown,
  isManifestInvalid,
  isPluginUnavailable,
  type KindSpec,
  type PluginContext,
} from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CORE_VERSION, PluginRegistry } from '../src/index.js';
import { behaviour, writePlugin } from './fixtures.js';

const TOOL: KindSpec = {
  kind: 'tool',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'execute', dispatch: 'singleton', mcp_exposed: true }],
};

const inline = (name: string, extra: Record<string, unknown> = {}) => ({
  schema_version: '1',
  name,
  kind: 'tool',
  kind_api_version: '1',
  core_version: '>=0.1.0,<1.0.0',
  runtime: 'in_process',
  ...extra,
});

let root: string;
const registries: PluginRegistry[] = [];
const make = (options: ConstructorParameters<typeof PluginRegistry>[0] = {}): PluginRegistry => {
  const registry = new PluginRegistry({ healthChecks: false, env: {}, ...options });
  registries.push(registry);
  return registry;
};
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'dagstack-registry-'));
});
afterEach(async () => {
  for (const r of registries.splice(0)) r.close();
  await rm(root, { recursive: true, force: true });
});

describe('registration', () => {
  it('throws ManifestInvalid with every problem for an invalid manifest', () => {
    const registry = make();
    const error = (() => {
      try {
        registry.registerManifest({ name: 'Bad Name', runtime: 'in-process' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isManifestInvalid(error)).toBe(true);
    expect(
      (error as { problems: { pointer: string }[] }).problems.map((p) => p.pointer).sort(),
    ).toEqual(['/core_version', '/kind', '/name', '/runtime']);
  });

  it('refuses a second plugin with the same kind and name', () => {
    const registry = make();
    registry.registerManifest(inline('echo'));
    expect(() => registry.registerManifest(inline('echo'))).toThrow(/more than one manifest/);
    try {
      registry.registerManifest(inline('echo'));
    } catch (error) {
      expect(isAmbiguousPlugin(error)).toBe(true);
    }
  });

  it('registers incompatible plugins as unavailable with the reason, in ADR-0001 order', () => {
    const registry = make({ coreVersion: '0.4.0', strictKinds: true });
    registry.registerKind(TOOL);
    registry.registerManifest(inline('too-new', { core_version: '>=2.0' }));
    registry.registerManifest(inline('old-api', { kind_api_version: '2' }));
    registry.registerManifest({ ...inline('elsewhere'), kind: 'unknown_kind' });
    registry.registerManifest(
      inline('remote', { runtime: 'mcp_http', url: 'http://127.0.0.1:9/mcp' }),
    );
    registry.registerManifest(inline('fine'));
    const rows = Object.fromEntries(registry.status().map((s) => [s.name, s]));
    expect(rows.fine?.state).toBe('registered');
    expect(rows['too-new']?.state).toBe('unavailable');
    expect(rows['too-new']?.error?.code).toBe('VERSION_INCOMPATIBLE');
    expect(rows['too-new']?.error?.message).toContain('0.4.0');
    expect(rows['old-api']?.error?.details).toMatchObject({
      axis: 'kind_api',
      required: '2',
      actual: '1.0.0',
    });
    expect(rows.elsewhere?.error?.code).toBe('KIND_UNKNOWN');
    expect(rows.remote?.error?.code).toBe('RUNTIME_NOT_SUPPORTED');
    expect(rows.remote?.error?.message).toContain('mcp_http');
  });

  it('keeps its core version equal to the package version', async () => {
    const pkg = JSON.parse(
      await (await import('node:fs/promises')).readFile(
        new URL('../package.json', import.meta.url),
        'utf8',
      ),
    );
    expect(CORE_VERSION).toBe(pkg.version);
  });

  it('flags plugins whose publisher is not on the allow-list and audits capabilities', () => {
    const registry = make({ env: { DAGSTACK_PLUGIN_TRUSTED_PUBLISHERS: 'acme, dagstack' } });
    registry.registerManifest(inline('trusted', { maintainer: 'acme', capabilities: ['network'] }));
    registry.registerManifest(
      inline('stranger', {
        maintainer: 'someone',
        capabilities: ['subprocess', 'filesystem.write'],
      }),
    );
    registry.registerManifest(inline('declared', { metadata: { publisher: 'dagstack' } }));
    const flags = Object.fromEntries(registry.status().map((s) => [s.name, s.untrusted]));
    expect(flags).toEqual({ declared: false, stranger: true, trusted: false });
    expect(registry.auditLog().find((a) => a.plugin === 'stranger')).toEqual({
      plugin: 'stranger',
      kind: 'tool',
      capabilities: ['subprocess', 'filesystem.write'],
      untrusted: true,
    });
  });
});

describe('remote and package sources', () => {
  const remoteToml = (name: string, runtime: string) =>
    [
      '[plugin]',
      'schema_version = "1"',
      `name = "${name}"`,
      'kind = "tool"',
      'kind_api_version = "1"',
      'core_version = ">=0.1.0,<1.0.0"',
      `runtime = "${runtime}"`,
      runtime === 'mcp_http'
        ? '[plugin.mcp_http]\nurl = "http://127.0.0.1:9/mcp"'
        : 'entry_point = "./plugin.js#P"',
      '',
    ].join('\n');

  it('discoverRemote registers plugins_registry/ entries and DAGSTACK_REMOTE_PLUGINS (from the registry env); local code is refused', async () => {
    await mkdir(join(root, 'plugins_registry'));
    await writeFile(
      join(root, 'plugins_registry', 'search.toml'),
      remoteToml('search', 'mcp_http'),
    );
    await writeFile(
      join(root, 'plugins_registry', 'local.toml'),
      remoteToml('local', 'in_process'),
    );
    const fromEnv = {
      plugin: {
        schema_version: '1',
        name: 'env-search',
        kind: 'tool',
        kind_api_version: '1',
        core_version: '>=0.1.0,<1.0.0',
        runtime: 'mcp_http',
        mcp_http: { url: 'http://127.0.0.1:9/mcp' },
      },
    };
    const registry = make({ env: { DAGSTACK_REMOTE_PLUGINS: JSON.stringify(fromEnv) } });
    const result = await registry.discoverRemote({ dir: root });
    expect(result.entries.map((e) => e.manifest.name).sort()).toEqual(['env-search', 'search']);
    expect(
      registry
        .status()
        .map((r) => `${r.name}:${r.state}:${JSON.stringify(r.error?.details)}`)
        .sort(),
    ).toEqual([
      // Registered; this registry has no mcp_http runtime, so they are unavailable with the reason.
      'env-search:unavailable:{"requested":["mcp_http"],"available":["in_process"]}',
      'search:unavailable:{"requested":["mcp_http"],"available":["in_process"]}',
    ]);
    const refused = registry.discoveryFailures();
    expect(refused).toHaveLength(1);
    expect(refused[0]?.path).toContain('local.toml');
    expect(refused[0]?.error.message).toMatch(/must use the mcp_stdio or mcp_http runtime/);
  });

  it('discoverPackages registers npm packages that declare a dagstack manifest', async () => {
    const pkg = join(root, 'node_modules', '@acme', 'dagstack-echo');
    await mkdir(pkg, { recursive: true });
    await writeFile(
      join(pkg, 'package.json'),
      JSON.stringify({
        name: '@acme/dagstack-echo',
        version: '1.2.3',
        dagstack: {
          manifest: {
            schema_version: '1',
            name: 'pkg-echo',
            kind: 'tool',
            kind_api_version: '1',
            core_version: '>=0.1.0,<1.0.0',
            runtime: 'in_process',
            entry_point: './index.js#Echo',
          },
        },
      }),
    );
    await writeFile(
      join(pkg, 'index.js'),
      'export class Echo { execute(input) { return { result: input.args } } }\n',
    );
    const registry = make();
    registry.registerKind(TOOL);
    const result = await registry.discoverPackages(root);
    expect(result.entries.map((e) => e.manifest.name)).toEqual(['pkg-echo']);
    const report = await registry.setupAll();
    expect(report.started).toEqual(['pkg-echo']);
    expect(await registry.call('tool', 'execute', { args: { a: 1 } })).toEqual({
      result: { a: 1 },
    });
    await registry.teardownAll();
  });
});

describe('calls', () => {
  class Echo {
    ctx?: PluginContext;
    setup(ctx: PluginContext): void {
      this.ctx = ctx;
    }
    execute(input: { msg: string }, call: { metadata: { tenant_id?: string } }) {
      return { echoed: input.msg, tenant: call.metadata.tenant_id };
    }
  }

  it('calls through getPlugin() and call(), with metadata reaching the plugin', async () => {
    const registry = make();
    registry.registerKind(TOOL);
    registry.registerManifest(inline('echo'));
    registry.attachPlugin('echo', new Echo());
    await registry.setupAll();
    const echo = registry.getPlugin('tool', 'echo');
    expect(await echo.execute?.({ msg: 'hello' })).toEqual({ echoed: 'hello', tenant: undefined });
    expect(
      await registry.call('tool', 'execute', { msg: 'x' }, { metadata: { tenant_id: 't-1' } }),
    ).toEqual({
      echoed: 'x',
      tenant: 't-1',
    });
    expect(registry.getLoadedPlugins().map((c) => c.name)).toEqual(['echo']);
  });

  it('refuses calls to a plugin that is not ready, and to unknown kinds', async () => {
    const registry = make();
    registry.registerKind(TOOL);
    registry.registerManifest(inline('sleepy'));
    registry.attachPlugin('sleepy', new Echo());
    const proxy = registry.getPlugin('tool', 'sleepy');
    const error = await proxy.execute?.({ msg: 'x' }).catch((e: unknown) => e);
    expect(isPluginUnavailable(error)).toBe(true);
    expect((error as Error).message).toContain('registered');
    expect(() => registry.getPlugin('nope')).toThrow();
    const unknown = await registry.call('nope', 'x', {}).catch((e: unknown) => e);
    expect(isKindUnknown(unknown)).toBe(true);
  });

  it('registers an object carrying its own manifest', async () => {
    class Carried extends Echo {
      static manifest = inline('carried');
    }
    const registry = make();
    registry.registerKind(TOOL);
    registry.register(new Carried());
    await registry.setupAll();
    expect(await registry.getPlugin('tool').execute?.({ msg: 'm' })).toMatchObject({ echoed: 'm' });
  });
});

describe('context, config and resources', () => {
  it('gives setup a validated config with schema defaults and a bound logger', async () => {
    const records: unknown[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: () => {},
      child: (fields: Record<string, unknown>) => ({
        debug: () => {},
        info: (msg: string, more?: Record<string, unknown>) =>
          records.push({ msg, ...fields, ...more }),
        warn: () => {},
        error: () => {},
      }),
    };
    let seen: PluginContext | undefined;
    const registry = make({ logger, config: { tool: { cfg: { retries: 2 } } } });
    registry.registerManifest(
      inline('cfg', {
        version: '1.2.3',
        config_schema: {
          type: 'object',
          properties: { retries: { type: 'integer' }, mode: { type: 'string', default: 'fast' } },
          required: ['retries'],
        },
      }),
    );
    registry.attachPlugin('cfg', {
      setup(ctx: PluginContext) {
        seen = ctx;
        ctx.logger.info('hello', { extra: 1 });
      },
    });
    await registry.setupAll();
    expect(seen?.config).toEqual({ retries: 2, mode: 'fast' });
    expect(Object.isFrozen(seen?.config)).toBe(true);
    expect(records).toEqual([
      {
        msg: 'hello',
        'plugin.name': 'cfg',
        'plugin.kind': 'tool',
        'plugin.version': '1.2.3',
        extra: 1,
      },
    ]);
  });

  it('makes a plugin with an invalid config unavailable, naming the field', async () => {
    const registry = make({ config: { 'tool.strict': { retries: 'many' } } });
    registry.registerManifest(
      inline('strict', {
        config_schema: { type: 'object', properties: { retries: { type: 'integer' } } },
      }),
    );
    registry.attachPlugin('strict', {});
    const report = await registry.setupAll();
    expect(isConfigInvalid(report.unavailable[0]?.error)).toBe(true);
    expect(report.unavailable[0]?.error.message).toContain('/retries');
  });

  it('pushes configuration changes to onConfigChange and keeps the last valid one', async () => {
    let current: Record<string, unknown> = { tool: { live: { level: 1 } } };
    let notify: (() => void) | undefined;
    const source = {
      get: (kind: string, name: string) => (current[kind] as Record<string, unknown>)[name],
      subscribe: (listener: () => void) => {
        notify = listener;
        return () => {
          notify = undefined;
        };
      },
    };
    const seen: unknown[] = [];
    const registry = make({ config: source });
    registry.registerManifest(
      inline('live', {
        config_schema: { type: 'object', properties: { level: { type: 'integer' } } },
      }),
    );
    registry.attachPlugin('live', {
      setup(ctx: PluginContext) {
        ctx.onConfigChange((config) => seen.push(config));
      },
    });
    await registry.setupAll();
    current = { tool: { live: { level: 2 } } };
    notify?.();
    current = { tool: { live: { level: 'bad' } } };
    notify?.();
    expect(seen).toEqual([{ level: 2 }]);
  });

  it('makes a plugin unavailable when a required resource is missing, and refuses undeclared ones', async () => {
    const registry = make({ resources: { clock: { now: () => 0 } } });
    registry.registerManifest(inline('needs', { resources: { required: ['blob_store'] } }));
    registry.attachPlugin('needs', {});
    let denied: unknown;
    registry.registerManifest(inline('curious', { resources: { optional: ['rng'] } }));
    registry.attachPlugin('curious', {
      setup(ctx: PluginContext) {
        try {
          ctx.resources.get('clock');
        } catch (error) {
          denied = error;
        }
      },
    });
    const report = await registry.setupAll();
    expect(report.unavailable.map((u) => u.plugin)).toEqual(['needs']);
    expect(report.unavailable[0]?.error.message).toContain('blob_store');
    expect((denied as Error).message).toContain('[plugin.resources]');
  });
});

describe('health', () => {
  it('goes degraded on a failing check, unavailable after repeated failures, and recovers on success', async () => {
    await writePlugin(root, { name: 'sick' });
    const flags: Record<string, Record<string, unknown>> = { sick: {} };
    const registry = make({
      resources: { journal: [] },
      config: { get: (_k: string, name: string) => ({ name, ...flags[name] }) },
      healthFailureThreshold: 2,
    });
    await registry.discover(root);
    await registry.setupAll();
    flags.sick = { unhealthy: true };
    // The plugin reads its config at setup; reload so it sees the new flag.
    await registry.reload('sick');
    expect((await registry.checkHealth('sick'))?.status).toBe('failing');
    expect(registry.status()[0]?.state).toBe('degraded');
    expect((await registry.checkHealth('sick'))?.status).toBe('failing');
    expect(registry.status()[0]?.state).toBe('unavailable');
    flags.sick = {};
    await registry.reload('sick');
    expect(registry.status()[0]?.state).toBe('ready');
    expect((await registry.checkHealth('sick'))?.status).toBe('ok');
  });
});

describe('status', () => {
  it('reports a mixed tree with content hashes that change with the files', async () => {
    await writePlugin(root, { name: 'alpha' });
    await writePlugin(root, { name: 'beta', dependsOn: ['alpha'] });
    await writePlugin(root, { name: 'gamma', dependsOn: ['ghost'] });
    await writeFile(join(root, 'broken.toml'), 'not a plugin folder');
    const registry = make({
      resources: { journal: [] },
      config: behaviour({}, ['alpha', 'beta', 'gamma']),
    });
    await registry.discover(root);
    await registry.setupAll();
    const rows = registry.status();
    expect(rows.map((r) => [r.name, r.state, r.runtime, r.dependsOn])).toEqual([
      ['alpha', 'ready', 'in_process', []],
      ['beta', 'ready', 'in_process', ['alpha']],
      ['gamma', 'unavailable', 'in_process', ['ghost']],
    ]);
    const hash = rows[0]?.contentHash;
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(rows[1]?.contentHash).not.toBe(hash);
    await registry.teardownAll();
    await writeFile(join(root, 'alpha', 'plugin.js'), '// changed\nexport class Behaving {}');
    const again = make({ resources: { journal: [] }, config: behaviour({}, ['alpha']) });
    await again.discover(join(root, 'alpha'));
    await again.setupAll();
    expect(again.status()[0]?.contentHash).not.toBe(hash);
  });

  it('emits state changes', async () => {
    const registry = make();
    const seen: string[] = [];
    registry.on('state', (c) => seen.push(`${c.name}:${c.from}->${c.to}`));
    registry.registerManifest(inline('e'));
    registry.attachPlugin('e', {});
    await registry.setupAll();
    await registry.teardownAll();
    expect(seen).toEqual([
      'e:registered->starting',
      'e:starting->ready',
      'e:ready->stopping',
      'e:stopping->stopped',
    ]);
  });

  it('says which runtimes exist when none fits', () => {
    const registry = make();
    registry.registerManifest(inline('s', { runtime: 'mcp_stdio', command: ['node', 'x.js'] }));
    const row = registry.status()[0];
    expect(row?.state).toBe('unavailable');
    expect(row?.error?.details).toEqual({ requested: ['mcp_stdio'], available: ['in_process'] });
  });
});

describe('in-flight operations and hook names', () => {
  it('lists in-flight calls and cancels them when teardown runs out of patience', async () => {
    let ctx: PluginContext | undefined;
    let sawAbort = false;
    const registry = make();
    registry.registerKind(TOOL);
    registry.registerManifest(inline('busy', { teardown_timeout_sec: 0.2 }));
    registry.attachPlugin('busy', {
      setup(c: PluginContext) {
        ctx = c;
      },
      execute(_input: unknown, call: { signal: AbortSignal }) {
        return new Promise((_resolve, reject) => {
          call.signal.addEventListener('abort', () => {
            sawAbort = true;
            reject(new Error('stopped'));
          });
        });
      },
    });
    await registry.setupAll();
    const pending = registry.call('tool', 'execute', {}).catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    expect(ctx?.inFlight().map((op) => op.hook)).toEqual(['execute']);
    await registry.teardownAll();
    expect(sawAbort).toBe(true);
    expect(await pending).toBeInstanceOf(Error);
    expect(ctx?.inFlight()).toEqual([]);
    expect(registry.status()[0]?.state).toBe('stopped');
  });

  it('a call cancelled before its plugin reads the signal sees it aborted; the caller gets the reason; the call serialises without it', async () => {
    let ctx: PluginContext | undefined;
    let release: () => void = () => {};
    let seen: { json: Record<string, unknown>; aborted: boolean } | undefined;
    const registry = make();
    registry.registerKind(TOOL);
    registry.registerManifest(inline('late'));
    registry.attachPlugin('late', {
      setup(c: PluginContext) {
        ctx = c;
      },
      execute(_input: unknown, call: { signal: AbortSignal }) {
        return new Promise((resolve) => {
          release = () => {
            seen = { json: JSON.parse(JSON.stringify(call)), aborted: call.signal.aborted };
            resolve(seen);
          };
        });
      },
    });
    await registry.setupAll();
    const pending = registry.call('tool', 'execute', {}).catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    const op = ctx?.inFlight()[0];
    expect(op?.hook).toBe('execute');
    const reason = new Error('stop');
    op?.cancel(reason);
    release();
    // The late result is discarded: the caller gets the cancellation.
    // (a plain Error reason is wrapped, naming the plugin, like any plugin failure).
    const error = (await pending) as { plugin?: string; cause?: unknown };
    expect(error.plugin).toBe('late');
    expect(error.cause).toBe(reason);
    expect(seen?.aborted).toBe(true);
    expect(Object.keys(seen?.json ?? {}).sort()).toEqual(['hook', 'kind', 'metadata', 'name']);
    await registry.teardownAll();
  });

  it('watchAbort: a tracked call tells its watchers of the caller aborting and of a teardown cancel', async () => {
    const told: string[] = [];
    const registry = make();
    registry.registerKind(TOOL);
    registry.registerManifest(inline('watched', { teardown_timeout_sec: 0.2 }));
    registry.attachPlugin('watched', {
      execute(input: { id: string }, call: HookCall) {
        // Reading the signal would defeat the point: fail loudly if anything does.
        Object.defineProperty(call, 'signal', {
          get() {
            throw new Error('signal read');
          },
        });
        const listener = {
          callAborted: (reason: unknown) => told.push(`${input.id}:${(reason as Error).name}`),
        };
        expect(call.watchAbort?.(listener, true)).toBe(true);
        // This plugin never finishes and ignores every cancellation.
        return new Promise(() => {});
      },
    });
    await registry.setupAll();
    const controller = new AbortController();
    const byCaller = registry
      .call('tool', 'execute', { id: 'caller' }, { signal: controller.signal })
      .catch((e: unknown) => e);
    const byTeardown = registry
      .call('tool', 'execute', { id: 'teardown' })
      .catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    expect(told).toEqual([]);
    controller.abort(new Error('user left'));
    expect(isHookCancelled(await byCaller)).toBe(true);
    expect(told).toEqual(['caller:HookCancelled']);
    await registry.teardownAll();
    expect(told).toEqual(['caller:HookCancelled', 'teardown:HookCancelled']);
    // The caller is not left hanging by a plugin that ignores the cancellation.
    const error = await byTeardown;
    expect(isHookCancelled(error)).toBe(true);
    expect(error).toMatchObject({ plugin: 'watched', hook: 'execute' });
    expect((error as Error).message).toContain('torn down');
  });

  it('answers a snake_case hook with a camelCase method, as the docs write plugins', async () => {
    const registry = make();
    registry.registerKind({
      kind: 'tool_provider',
      kind_api_version: '1.0.0',
      hooks: [{ name: 'list_tools', dispatch: 'broadcast_collect', mcp_exposed: true }],
    });
    registry.registerManifest({ ...inline('docs-style'), kind: 'tool_provider' });
    registry.attachPlugin('docs-style', {
      listTools() {
        return ['search'];
      },
    });
    await registry.setupAll();
    expect(await registry.call('tool_provider', 'list_tools', {})).toEqual([
      { plugin: 'docs-style', value: ['search'] },
    ]);
  });
});
