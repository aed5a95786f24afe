// Cancellation of host calls (session.ts, call-abort.ts): the call's signal is
// watched at once or only after `signalWatchDelayMs`, and an abort still
// reaches the plugin as MCP `notifications/cancelled`. No wall-clock
// assertions: each test waits for events, not for time.
import {
  HookTimeout,
  isHookCancelled,
  type KindSpec,
  type PluginManifest,
} from '@dagstack/plugin-api';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import { createPluginServer, createWireClient, openWireSession } from '../src/index.js';

const KIND: KindSpec = {
  kind: 'demo',
  kind_api_version: '1.0.0',
  hooks: [
    { name: 'greet', dispatch: 'singleton', mcp_exposed: true },
    { name: 'slow', dispatch: 'singleton', mcp_exposed: true },
  ],
};

const MANIFEST = {
  schema_version: '1',
  name: 'g',
  kind: 'demo',
  kind_api_version: '1',
  source: 'inline',
} as unknown as PluginManifest;

/** A served plugin whose `slow` hook runs until its call is cancelled. */
async function open(signalWatchDelayMs: number) {
  const state = { cancelled: [] as string[], started: [] as string[] };
  let onStart: (id: string) => void = () => {};
  const plugin = {
    greet: (input: { who: string }) => ({ hello: input.who }),
    slow: (input: { id: string }, call: { signal: AbortSignal }) =>
      new Promise((_resolve, reject) => {
        call.signal.addEventListener('abort', () => {
          state.cancelled.push(input.id);
          reject(new Error('cancelled'));
        });
        state.started.push(input.id);
        onStart(input.id);
      }),
  };
  const served = createPluginServer(plugin, KIND, { name: 'g' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await served.server.connect(serverSide);
  const client = createWireClient();
  await client.connect(clientSide);
  const session = openWireSession({
    client,
    manifest: MANIFEST,
    kindSpec: KIND,
    signalWatchDelayMs,
  });
  const started = (id: string): Promise<void> =>
    new Promise((resolve) => {
      if (state.started.includes(id)) resolve();
      else
        onStart = (seen) => {
          if (seen === id) resolve();
        };
    });
  const cancelled = async (id: string): Promise<void> => {
    while (!state.cancelled.includes(id)) await new Promise((resolve) => setImmediate(resolve));
  };
  return { session, client, state, started, cancelled };
}

/** A HookCall whose signal counts how often it is read and watched. */
function countingCall(hook: string, controller = new AbortController()) {
  const counts = { reads: 0, added: 0, removed: 0 };
  const signal = controller.signal;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    counts.added += 1;
    add(...args);
  }) as typeof add;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    counts.removed += 1;
    remove(...args);
  }) as typeof remove;
  const call = {
    kind: 'demo',
    name: 'g',
    hook,
    metadata: {},
    get signal(): AbortSignal {
      counts.reads += 1;
      return signal;
    },
  };
  return { call, counts, controller };
}

describe('cancellation of host calls', () => {
  it('does not read the signal of a call that ends before the watch delay', async () => {
    const { session, client } = await open(60_000);
    const { call, counts } = countingCall('greet');
    await expect(session.invoke('greet', { who: 'w' }, call)).resolves.toEqual({ hello: 'w' });
    expect(counts.reads).toBe(0);
    await client.close();
  });

  it('watching at once: the caller aborts, the plugin gets the cancellation, the call rejects with the reason', async () => {
    const { session, client, started, cancelled } = await open(0);
    const { call, counts, controller } = countingCall('slow');
    const pending = session.invoke('slow', { id: 'a' }, call).catch((e: unknown) => e);
    await started('a');
    expect(counts.reads).toBe(1);
    const deadline = new HookTimeout({ kind: 'demo', hook: 'slow', timeoutMs: 5 });
    controller.abort(deadline);
    expect(await pending).toBe(deadline);
    await cancelled('a');
    expect(counts.removed).toBe(counts.added);
    await client.close();
  });

  it('watching after a delay: an abort that came first is acted on when the call is watched', async () => {
    const { session, client, started, cancelled } = await open(5);
    const { call, controller } = countingCall('slow');
    const pending = session.invoke('slow', { id: 'b' }, call).catch((e: unknown) => e);
    await started('b');
    controller.abort(new Error('user left'));
    const error = await pending;
    expect(isHookCancelled(error)).toBe(true);
    expect((error as { cause?: unknown }).cause).toEqual(new Error('user left'));
    await cancelled('b');
    await client.close();
  });

  it('a call whose signal is already aborted is refused before it is sent', async () => {
    const { session, client, state } = await open(0);
    const { call, controller } = countingCall('slow');
    controller.abort(new Error('too late'));
    expect(isHookCancelled(await session.invoke('slow', { id: 'c' }, call).catch((e) => e))).toBe(
      true,
    );
    expect(state.started).toEqual([]);
    await client.close();
  });

  it('drops its listener on the signal once the call settled', async () => {
    const { session, client } = await open(0);
    const { call, counts } = countingCall('greet');
    await session.invoke('greet', { who: 'w' }, call);
    expect(counts).toEqual({ reads: 1, added: 1, removed: 1 });
    await client.close();
  });
});
