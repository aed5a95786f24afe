// The shared adapter suite: the same tests, run against every runtime adapter
// for the same plugin (fixtures/suite/plugin.mjs). A runtime passes when a
// caller cannot tell it from the in-process one. Another runtime (mcp_http)
// joins by calling describeAdapterSuite with its own registry factory.
import {
  type CallMetadata,
  isHookCancelled,
  isHookTimeout,
  isPluginInvocationError,
  type PluginInvocationError,
} from '@dagstack/plugin-api';
import type { PluginRegistry } from '@dagstack/plugin-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, KINDS } from './helpers.js';

/** Builds the two suite plugins (alpha, beta) under one runtime. */
export type SuiteFactory = (parts: {
  /** Manifest fields every suite plugin shares; the factory adds runtime fields. */
  manifest: (name: string, extra: Record<string, unknown>) => Record<string, unknown>;
}) => Promise<PluginRegistry>;

export const SETUP_METADATA: CallMetadata = {
  tenant_id: 't-setup',
  trace_context: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
};

export const CALL_METADATA: CallMetadata = {
  tenant_id: 't-42',
  actor: { id: 'u-7', roles: ['admin', 'auditor'] },
  quota_budget: { tokens: 1000, remaining: 12.5 },
  trace_context: {
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    tracestate: 'vendor=opaque,other=1',
  },
  request_id: 'req-0001',
  custom_flag: [1, 'two', null, { deep: true }],
};

export function describeAdapterSuite(runtime: string, factory: SuiteFactory): void {
  describe(`shared adapter suite: ${runtime}`, () => {
    let registry: PluginRegistry;

    beforeAll(async () => {
      registry = await factory({
        manifest: (name, extra) => ({
          schema_version: '1',
          name,
          kind: 'suite',
          kind_api_version: '1',
          core_version: '>=0.1.0,<1.0.0',
          resources: { optional: ['region'] },
          startup_timeout_sec: 30,
          teardown_timeout_sec: 10,
          ...extra,
        }),
      });
      registry.registerKind(KINDS.suite);
      const report = await registry.setupAll({ metadata: SETUP_METADATA });
      expect(report.unavailable).toEqual([]);
      expect([...report.started].sort()).toEqual(['alpha', 'beta']);
    });

    afterAll(async () => {
      registry.close();
      await registry.teardownAll();
      expect(registry.status().map((s) => s.state)).toEqual(['stopped', 'stopped']);
    });

    it('runs every plugin under this runtime', () => {
      expect(registry.status().map((s) => [s.name, s.runtime, s.state])).toEqual([
        ['alpha', runtime, 'ready'],
        ['beta', runtime, 'ready'],
      ]);
    });

    it('singleton: the highest priority answers', async () => {
      await expect(registry.call('suite', 'single', { text: 'hi' })).resolves.toEqual({
        plugin: 'alpha',
        echo: 'hi',
      });
    });

    it('broadcast_collect: every plugin, in priority order', async () => {
      await expect(registry.call('suite', 'collect', { n: 21 })).resolves.toEqual([
        { plugin: 'alpha', value: { plugin: 'alpha', doubled: 42 } },
        { plugin: 'beta', value: { plugin: 'beta', doubled: 42 } },
      ]);
    });

    it('broadcast_notify: fire and forget, every plugin receives it', async () => {
      await expect(registry.call('suite', 'notify', { note: 'n-1' })).resolves.toBeUndefined();
      await registry.settled();
      for (const name of ['alpha', 'beta']) {
        const notes = (await registry.call('suite', 'notes', {}, { target: name })) as {
          notes: string[];
        };
        expect(notes.notes).toContain('n-1');
      }
    });

    it('chain: output of one plugin is the input of the next', async () => {
      await expect(registry.call('suite', 'chained', { text: 'x' })).resolves.toEqual({
        text: 'x>alpha>beta',
      });
    });

    it('capability: routed by the selector', async () => {
      await expect(
        registry.call('suite', 'route', { path: 'a.py' }, { selector: { extension: '.py' } }),
      ).resolves.toEqual({ handled_by: 'beta', path: 'a.py' });
      await expect(
        registry.call('suite', 'route', { path: 'a.md' }, { selector: { extension: 'md' } }),
      ).resolves.toEqual({ handled_by: 'alpha', path: 'a.md' });
    });

    it('metadata (tenant_id and every other key) and trace context arrive unchanged', async () => {
      const seen = await registry.call('suite', 'whoami', {}, { metadata: CALL_METADATA });
      expect(seen).toEqual({
        kind: 'suite',
        name: 'alpha',
        hook: 'whoami',
        metadata: CALL_METADATA,
      });
      const bare = (await registry.call('suite', 'whoami', {})) as { metadata: unknown };
      expect(bare.metadata).toEqual({});
    });

    it('setup gets the config, the start-up metadata and plain-data resources', async () => {
      await expect(registry.call('suite', 'setup_info', {})).resolves.toEqual({
        config: { tag: 'alpha' },
        metadata: SETUP_METADATA,
        region: 'eu-1',
      });
    });

    it('a plugin error surfaces as PluginInvocationError with the remote name and code', async () => {
      const error = (await registry
        .call('suite', 'fail', { message: 'tenant t-42 is over budget' })
        .catch((e: unknown) => e)) as PluginInvocationError;
      expect(isPluginInvocationError(error)).toBe(true);
      expect(error.plugin).toBe('alpha');
      expect(error.hook).toBe('fail');
      expect(error.remoteName).toBe('QuotaExceeded');
      expect(error.remoteCode).toBe('QUOTA_EXCEEDED');
      expect(error.message).toContain('tenant t-42 is over budget');
    });

    it('a call past its deadline rejects with HookTimeout and the plugin sees the cancellation', async () => {
      const error = await registry
        .call('suite', 'slow', { ms: 60_000, id: 'late-1' }, { timeoutMs: 150 })
        .catch((e: unknown) => e);
      expect(isHookTimeout(error)).toBe(true);
      await eventually(async () => {
        const seen = (await registry.call('suite', 'cancellations', {})) as { ids: string[] };
        return seen.ids.includes('late-1');
      });
    });

    it('a call cancelled by the caller rejects with HookCancelled and reaches the plugin', async () => {
      const controller = new AbortController();
      const pending = registry.call(
        'suite',
        'slow',
        { ms: 60_000, id: 'abort-1' },
        { signal: controller.signal },
      );
      setTimeout(() => controller.abort(new Error('user left')), 50);
      expect(isHookCancelled(await pending.catch((e: unknown) => e))).toBe(true);
      await eventually(async () => {
        const seen = (await registry.call('suite', 'cancellations', {})) as { ids: string[] };
        return seen.ids.includes('abort-1');
      });
    });

    it('inputs and outputs that are not objects cross unchanged', async () => {
      await expect(registry.call('suite', 'scalar', [1, 2, 3])).resolves.toBe(3);
      await expect(registry.call('suite', 'scalar', 'hi')).resolves.toBe('got "hi"');
    });
  });
}
