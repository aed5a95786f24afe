// Fail closed (spec decision R12): a governance refusal — a governance filter
// or a chain_wrap middleware throwing in `before` — holds on every public
// call path (registry.call, getPlugin(kind), getPlugin(kind, name), a
// plugin's ctx.registry.call, and each dispatcher class handed
// registry.getLoadedPlugins()); and the host's context services (tenant,
// metrics, tracer, event_bus, progress, checkpoint) reach every plugin's
// context whether its manifest declares them or not. Real plugin folders.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AccessDecision,
  type CallMetadata,
  type KindSpec,
  NOOP_LOGGER,
  NOOP_TENANT,
  type PluginContext,
  type PluginRegistryError,
} from '@dagstack/plugin-api';
import {
  BroadcastCollectDispatcher,
  BroadcastNotifyDispatcher,
  CapabilityDispatcher,
  ChainDispatcher,
  type DispatchCandidate,
  isDispatchRouteConflict,
  isHookValidationError,
  SingletonDispatcher,
} from '@dagstack/plugin-dispatch';
import {
  InMemoryCheckpointStore,
  InMemoryEventBus,
  isUndeclaredResource,
  MemoryProgressSink,
} from '@dagstack/plugin-resources';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginRegistry, type PluginRegistryOptions } from '../src/index.js';

/** A plugin folder: manifest (declaring only `journal` and `contexts`) and module. */
async function writePlugin(
  dir: string,
  spec: {
    name: string;
    kind: string;
    entry: string;
    source: string;
    priority?: number;
    extra?: string;
  },
): Promise<void> {
  const folder = join(dir, spec.name);
  await mkdir(folder, { recursive: true });
  await writeFile(
    join(folder, 'dagstack.toml'),
    `[plugin]
schema_version = "1"
name = "${spec.name}"
kind = "${spec.kind}"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:${spec.entry}"
priority = ${spec.priority ?? 0}
${spec.extra ?? ''}

[plugin.resources]
optional = ["journal", "contexts"]
`,
  );
  await writeFile(join(folder, 'plugin.js'), spec.source);
}

/** Business plugins: every hook records `<name>.<hook>`; setup hands the context to the host. */
const BUSINESS = `
export class Business {
  setup(ctx) {
    this.name = ctx.config.name;
    this.journal = ctx.resources.get('journal');
    ctx.resources.get('contexts').set(this.name, ctx);
    this.failList = ctx.config.failList === true;
  }
  execute(input) { this.journal.push(this.name + '.execute'); return { by: this.name, input }; }
  list() {
    this.journal.push(this.name + '.list');
    if (this.failList) throw new Error('list failed on purpose');
    return this.name;
  }
  on_event() { this.journal.push(this.name + '.on_event'); }
  refine(input) { this.journal.push(this.name + '.refine'); return { trail: [...(input.trail ?? []), this.name] }; }
  open() { this.journal.push(this.name + '.open'); return this.name; }
}
`;

/** The governance middleware: refuses every call whose actor is mallory. */
const GATE = `
export class Gate {
  setup(ctx) { this.journal = ctx.resources.get('journal'); }
  before(call, args) {
    this.journal.push('gate.before');
    if (call.metadata.actor === 'mallory') {
      throw new Error('gate: mallory may not call ' + call.kind + '.' + call.hook);
    }
    return undefined;
  }
}
`;

const spec = (kind: string, hook: string, dispatch: string): KindSpec => ({
  kind,
  kind_api_version: '1.0.0',
  hooks: [{ name: hook, dispatch, mcp_exposed: true } as KindSpec['hooks'][number]],
});

/** One kind per dispatch class, with the plugin serving it and the input used. */
const KINDS = [
  { kind: 'tool', hook: 'execute', dispatch: 'singleton', plugin: 'alpha', input: { msg: 'hi' } },
  { kind: 'catalog', hook: 'list', dispatch: 'broadcast_collect', plugin: 'beta', input: {} },
  { kind: 'events', hook: 'on_event', dispatch: 'broadcast_notify', plugin: 'gamma', input: {} },
  { kind: 'pipeline', hook: 'refine', dispatch: 'chain', plugin: 'delta', input: { trail: [] } },
  { kind: 'files', hook: 'open', dispatch: 'capability', plugin: 'epsilon', input: {} },
] as const;
type KindRow = (typeof KINDS)[number];

