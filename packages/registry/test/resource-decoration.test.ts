// Per-call resource decoration (ADR-0005 §3 and §5, spec decision R18):
// `resourceDecorators` run around the resource calls of in-process plugins
// loaded from disk, and see the plugin, resource, method, arguments and the
// metadata of the hook call the plugin is serving — across awaits and
// timers, per call when calls overlap, and `undefined` outside hook calls.
// The two worked examples of docs/guides/decorate-resources.md: a budget
// decorator and a tracing decorator.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CallMetadata,
  isPluginError,
  isResourceCallDenied,
  type KindSpec,
  type ResourceCall,
  ResourceCallDenied,
  type ResourceDecoration,
  type Span,
  type Tracer,
} from '@dagstack/plugin-api';
import { createTmpdir, FrozenClock, InMemoryEventBus } from '@dagstack/plugin-resources';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginRegistry, type PluginRegistryOptions } from '../src/index.js';

// --- plugins on disk ---------------------------------------------------------

const WORKER = `
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export class Worker {
  async setup(ctx) {
    this.ctx = ctx;
    this.http = ctx.resources.get('http_client');
    // A resource call outside any hook call.
    if (this.http !== undefined) await this.http.get('https://api.test/setup');
  }
  // n GETs, each after a timer and an await: the call must be followed through them.
  async fetch({ id, n, delay }) {
    const out = [];
    for (let i = 0; i < n; i++) {
      await wait(delay);
      const res = await this.http.get('https://api.test/' + id + '/' + i);
      out.push(res.status);
    }
    return out;
  }
  // A POST made from a timer the hook started.
  post({ id }) {
    return new Promise((resolve, reject) => {
      setTimeout(() => this.http.post('https://api.test/' + id, { id }).then(resolve, reject), 1);
    });
  }
  clockAndBus({ topic }) {
    const clock = this.ctx.resources.get('clock');
    const now = clock.now();
    this.ctx.eventBus.publish(topic, { at: now.getTime() });
    return { sync: now instanceof Date, same: this.ctx.resources.get('clock') === clock };
  }
  async scratch({ name }) {
    const dir = this.ctx.resources.get('tmpdir');
    const file = await dir.createFile(name, '.txt');
    return { inside: file.startsWith(dir.path) };
  }
}
`;

const FRONT = `
export class Front {
  setup(ctx) {
    this.ctx = ctx;
    this.http = ctx.resources.get('http_client');
  }
  // A resource call, a call of another plugin with its own metadata, another resource call.
  async relay({ id }) {
    await this.http.get('https://api.test/front/before');
    const inner = await this.ctx.registry.call('worker', 'fetch', { id, n: 1, delay: 0 }, {
      metadata: { request_id: id },
    });
    await this.http.get('https://api.test/front/after');
    return inner;
  }
}
`;

function manifest(name: string, kind: string, entry: string): string {
  return `[plugin]
schema_version = "1"
name = "${name}"
kind = "${kind}"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:${entry}"

[plugin.resources]
optional = ["http_client", "clock", "tmpdir"]
`;
}

const KINDS: KindSpec[] = [
  {
    kind: 'worker',
    kind_api_version: '1.0.0',
    hooks: ['fetch', 'post', 'clock_and_bus', 'scratch'].map((name) => ({
      name,
      dispatch: 'singleton' as const,
      mcp_exposed: true,
    })),
  },
  {
    kind: 'front',
    kind_api_version: '1.0.0',
    hooks: [{ name: 'relay', dispatch: 'singleton', mcp_exposed: true }],
  },
];

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'dagstack-decorate-'));
  for (const [name, kind, entry, source] of [
    ['worker', 'worker', 'Worker', WORKER],
    ['front', 'front', 'Front', FRONT],
  ] as const) {
    await mkdir(join(root, name));
    await writeFile(join(root, name, 'dagstack.toml'), manifest(name, kind, entry));
    await writeFile(join(root, name, 'plugin.js'), source);
  }
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

// --- the host's resources and decorators -------------------------------------

