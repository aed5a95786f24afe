import type { CallMetadata } from '@dagstack/plugin-api';
import {
  AmbiguousPlugin,
  DispatchMismatch,
  isKindUnknown,
  isPluginRegistryError,
  isSerializationError,
  type KindUnknown,
  type SerializationError,
} from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import { DispatchEngine, HookValidationError, isHookValidationError } from '../src/index.js';
import { candidate, kindSpec } from './helpers.js';

describe('unknown kinds and hooks', () => {
  it('rejects a kind without a hookspec with KindUnknown naming the hook', async () => {
    const engine = new DispatchEngine();
    const error = await engine.call('llm', 'complete', {}).catch((e) => e);
    expect(isKindUnknown(error)).toBe(true);
    expect((error as KindUnknown).kind).toBe('llm');
    expect((error as KindUnknown).hook).toBe('complete');
  });

  it('rejects an undeclared hook, listing the declared ones', async () => {
    const engine = new DispatchEngine();
    engine.registerKind(kindSpec('llm', { complete: {}, embed: {} }));
    const error = await engine.call('llm', 'chat', {}).catch((e) => e);
    expect(isKindUnknown(error)).toBe(true);
    expect((error as KindUnknown).hint).toContain('complete, embed');
  });

  it('refuses hookspecs with an unknown class or a duplicate hook', () => {
    const engine = new DispatchEngine();
    expect(() =>
      engine.registerKind({
        kind: 'x',
        kind_api_version: '1',
        hooks: [{ name: 'h', dispatch: 'firstresult' as 'singleton', mcp_exposed: true }],
      }),
    ).toThrow(/unknown dispatch class "firstresult"/);
    expect(() =>
      engine.registerKind({
        kind: 'x',
        kind_api_version: '1',
        hooks: [
          { name: 'h', dispatch: 'chain', mcp_exposed: true },
          { name: 'h', dispatch: 'chain', mcp_exposed: true },
        ],
      }),
    ).toThrow(/twice/);
  });

  it('re-registering a kind changes the class of its hooks', async () => {
    const engine = new DispatchEngine({ env: {} });
    engine.registerKind(kindSpec('k', { h: { dispatch: 'singleton' } }));
    engine.setCandidates('k', [candidate('a', 'k', { h: () => 1 })]);
    expect(await engine.call('k', 'h', null)).toBe(1);
    engine.registerKind(kindSpec('k', { h: { dispatch: 'broadcast_collect' } }));
    expect(await engine.call('k', 'h', null)).toEqual([{ plugin: 'a', value: 1 }]);
  });
});

describe('callAs', () => {
  it('rejects with DispatchMismatch when the hook has another class', async () => {
    const engine = new DispatchEngine({ env: {} });
    engine.registerKind(kindSpec('k', { h: { dispatch: 'chain' } }));
    engine.setCandidates('k', [candidate('a', 'k', { h: (x) => x })]);
    const error = await engine.callAs('singleton', 'k', 'h', 1).catch((e) => e);
    expect(error).toBeInstanceOf(DispatchMismatch);
    expect((error as DispatchMismatch).expected).toBe('chain');
    expect((error as DispatchMismatch).actual).toBe('singleton');
    const value: number = await engine.callAs<'chain', number>('chain', 'k', 'h', 1);
    expect(value).toBe(1);
  });
});

describe('metadata', () => {
  const engine = new DispatchEngine({ env: {} });
  engine.registerKind(kindSpec('k', { h: {} }));
  engine.setCandidates('k', [candidate('a', 'k', { h: (_i, call) => call.metadata })]);

  it('refuses metadata that is not JSON, with a pointer', async () => {
    const error = await engine
      .call('k', 'h', null, { metadata: { actor: { login: () => 'x' } as never } })
      .catch((e) => e);
    expect(isSerializationError(error)).toBe(true);
    expect((error as SerializationError).pointer).toBe('/actor/login');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cycle = await engine
      .call('k', 'h', null, { metadata: { quota_budget: cyclic as never } })
      .catch((e) => e);
    expect((cycle as SerializationError).pointer).toBe('/quota_budget/self');
    const nan = await engine.call('k', 'h', null, { metadata: { n: Number.NaN } }).catch((e) => e);
    expect((nan as SerializationError).pointer).toBe('/n');
  });

  it('drops top-level undefined values and reuses a frozen copy it made', async () => {
    const first = (await engine.call('k', 'h', null, {
      metadata: { tenant_id: 't', request_id: undefined },
    })) as object;
    expect(first).toEqual({ tenant_id: 't' });
    expect(Object.keys(first)).toEqual(['tenant_id']);
    const again = await engine.call('k', 'h', null, { metadata: first as CallMetadata });
    expect(again).toBe(first);
  });

  it('refuses invalid timeouts', async () => {
    await expect(engine.call('k', 'h', null, { timeoutMs: 0 })).rejects.toSatisfy(
      isPluginRegistryError,
    );
    expect(() => new DispatchEngine({ defaultTimeoutMs: -1 })).toThrow(/positive/);
    await expect(
      engine.call('k', 'h', null, { timeoutMs: Number.POSITIVE_INFINITY }),
    ).resolves.toEqual({});
  });
});