let root: string;
const registries: PluginRegistry[] = [];
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'dagstack-fail-closed-'));
});
afterEach(async () => {
  for (const registry of registries.splice(0)) {
    await registry.teardownAll().catch(() => undefined);
    registry.close();
  }
  await rm(root, { recursive: true, force: true });
});

interface Host {
  registry: PluginRegistry;
  journal: string[];
  contexts: Map<string, PluginContext>;
}

/** A registry with the five kinds, a plugin of each, and the gate middleware, all on disk. */
async function start(
  options: PluginRegistryOptions = {},
  config: Record<string, unknown> = {},
  allStart = true,
): Promise<Host> {
  const journal: string[] = [];
  const contexts = new Map<string, PluginContext>();
  const registry = new PluginRegistry({
    healthChecks: false,
    env: {},
    logger: NOOP_LOGGER,
    ...options,
    resources: { journal, contexts, ...options.resources },
    config: {
      ...Object.fromEntries(KINDS.map((k) => [k.kind, { [k.plugin]: { name: k.plugin } }])),
      ...config,
    },
  });
  registries.push(registry);
  for (const k of KINDS) {
    registry.registerKind(spec(k.kind, k.hook, k.dispatch));
    await writePlugin(root, {
      name: k.plugin,
      kind: k.kind,
      entry: 'Business',
      source: BUSINESS,
      extra: k.kind === 'files' ? 'fallback = true' : '',
    });
  }
  await writePlugin(root, {
    name: 'gate',
    kind: 'middleware',
    priority: 1000,
    entry: 'Gate',
    source: GATE,
    extra: `\n[plugin.chain_wrap]\nkinds = ${JSON.stringify(KINDS.map((k) => k.kind))}\nhooks = ["*"]\n`,
  });
  await registry.discover(root);
  const report = await registry.setupAll();
  if (allStart) expect(report.unavailable).toEqual([]);
  return { registry, journal, contexts };
}

/** Every public way to call `row`'s hook, by name. */
function paths(
  host: Host,
  row: KindRow,
): Record<string, (metadata: CallMetadata) => Promise<unknown>> {
  const { registry } = host;
  const { kind, hook, input } = row;
  const proxy = (name?: string) =>
    registry.getPlugin<Record<string, (i: unknown, o: object) => Promise<unknown>>>(kind, name);
  const via: Record<string, (metadata: CallMetadata) => Promise<unknown>> = {
    'registry.call': (metadata) => registry.call(kind, hook, input, { metadata }),
    'registry.getPlugin(kind)': (metadata) =>
      proxy()[hook]?.(input, { metadata }) as Promise<unknown>,
    'registry.getPlugin(kind, name)': (metadata) =>
      proxy(row.plugin)[hook]?.(input, { metadata }) as Promise<unknown>,
    // A plugin calling through its context (alpha's, whatever the kind called).
    'ctx.registry.call': (metadata) =>
      (host.contexts.get('alpha') as PluginContext).registry.call(kind, hook, input, { metadata }),
  };
  const loaded = (): DispatchCandidate[] => registry.getLoadedPlugins();
  switch (row.dispatch) {
    case 'singleton':
      via.SingletonDispatcher = (metadata) =>
        new SingletonDispatcher(kind).dispatch(loaded(), hook, input, { metadata });
      break;
    case 'broadcast_collect': {
      const d = new BroadcastCollectDispatcher(kind);
      via['BroadcastCollectDispatcher.dispatch'] = (metadata) =>
        d.dispatch(loaded(), hook, input, { metadata });
      via['BroadcastCollectDispatcher.dispatchEntries'] = (metadata) =>
        d.dispatchEntries(loaded(), hook, input, { metadata });
      via['BroadcastCollectDispatcher.dispatchSettled'] = (metadata) =>
        d.dispatchSettled(loaded(), hook, input, { metadata });
      break;
    }
    case 'broadcast_notify':
      via.BroadcastNotifyDispatcher = (metadata) =>
        new BroadcastNotifyDispatcher(kind).dispatch(loaded(), hook, input, { metadata });
      break;
    case 'chain':
      via.ChainDispatcher = (metadata) =>
        new ChainDispatcher(kind).dispatch(loaded(), hook, input, { metadata });
      break;
    case 'capability':
      via.CapabilityDispatcher = (metadata) =>
        new CapabilityDispatcher(kind).dispatch(loaded(), hook, input, { metadata });
      break;
  }
  return via;
}