/** An HTTP client double: records each request, answers 200. */
class RecordingHttp {
  readonly requests: string[] = [];
  async get(url: string): Promise<{ status: number; ok: boolean }> {
    this.requests.push(`GET ${url}`);
    return { status: 200, ok: true };
  }
  async post(url: string, _body: unknown): Promise<{ status: number; ok: boolean }> {
    this.requests.push(`POST ${url}`);
    return { status: 201, ok: true };
  }
}

/**
 * The budget example: each `http_client.get` / `post` made during a hook call
 * whose metadata carries `quota_budget.http_calls` counts against that call
 * (one count per dispatch: the engine freezes one metadata object per call);
 * the call past the budget is refused with `ResourceCallDenied`.
 */
function httpBudget(): ResourceDecoration {
  const spent = new WeakMap<CallMetadata, number>();
  return {
    resource: 'http_client',
    decorate: async (call, next) => {
      const metadata = call.metadata;
      const budget = metadata?.quota_budget;
      const limit =
        typeof budget === 'object' && budget !== null && 'http_calls' in budget
          ? budget.http_calls
          : undefined;
      if (
        metadata === undefined ||
        typeof limit !== 'number' ||
        (call.method !== 'get' && call.method !== 'post')
      ) {
        return next();
      }
      const used = spent.get(metadata) ?? 0;
      if (used >= limit) {
        throw new ResourceCallDenied({
          plugin: call.plugin,
          kind: call.kind,
          resource: call.resource,
          method: call.method,
          reason: `the call's http_calls budget of ${limit} is spent`,
          limit: budget ?? null,
        });
      }
      spent.set(metadata, used + 1);
      return next();
    },
  };
}

interface RecordedSpan {
  name: string;
  attributes: Record<string, string | number | boolean>;
  ended: boolean;
  errors: unknown[];
}

/** A tracer that keeps its spans. */
function memoryTracer(): Tracer & { spans: RecordedSpan[] } {
  const spans: RecordedSpan[] = [];
  return {
    spans,
    startSpan(name, attributes = {}): Span {
      const span: RecordedSpan = { name, attributes: { ...attributes }, ended: false, errors: [] };
      spans.push(span);
      return {
        setAttribute: (key, value) => {
          span.attributes[key] = value;
        },
        recordException: (error) => {
          span.errors.push(error);
        },
        end: () => {
          span.ended = true;
        },
      };
    },
  };
}

/** The trace id of a W3C `traceparent` (`00-<trace-id>-<parent-id>-<flags>`). */
function traceIdOf(metadata: CallMetadata | undefined): string | undefined {
  return metadata?.trace_context?.traceparent.split('-')[1];
}

/**
 * The tracing example: a span per resource call, named `resource.method`,
 * with the call's trace id and the plugin, resource and method; ended when
 * the method returns (or its promise settles), the error recorded.
 */
function tracing(tracer: Tracer): ResourceDecoration {
  return {
    resource: '*',
    decorate: (call, next) => {
      const traceId = traceIdOf(call.metadata);
      const span = tracer.startSpan(`${call.resource}.${String(call.method)}`, {
        'dagstack.plugin': call.plugin,
        'dagstack.kind': call.kind,
        'dagstack.resource': call.resource,
        'dagstack.method': String(call.method),
        ...(traceId === undefined ? {} : { trace_id: traceId }),
      });
      const fail = (error: unknown): never => {
        span.recordException(error);
        span.end();
        throw error;
      };
      let out: unknown;
      try {
        out = next();
      } catch (error) {
        return fail(error);
      }
      if (out instanceof Promise) {
        return out.then((value: unknown) => {
          span.end();
          return value;
        }, fail);
      }
      span.end();
      return out;
    },
  };
}

/** Every resource call a decorator saw: plugin, method, first argument, request id. */
function recorder(log: ResourceCall[]): ResourceDecoration {
  return {
    resource: '*',
    decorate: (call, next) => {
      log.push(call);
      return next();
    },
  };
}

async function started(
  options: PluginRegistryOptions,
  metadata?: CallMetadata,
): Promise<PluginRegistry> {
  const registry = new PluginRegistry({ logger: 'silent', healthChecks: false, ...options });
  for (const spec of KINDS) registry.registerKind(spec);
  await registry.discover(root);
  const report = await registry.setupAll(metadata === undefined ? {} : { metadata });
  expect(report.unavailable).toEqual([]);
  return registry;
}

