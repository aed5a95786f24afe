import { describe, expectTypeOf, it } from 'vitest';
import type {
  DispatchClass,
  HookCall,
  Plugin,
  PluginContext,
  PluginHandle,
  PluginManifest,
  Runtime,
  RuntimeAdapter,
} from '../src/index.js';
import { DISPATCH_SINGLETON, RUNTIME_MCP_STDIO, STOP_CHAIN } from '../src/index.js';

describe('public types', () => {
  it('derives unions from the constant objects', () => {
    expectTypeOf<Runtime>().toEqualTypeOf<'in_process' | 'mcp_stdio' | 'mcp_http'>();
    expectTypeOf<DispatchClass>().toEqualTypeOf<
      'singleton' | 'broadcast_collect' | 'broadcast_notify' | 'chain' | 'capability'
    >();
    expectTypeOf(DISPATCH_SINGLETON).toEqualTypeOf<'singleton'>();
    expectTypeOf(STOP_CHAIN).toBeSymbol();
  });

  it('lets a class with sync or async lifecycle methods be a Plugin', () => {
    class SyncPlugin {
      setup(_ctx: PluginContext): void {}
      teardown(): boolean {
        return true;
      }
    }
    class AsyncPlugin {
      async setup(_ctx: PluginContext): Promise<void> {}
      async teardown(): Promise<void> {}
      async health() {
        return { status: 'ok' as const };
      }
    }
    expectTypeOf<SyncPlugin>().toMatchTypeOf<Plugin>();
    expectTypeOf<AsyncPlugin>().toMatchTypeOf<Plugin>();
  });

  it('keeps manifests read-only and runtime lists typed', () => {
    expectTypeOf<PluginManifest['runtime']>().toEqualTypeOf<readonly Runtime[]>();
    // @ts-expect-error manifests are immutable
    const mutate = (m: PluginManifest) => (m.name = 'x');
    void mutate;
  });

  it('types runtime adapters by their runtime', () => {
    const adapter: RuntimeAdapter = {
      runtime: RUNTIME_MCP_STDIO,
      load: async () => ({}) as PluginHandle,
    };
    expectTypeOf(adapter.load).returns.resolves.toEqualTypeOf<PluginHandle>();
    expectTypeOf<PluginHandle['invoke']>().parameters.toEqualTypeOf<[string, unknown, HookCall]>();
    // @ts-expect-error the runtime must be one of the three
    const bad: RuntimeAdapter = { runtime: 'grpc', load: adapter.load };
    void bad;
  });

  it('exposes the ADR-0005 metadata keys on HookCall', () => {
    expectTypeOf<HookCall['metadata']['tenant_id']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<HookCall['signal']>().toEqualTypeOf<AbortSignal>();
  });
});