type Outcome = { error: string; message: string } | { result: unknown };
const outcome = (attempt: Promise<unknown>): Promise<Outcome> =>
  attempt.then(
    (result) => ({ result }),
    (error: PluginRegistryError) => ({ error: error.code ?? error.name, message: error.message }),
  );

describe('a governance refusal holds on every public call path', () => {
  it('a chain_wrap middleware throwing in before refuses every path of every class', async () => {
    const host = await start();
    const seen: string[] = [];
    for (const row of KINDS) {
      for (const [name, call] of Object.entries(paths(host, row))) {
        host.journal.length = 0;
        const got = await outcome(call({ actor: 'mallory' }));
        await host.registry.settled();
        seen.push(`${row.kind}: ${name}`);
        expect(got, `${row.kind} via ${name}`).toMatchObject({
          message: expect.stringContaining(`gate: mallory may not call ${row.kind}.${row.hook}`),
        });
        // The middleware ran and refused; the plugin never did.
        expect(host.journal, `${row.kind} via ${name}`).toEqual(['gate.before']);
        // The same path lets a permitted caller through the same middleware.
        host.journal.length = 0;
        await call({ actor: 'alice' });
        await host.registry.settled();
        expect(host.journal, `${row.kind} via ${name} (alice)`).toEqual([
          'gate.before',
          `${row.plugin}.${row.hook}`,
        ]);
      }
    }
    // 5 kinds x 5 paths, plus the two other collect methods.
    expect(seen).toHaveLength(27);
  });

  it('a governance filter allowing nobody refuses every path of every class', async () => {
    const host = await start({
      governanceFilter: (_kind, _hook, candidates, call) =>
        call.metadata.tenant_id === 'blocked' ? [] : candidates,
    });
    // What each class answers when governance allows nobody (targeted calls: PLUGIN_UNAVAILABLE).
    const refused: Record<KindRow['dispatch'], Outcome> = {
      singleton: { error: 'KIND_UNKNOWN', message: expect.stringContaining('governance filter') },
      broadcast_collect: { result: [] },
      broadcast_notify: { result: undefined },
      chain: { error: 'KIND_UNKNOWN', message: expect.stringContaining('governance filter') },
      capability: { error: 'NO_CAPABILITY_MATCH', message: expect.any(String) },
    };
    for (const row of KINDS) {
      for (const [name, call] of Object.entries(paths(host, row))) {
        host.journal.length = 0;
        const got = await outcome(call({ tenant_id: 'blocked' }));
        await host.registry.settled();
        const want: Outcome =
          name === 'registry.getPlugin(kind, name)'
            ? { error: 'PLUGIN_UNAVAILABLE', message: expect.stringContaining('governance filter') }
            : name === 'BroadcastCollectDispatcher.dispatchSettled'
              ? { result: { results: [], errors: undefined } }
              : refused[row.dispatch];
        expect(got, `${row.kind} via ${name}`).toEqual(want);
        // Middleware may run; no business plugin does.
        expect(
          host.journal.filter((e) => e !== 'gate.before'),
          `${row.kind} via ${name}`,
        ).toEqual([]);
        host.journal.length = 0;
        await call({ tenant_id: 'acme' });
        await host.registry.settled();
        expect(host.journal, `${row.kind} via ${name} (acme)`).toContain(
          `${row.plugin}.${row.hook}`,
        );
      }
    }
  });

  it('dispatchers handed registry plugins get the registry’s validation, routing policy and degraded marking', async () => {
    const host = await start(
      {
        validateCalls: true,
        routingPolicy: (_k, _h, _c, call) =>
          call.metadata.pick === 'alpha2' ? 'alpha2' : undefined,
      },
      {
        catalog: { beta: { name: 'beta', failList: true } },
        tool: { alpha: { name: 'alpha' }, alpha2: { name: 'alpha2' } },
      },
    );
    // A second tool plugin for the routing policy to choose (below alpha by priority).
    const registry = host.registry;
    registry.registerKind({
      kind: 'tool',
      kind_api_version: '1.0.0',
      hooks: [
        {
          name: 'execute',
          dispatch: 'singleton',
          mcp_exposed: true,
          input_schema: {
            type: 'object',
            required: ['msg'],
            properties: { msg: { type: 'string' } },
          },
        },
      ],
    });
    // Same priority as alpha: with a routing policy that is no tie (alpha answers first by name).
    await writePlugin(join(root, 'more'), {
      name: 'alpha2',
      kind: 'tool',
      entry: 'Business',
      source: BUSINESS,
    });
    await registry.discover(join(root, 'more'));
    await registry.setupAll({ resources: {} });
    const tool = new SingletonDispatcher('tool');
    const loaded = (): DispatchCandidate[] => registry.getLoadedPlugins();
    // Validation: the registry's hookspec schema refuses the input before any plugin runs.
    host.journal.length = 0;
    const invalid = await tool.dispatch(loaded(), 'execute', { msg: 42 }).catch((e: unknown) => e);
    expect(isHookValidationError(invalid)).toBe(true);
    expect((invalid as { pointer: string }).pointer).toBe('/msg');
    expect(host.journal).toEqual(['gate.before']);
    // Routing policy.
    expect(
      await tool.dispatch(loaded(), 'execute', { msg: 'x' }, { metadata: { pick: 'alpha2' } }),
    ).toMatchObject({ by: 'alpha2' });
    expect(await tool.dispatch(loaded(), 'execute', { msg: 'x' })).toMatchObject({ by: 'alpha' });
    // Degraded marking: a failing broadcast_collect plugin is degraded, as through registry.call.
    const settled = await new BroadcastCollectDispatcher('catalog').dispatchSettled(
      loaded(),
      'list',
      {},
    );
    expect(settled.errors?.errors.map((e) => e.plugin)).toEqual(['beta']);
    expect(registry.status().find((s) => s.name === 'beta')?.state).toBe('degraded');
  });

  it('a list narrowed by hand, or a dispatcher with its own policies, is refused before any plugin runs', async () => {
    const host = await start();
    const registry = host.registry;
    const others = registry.getLoadedPlugins().filter((c) => c.name !== 'alpha');
    const narrowed = await new SingletonDispatcher('tool')
      .dispatch(others, 'execute', { msg: 'x' })
      .catch((e: unknown) => e);
    expect(isDispatchRouteConflict(narrowed)).toBe(true);
    expect(narrowed).toMatchObject({ reason: 'partial_list', names: ['alpha'], plugin: 'alpha' });
    const lax = await new SingletonDispatcher('tool', { governanceFilter: (_k, _h, c) => c })
      .dispatch(registry.getLoadedPlugins(), 'execute', { msg: 'x' })
      .catch((e: unknown) => e);
    expect(lax).toMatchObject({ code: 'DISPATCH_ROUTE_CONFLICT', reason: 'own_policies' });
    expect(host.journal).toEqual([]);
  });
});