/** The context the plugin `name` kept from its setup. */
function contextOf(
  registry: PluginRegistry,
  name: string,
): { resources: { get(name: string): unknown } } {
  const instance = registry.getLoadedPlugins().find((c) => c.name === name)?.instance as
    | { ctx?: { resources: { get(name: string): unknown } } }
    | undefined;
  if (instance?.ctx === undefined) throw new Error(`plugin "${name}" kept no context`);
  return instance.ctx;
}

const budget = (httpCalls: number, requestId: string): { metadata: CallMetadata } => ({
  metadata: { request_id: requestId, quota_budget: { http_calls: httpCalls } },
});

// --- tests -------------------------------------------------------------------

describe('the budget decorator', () => {
  it('counts each GET of a hook call against its budget and refuses the one past it', async () => {
    const http = new RecordingHttp();
    const registry = await started({
      resources: { http_client: http },
      resourceDecorators: [httpBudget()],
    });
    http.requests.length = 0;
    await expect(
      registry.call('worker', 'fetch', { id: 'a', n: 2, delay: 1 }, budget(2, 'a')),
    ).resolves.toEqual([200, 200]);
    const error = await registry
      .call('worker', 'fetch', { id: 'b', n: 3, delay: 1 }, budget(2, 'b'))
      .catch((e: unknown) => e);
    expect(isResourceCallDenied(error)).toBe(true);
    expect(error).toBeInstanceOf(ResourceCallDenied);
    expect(isPluginError(error)).toBe(true);
    const denied = error as ResourceCallDenied;
    expect(denied).toMatchObject({
      code: 'RESOURCE_CALL_DENIED',
      plugin: 'worker',
      kind: 'worker',
      resource: 'http_client',
      method: 'get',
      limit: { http_calls: 2 },
    });
    expect(denied.message).toBe(
      'plugin "worker" (kind "worker"): call of http_client.get denied: the call\'s http_calls budget of 2 is spent',
    );
    expect(denied.toJSON().details).toEqual({
      resource: 'http_client',
      method: 'get',
      reason: "the call's http_calls budget of 2 is spent",
      limit: { http_calls: 2 },
    });
    // The refused GET never reached the client; a call without a budget is not metered.
    expect(http.requests).toEqual([
      'GET https://api.test/a/0',
      'GET https://api.test/a/1',
      'GET https://api.test/b/0',
      'GET https://api.test/b/1',
    ]);
    await expect(
      registry.call('worker', 'fetch', { id: 'c', n: 3, delay: 0 }),
    ).resolves.toHaveLength(3);
    await registry.teardownAll();
  });

  it('two overlapping hook calls with different budgets do not mix', async () => {
    const http = new RecordingHttp();
    const seen: ResourceCall[] = [];
    const registry = await started({
      resources: { http_client: http },
      resourceDecorators: [recorder(seen), httpBudget()],
    });
    seen.length = 0;
    http.requests.length = 0;
    // "small" (budget 1) asks for 3 GETs every 10 ms; "large" (budget 3) for 3 every 4 ms.
    const [small, large] = await Promise.allSettled([
      registry.call('worker', 'fetch', { id: 'small', n: 3, delay: 10 }, budget(1, 'small')),
      registry.call('worker', 'fetch', { id: 'large', n: 3, delay: 4 }, budget(3, 'large')),
    ]);
    expect(small.status).toBe('rejected');
    expect(isResourceCallDenied((small as PromiseRejectedResult).reason)).toBe(true);
    expect((small as PromiseRejectedResult).reason.limit).toEqual({ http_calls: 1 });
    expect(large).toEqual({ status: 'fulfilled', value: [200, 200, 200] });
    // The calls did overlap: "large" requests came before and after the first "small" one.
    const order = seen.map((c) => c.metadata?.request_id);
    expect(order.indexOf('small')).toBeGreaterThan(order.indexOf('large'));
    expect(order.lastIndexOf('large')).toBeGreaterThan(order.indexOf('small'));
    // Each GET was attributed to the call that made it.
    for (const call of seen) {
      expect(call.args[0]).toMatch(new RegExp(`^https://api.test/${call.metadata?.request_id}/`));
      expect(call.call?.metadata).toBe(call.metadata);
      expect(call.call).toMatchObject({ kind: 'worker', name: 'worker', hook: 'fetch' });
    }
    expect(http.requests.filter((r) => r.includes('/small/'))).toHaveLength(1);
    expect(http.requests.filter((r) => r.includes('/large/'))).toHaveLength(3);
    await registry.teardownAll();
  });

  it('follows the call into a timer the hook started (post)', async () => {
    const http = new RecordingHttp();
    const registry = await started({
      resources: { http_client: http },
      resourceDecorators: [httpBudget()],
    });
    await expect(registry.call('worker', 'post', { id: 'x' }, budget(1, 'x'))).resolves.toEqual({
      status: 201,
      ok: true,
    });
    const error = await registry
      .call('worker', 'post', { id: 'y' }, budget(0, 'y'))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RESOURCE_CALL_DENIED', method: 'post' });
    await registry.teardownAll();
  });
});

