// Cancellation through the stdio runtime: calls are watched through their
// `watchAbort` method (no AbortSignal is created for them), and every source
// of an abort still reaches the plugin process as MCP `notifications/cancelled`.
// No wall-clock assertions.
import { join } from 'node:path';
import { isHookCancelled, isHookTimeout } from '@dagstack/plugin-api';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, eventually, FIXTURES, KINDS, makeRegistry, stdioManifest } from './helpers.js';

const SUITE_DIR = join(FIXTURES, 'suite');

afterEach(closeAll);

async function suite(
  registryOptions: Parameters<typeof makeRegistry>[0] = {},
  runtimeOptions: Parameters<typeof makeRegistry>[1] = {},
  extra: Record<string, unknown> = {},
) {
  const { registry } = makeRegistry(registryOptions, runtimeOptions);
  registry.registerKind(KINDS.suite);
  registry.registerManifest(
    stdioManifest('alpha', 'suite', join(SUITE_DIR, 'server.mjs'), extra),
    undefined,
    { dir: SUITE_DIR },
  );
  const report = await registry.setupAll();
  expect(report.unavailable).toEqual([]);
  const sawCancel = (id: string) =>
    eventually(async () => {
      const seen = (await registry.call('suite', 'cancellations', {})) as { ids: string[] };
      return seen.ids.includes(id);
    });
  return { registry, sawCancel };
}

describe('cancellation through the stdio runtime', () => {
  it('a call with no signal of its own is cancelled by the registry default timeout', async () => {
    const { registry, sawCancel } = await suite({ defaultCallTimeoutMs: 150 });
    const error = await registry
      .call('suite', 'slow', { ms: 60_000, id: 'default-deadline' })
      .catch((e: unknown) => e);
    expect(isHookTimeout(error)).toBe(true);
    await sawCancel('default-deadline');
  });

  it('a caller that aborts: rejected at once, the plugin told', async () => {
    const { registry, sawCancel } = await suite();
    const controller = new AbortController();
    const pending = registry
      .call('suite', 'slow', { ms: 60_000, id: 'caller' }, { signal: controller.signal })
      .catch((e: unknown) => e);
    setTimeout(() => controller.abort(new Error('user left')), 20);
    expect(isHookCancelled(await pending)).toBe(true);
    await sawCancel('caller');
  });

  it('teardown cancels a call still in flight, and the plugin sees it', async () => {
    const { registry } = await suite({}, {}, { teardown_timeout_sec: 1 });
    const pending = registry
      .call('suite', 'slow', { ms: 60_000, id: 'torn-down' })
      .catch((e: unknown) => e);
    await registry.teardownAll();
    expect(isHookCancelled(await pending)).toBe(true);
  });
});