describe('function-routed hooks through a dispatcher class', () => {
  it('SingletonDispatcher on the tool kind routes execute by function, as registry.call does', async () => {
    const TOOLS = (fn: string) => `
export class Tool {
  setup(ctx) { this.journal = ctx.resources.get('journal'); this.name = ctx.config.name; }
  get_schema() { return [{ name: '${fn}', description: '${fn}', parameters: { type: 'object' } }]; }
  execute(input) { this.journal.push(this.name + '.' + input.function); return { result: this.name }; }
}
`;
    await writePlugin(root, {
      name: 'first',
      kind: 'tool',
      entry: 'Tool',
      priority: 50,
      source: TOOLS('upper'),
    });
    await writePlugin(root, {
      name: 'second',
      kind: 'tool',
      entry: 'Tool',
      priority: 10,
      source: TOOLS('lower'),
    });
    const journal: string[] = [];
    const registry = new PluginRegistry({
      healthChecks: false,
      env: {},
      logger: NOOP_LOGGER,
      resources: { journal, contexts: new Map() },
      config: { tool: { first: { name: 'first' }, second: { name: 'second' } } },
    });
    registries.push(registry);
    registry.registerKind({
      kind: 'tool',
      kind_api_version: '1.0.0',
      hooks: [
        { name: 'get_schema', dispatch: 'broadcast_collect', mcp_exposed: false },
        {
          name: 'execute',
          dispatch: 'singleton',
          mcp_exposed: true,
          mcp_tool_name_template: '{kind}.{plugin}.{hook}.{function}',
        },
      ],
    });
    await registry.discover(root);
    await registry.setupAll();
    const loaded = registry.getLoadedPlugins();
    const input = { function: 'lower', args: {} };
    // By priority alone "first" would answer; the registry routes by function to "second".
    expect(await new SingletonDispatcher('tool').dispatch(loaded, 'execute', input)).toEqual({
      result: 'second',
    });
    expect(await registry.call('tool', 'execute', input)).toEqual({ result: 'second' });
    const missing = await new SingletonDispatcher('tool')
      .dispatch(loaded, 'execute', { function: 'nope', args: {} })
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'FUNCTION_NOT_FOUND' });
    expect(journal).toEqual(['second.lower', 'second.lower']);
    const lists = await new BroadcastCollectDispatcher('tool').dispatchEntries(
      loaded,
      'get_schema',
      {},
    );
    expect(lists.map((e) => e.plugin)).toEqual(['first', 'second']);
  });
});