describe('the tracing decorator', () => {
  const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
  const traced = {
    metadata: { trace_context: { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` } },
  };

  it('records a span per resource call with the call’s trace id, plugin, resource and method', async () => {
    const tracer = memoryTracer();
    const bus = new InMemoryEventBus();
    const registry = await started({
      resources: {
        http_client: new RecordingHttp(),
        clock: new FrozenClock({ now: 1000 }),
        event_bus: bus,
      },
      resourceDecorators: [tracing(tracer)],
    });
    tracer.spans.length = 0;
    await registry.call('worker', 'fetch', { id: 't', n: 2, delay: 0 }, traced);
    // A synchronous method stays synchronous; the context service is decorated too.
    await expect(
      registry.call('worker', 'clock_and_bus', { topic: 'ticks' }, traced),
    ).resolves.toEqual({ sync: true, same: true });
    expect(tracer.spans).toEqual([
      ...[0, 1].map(() => ({
        name: 'http_client.get',
        attributes: {
          'dagstack.plugin': 'worker',
          'dagstack.kind': 'worker',
          'dagstack.resource': 'http_client',
          'dagstack.method': 'get',
          trace_id: TRACE,
        },
        ended: true,
        errors: [],
      })),
      expect.objectContaining({
        name: 'clock.now',
        attributes: expect.objectContaining({ trace_id: TRACE }),
      }),
      expect.objectContaining({
        name: 'event_bus.publish',
        attributes: expect.objectContaining({ 'dagstack.resource': 'event_bus', trace_id: TRACE }),
        ended: true,
      }),
    ]);
    await registry.teardownAll();
  });

  it('composes with the budget decorator: the refused call’s span records the refusal', async () => {
    const tracer = memoryTracer();
    const registry = await started({
      resources: { http_client: new RecordingHttp() },
      // Listed first runs first: tracing wraps the budget check.
      resourceDecorators: [tracing(tracer), httpBudget()],
    });
    tracer.spans.length = 0;
    await expect(
      registry.call(
        'worker',
        'fetch',
        { id: 'q', n: 2, delay: 0 },
        {
          metadata: { ...traced.metadata, quota_budget: { http_calls: 1 } },
        },
      ),
    ).rejects.toBeInstanceOf(ResourceCallDenied);
    expect(tracer.spans.map((s) => [s.name, s.ended, s.errors.length])).toEqual([
      ['http_client.get', true, 0],
      ['http_client.get', true, 1],
    ]);
    expect(isResourceCallDenied(tracer.spans[1]?.errors[0])).toBe(true);
    await registry.teardownAll();
  });
});

describe('which call a resource call belongs to', () => {
  it('is undefined in setup, even when setupAll gives metadata', async () => {
    const seen: ResourceCall[] = [];
    const registry = await started(
      { resources: { http_client: new RecordingHttp() }, resourceDecorators: [recorder(seen)] },
      { request_id: 'setup' },
    );
    const setup = seen.filter((c) => c.args[0] === 'https://api.test/setup');
    expect(setup).toHaveLength(1);
    expect(setup[0]).toMatchObject({ plugin: 'worker', resource: 'http_client', method: 'get' });
    expect(setup[0]?.call).toBeUndefined();
    expect(setup[0]?.metadata).toBeUndefined();
    await registry.teardownAll();
  });

  it('is the innermost hook call: a nested call has its own, the outer one resumes after it', async () => {
    const seen: ResourceCall[] = [];
    const registry = await started({
      resources: { http_client: new RecordingHttp() },
      resourceDecorators: [recorder(seen)],
    });
    seen.length = 0;
    await registry.call('front', 'relay', { id: 'inner' }, { metadata: { request_id: 'outer' } });
    expect(seen.map((c) => [c.plugin, c.call?.hook, c.metadata?.request_id, c.args[0]])).toEqual([
      ['front', 'relay', 'outer', 'https://api.test/front/before'],
      ['worker', 'fetch', 'inner', 'https://api.test/inner/0'],
      ['front', 'relay', 'outer', 'https://api.test/front/after'],
    ]);
    await registry.teardownAll();
  });
});

describe('what plugins get', () => {
  it('without decorators: the host’s own resource objects', async () => {
    const http = new RecordingHttp();
    const registry = await started({ resources: { http_client: http } });
    const ctx = contextOf(registry, 'worker');
    expect(ctx.resources.get('http_client')).toBe(http);
    await registry.teardownAll();
  });

  it('with decorators: one decorated object per resource, of the same class; unnamed resources untouched', async () => {
    const http = new RecordingHttp();
    const clock = new FrozenClock({ now: 5 });
    const registry = await started({
      resources: { http_client: http, clock },
      resourceDecorators: [{ resource: 'http_client', decorate: (_c, next) => next() }],
    });
    const ctx = contextOf(registry, 'worker');
    const decorated = ctx.resources.get('http_client');
    expect(decorated).not.toBe(http);
    expect(decorated).toBeInstanceOf(RecordingHttp);
    expect(ctx.resources.get('http_client')).toBe(decorated);
    expect(ctx.resources.get('clock')).toBe(clock);
    await registry.teardownAll();
  });

  it('a decorator may change the arguments: the next decorators and the method see them', async () => {
    const http = new RecordingHttp();
    const seen: ResourceCall[] = [];
    const registry = await started({
      resources: { http_client: http },
      resourceDecorators: [
        {
          resource: 'http_client',
          decorate: (call, next) =>
            next([String(call.args[0]).replace('api.test', 'mirror.test'), ...call.args.slice(1)]),
        },
        recorder(seen),
      ],
    });
    seen.length = 0;
    http.requests.length = 0;
    await registry.call('worker', 'fetch', { id: 'm', n: 1, delay: 0 });
    expect(seen.map((c) => c.args[0])).toEqual(['https://mirror.test/m/0']);
    expect(http.requests).toEqual(['GET https://mirror.test/m/0']);
    await registry.teardownAll();
  });

  it('decorates the per-plugin tmpdir (a frozen object) and keeps it working', async () => {
    const host = createTmpdir('dagstack-decorate-tmp-', { parent: root });
    const seen: ResourceCall[] = [];
    const registry = await started({
      resources: { tmpdir: host },
      resourceDecorators: [recorder(seen)],
    });
    await expect(
      registry.call('worker', 'scratch', { name: 'note' }, { metadata: { request_id: 's' } }),
    ).resolves.toEqual({ inside: true });
    expect(seen.map((c) => [c.resource, c.method, c.metadata?.request_id])).toEqual([
      ['tmpdir', 'createFile', 's'],
    ]);
    await registry.teardownAll();
    await host.cleanup?.();
  });

  it('a bad entry is refused when the registry is made', () => {
    expect(
      () =>
        new PluginRegistry({
          logger: 'silent',
          resourceDecorators: [{ resource: 'http_client' } as unknown as ResourceDecoration],
        }),
    ).toThrow(/resourceDecorators\[0\] must be \{ resource: string, decorate: function \}/);
  });
});