describe('validation', () => {
  const spec = {
    kind: 'payment_provider',
    kind_api_version: '1.0.0',
    hooks: [
      {
        name: 'charge',
        dispatch: 'singleton' as const,
        mcp_exposed: true,
        input_schema: {
          type: 'object',
          required: ['amountCents', 'currency'],
          properties: {
            amountCents: { type: 'integer', minimum: 1 },
            currency: { type: 'string', pattern: '^[A-Z]{3}$' },
          },
          additionalProperties: false,
        },
        output_schema: {
          type: 'object',
          required: ['transactionId'],
          properties: { transactionId: { type: 'string' } },
        },
      },
    ],
  };

  const make = (validate: boolean, output: unknown = { transactionId: 'tx_1' }) => {
    const engine = new DispatchEngine({ env: {}, validate });
    engine.registerKind(spec);
    engine.setCandidates('payment_provider', [
      candidate('stripe', 'payment_provider', { charge: () => output }),
    ]);
    return engine;
  };

  it('passes valid input and output', async () => {
    await expect(
      make(true).call('payment_provider', 'charge', { amountCents: 1999, currency: 'USD' }),
    ).resolves.toEqual({ transactionId: 'tx_1' });
  });

  it('points at the offending input field', async () => {
    const engine = make(true);
    const wrongType = await engine
      .call('payment_provider', 'charge', { amountCents: '1999', currency: 'USD' })
      .catch((e) => e);
    expect(isHookValidationError(wrongType)).toBe(true);
    expect((wrongType as HookValidationError).pointer).toBe('/amountCents');
    expect((wrongType as HookValidationError).direction).toBe('input');
    const missing = await engine
      .call('payment_provider', 'charge', { amountCents: 5 })
      .catch((e) => e);
    expect((missing as HookValidationError).pointer).toBe('/currency');
    const extra = await engine
      .call('payment_provider', 'charge', { amountCents: 5, currency: 'USD', cvv: '123' })
      .catch((e) => e);
    expect((extra as HookValidationError).pointer).toBe('/cvv');
    expect((extra as Error).message).toContain('/cvv');
  });

  it('names the plugin whose output does not match', async () => {
    const error = await make(true, { transactionId: 42 })
      .call('payment_provider', 'charge', { amountCents: 5, currency: 'USD' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(HookValidationError);
    expect((error as HookValidationError).plugin).toBe('stripe');
    expect((error as HookValidationError).direction).toBe('output');
    expect((error as HookValidationError).pointer).toBe('/transactionId');
  });

  it('is off unless enabled', async () => {
    await expect(
      make(false, 'anything').call('payment_provider', 'charge', { amountCents: 'x' }),
    ).resolves.toBe('anything');
  });

  it('refuses a schema that does not compile, at registration', () => {
    const engine = new DispatchEngine({ validate: true });
    expect(() =>
      engine.registerKind({
        kind: 'bad',
        kind_api_version: '1',
        hooks: [
          {
            name: 'h',
            dispatch: 'singleton',
            mcp_exposed: true,
            input_schema: { type: 'no-such-type' },
          },
        ],
      }),
    ).toThrow(/does not compile/);
  });
});

describe('verify', () => {
  const singletonKind = kindSpec('payment_provider', { charge: { dispatch: 'singleton' } });

  it('reports equal top priority of a singleton kind, telling which variable to set', () => {
    const engine = new DispatchEngine({ env: {} });
    engine.registerKind(singletonKind);
    engine.setCandidates('payment_provider', [
      candidate('stripe', 'payment_provider', { charge: () => 1 }, { manifest: { priority: 50 } }),
      candidate('adyen', 'payment_provider', { charge: () => 1 }, { manifest: { priority: 50 } }),
      candidate(
        'internal',
        'payment_provider',
        { charge: () => 1 },
        { manifest: { priority: 10 } },
      ),
    ]);
    const [problem, ...rest] = engine.verify();
    expect(rest).toEqual([]);
    expect(problem).toBeInstanceOf(AmbiguousPlugin);
    expect((problem as AmbiguousPlugin).reason).toBe('equal_priority');
    expect((problem as AmbiguousPlugin).candidates).toEqual(['adyen', 'stripe']);
    expect(problem?.message).toContain('DAGSTACK_ACTIVE_PAYMENT_PROVIDER');
  });

  it('accepts the tie when DAGSTACK_ACTIVE_<KIND> names a candidate, or a routing policy exists', () => {
    const tie = [
      candidate('stripe', 'payment_provider', { charge: () => 1 }, { manifest: { priority: 50 } }),
      candidate('adyen', 'payment_provider', { charge: () => 1 }, { manifest: { priority: 50 } }),
    ];
    for (const options of [
      { env: { DAGSTACK_ACTIVE_PAYMENT_PROVIDER: 'stripe' } },
      { env: {}, routingPolicy: () => undefined },
    ]) {
      const engine = new DispatchEngine(options);
      engine.registerKind(singletonKind);
      engine.setCandidates('payment_provider', tie);
      expect(engine.verify()).toEqual([]);
    }
    const wrongName = new DispatchEngine({ env: { DAGSTACK_ACTIVE_PAYMENT_PROVIDER: 'gone' } });
    wrongName.registerKind(singletonKind);
    wrongName.setCandidates('payment_provider', tie);
    expect(wrongName.verify()).toHaveLength(1);
  });

  it('a singleton addressed per function ({function} template) accepts plugins of equal priority', () => {
    const toolKind = {
      kind: 'tool',
      kind_api_version: '1.0.0',
      hooks: [
        { name: 'get_schema', dispatch: 'broadcast_collect' as const, mcp_exposed: false },
        {
          name: 'execute',
          dispatch: 'singleton' as const,
          mcp_exposed: true,
          mcp_tool_name_template: '{kind}.{plugin}.{hook}.{function}',
        },
      ],
    };
    const tools = [
      candidate('grep', 'tool', { execute: () => 'g', get_schema: () => [] }),
      candidate('echo', 'tool', { execute: () => 'e', get_schema: () => [] }),
    ];
    const engine = new DispatchEngine({ env: {} });
    engine.registerKind(toolKind);
    engine.setCandidates('tool', tools);
    expect(engine.verify()).toEqual([]);
    // The same kind with a plain singleton template still reports the tie.
    const plain = new DispatchEngine({ env: {} });
    plain.registerKind({
      ...toolKind,
      hooks: toolKind.hooks.map((h) => ({ ...h, mcp_tool_name_template: undefined })),
    });
    plain.setCandidates('tool', tools);
    expect(plain.verify().map((p) => (p as AmbiguousPlugin).reason)).toEqual(['equal_priority']);
  });

  it('accepts ties below the top, and a tryfirst plugin above a tie', () => {
    const engine = new DispatchEngine({ env: {} });
    engine.registerKind(singletonKind);
    engine.setCandidates('payment_provider', [
      candidate('a', 'payment_provider', { charge: () => 1 }, { manifest: { priority: 1 } }),
      candidate('b', 'payment_provider', { charge: () => 1 }, { manifest: { priority: 1 } }),
      candidate('c', 'payment_provider', { charge: () => 1 }, { manifest: { tryfirst: true } }),
    ]);
    expect(engine.verify('payment_provider')).toEqual([]);
  });

  it('reports two fallbacks of a capability kind', () => {
    const engine = new DispatchEngine({ env: {} });
    engine.registerKind(kindSpec('chunker', { chunk: { dispatch: 'capability' } }));
    engine.registerKind(kindSpec('notes', { on: { dispatch: 'broadcast_notify' } }));
    engine.setCandidates('chunker', [
      candidate('fixed', 'chunker', { chunk: () => 1 }, { manifest: { fallback: true } }),
      candidate('lines', 'chunker', { chunk: () => 1 }, { manifest: { fallback: true } }),
      candidate('ts', 'chunker', { chunk: () => 1 }, { manifest: { supports_languages: ['ts'] } }),
    ]);
    engine.setCandidates('notes', [
      candidate('x', 'notes', { on: () => 1 }, { manifest: { fallback: true } }),
      candidate('y', 'notes', { on: () => 1 }, { manifest: { fallback: true } }),
    ]);
    const problems = engine.verify();
    expect(problems).toHaveLength(1);
    expect((problems[0] as AmbiguousPlugin).reason).toBe('multiple_fallbacks');
    expect((problems[0] as AmbiguousPlugin).candidates).toEqual(['fixed', 'lines']);
    expect(engine.verify('notes')).toEqual([]);
  });
});