describe('host-provided context services reach every plugin', () => {
  const services = () => {
    const decisions: string[] = [];
    const tenant = {
      tenantId: 'acme',
      checkAccess(resource: string, action: string): AccessDecision {
        decisions.push(`${resource}:${action}`);
        return { allowed: false, reason: 'acme may not' };
      },
    };
    const metrics = { counter() {}, gauge() {}, histogram() {} };
    const tracer = { startSpan: () => ({ end() {}, setAttribute() {}, recordError() {} }) };
    return {
      decisions,
      resources: {
        tenant,
        metrics,
        tracer,
        event_bus: new InMemoryEventBus(),
        progress: new MemoryProgressSink(),
        checkpoint: new InMemoryCheckpointStore(),
      },
    };
  };

  it('tenant, metrics, tracer, event_bus, progress and checkpoint reach a plugin that declares none of them', async () => {
    const { decisions, resources } = services();
    const host = await start({ resources });
    const ctx = host.contexts.get('alpha') as PluginContext;
    // alpha's manifest declares only journal and contexts (optional).
    expect(ctx.tenant).toBe(resources.tenant);
    expect(ctx.tenant).not.toBe(NOOP_TENANT);
    expect(await ctx.tenant.checkAccess('docs', 'read')).toEqual({
      allowed: false,
      reason: 'acme may not',
    });
    expect(decisions).toEqual(['docs:read']);
    expect(ctx.metrics).toBe(resources.metrics);
    expect(ctx.tracer).toBe(resources.tracer);
    expect(ctx.eventBus).toBe(resources.event_bus);
    expect(ctx.progress).toBe(resources.progress);
    expect(ctx.checkpoint).toBe(resources.checkpoint);
    // ctx.resources stays scoped to the declared names (ADR-0003 §3): a typed refusal.
    expect(ctx.resources.has('tenant')).toBe(false);
    let undeclared: unknown;
    try {
      ctx.resources.get('tenant');
    } catch (error) {
      undeclared = error;
    }
    expect(isUndeclaredResource(undeclared)).toBe(true);
    expect((undeclared as PluginRegistryError).plugin).toBe('alpha');
  });

  it('without a host tenant the context has the allow-all default and the other services are absent', async () => {
    const host = await start();
    const ctx = host.contexts.get('beta') as PluginContext;
    expect(ctx.tenant).toBe(NOOP_TENANT);
    expect([ctx.metrics, ctx.tracer, ctx.eventBus, ctx.progress, ctx.checkpoint]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('a host tenant that is not a TenantContext fails the start with a ResourceError, never the allow-all default', async () => {
    const host = await start({ resources: { tenant: { tenantId: 'acme' } } }, {}, false);
    expect(host.contexts.size).toBe(0);
    const rows = host.registry.status();
    expect(rows.map((r) => r.state)).toEqual(rows.map(() => 'unavailable'));
    const alpha = rows.find((r) => r.name === 'alpha');
    expect(alpha?.error).toMatchObject({ code: 'RESOURCE_ERROR', plugin: 'alpha', kind: 'tool' });
    expect(alpha?.error?.message).toContain('not a TenantContext');
    expect(alpha?.error?.hint).toContain('checkAccess');
    expect(alpha?.error?.details).toEqual({ resource: 'tenant' });
  });
});
