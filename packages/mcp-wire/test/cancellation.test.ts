// Cancellation of host calls (session.ts, call-abort.ts): a call is watched
// through its `watchAbort` method when it has one (its signal is never
// read), through its signal otherwise, and an abort reaches the plugin as MCP
// `notifications/cancelled` before anything the host sends next. No
// wall-clock assertions: each test waits for events, not for time.
import {
  type CallAbortListener,
  CallAbortListeners,
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
async function open() {
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
  // What the host sends, in order: methods of requests and notifications.
  const sent: string[] = [];
  const send = clientSide.send.bind(clientSide);
  clientSide.send = (message, options) => {
    if ('method' in message) sent.push(message.method);
    return send(message, options);
  };
  const client = createWireClient();
  await client.connect(clientSide);
  const session = openWireSession({ client, manifest: MANIFEST, kindSpec: KIND });
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
  return { session, client, state, started, cancelled, sent };
}

/**
 * A HookCall with `watchAbort` (like the dispatch engine's): its
 * signal throws when read, so a test fails if the session reads it.
 */
function watchableCall(hook: string, canAbort = true) {
  const listeners = new CallAbortListeners();
  const counts = { on: 0, off: 0 };
  const call = {
    kind: 'demo',
    name: 'g',
    hook,
    metadata: {},
    get signal(): AbortSignal {
      throw new Error('the signal was read');
    },
    watchAbort(listener: CallAbortListener, on: boolean): boolean {
      if (!canAbort) return false;
      if (on) {
        counts.on += 1;
        listeners.add(listener);
      } else {
        counts.off += 1;
        listeners.remove(listener);
      }
      return true;
    },
  };
  return { call, counts, abort: (reason: unknown) => listeners.fire(reason) };
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
  it('a call that can never abort is not watched at all', async () => {
    const { session, client } = await open();
    const { call, counts } = watchableCall('greet', false);
    await expect(session.invoke('greet', { who: 'w' }, call)).resolves.toEqual({ hello: 'w' });
    expect(counts).toEqual({ on: 0, off: 0 });
    await client.close();
  });

  it('a watchable call is watched without its signal, and unwatched once it settled', async () => {
    const { session, client } = await open();
    const { call, counts } = watchableCall('greet');
    await expect(session.invoke('greet', { who: 'w' }, call)).resolves.toEqual({ hello: 'w' });
    expect(counts).toEqual({ on: 1, off: 1 });
    await client.close();
  });

  it('a watchable call that aborts: the peer is told before the next request goes out', async () => {
    const { session, client, started, cancelled, sent } = await open();
    const { call, abort } = watchableCall('slow');
    const pending = session.invoke('slow', { id: 'w' }, call).catch((e: unknown) => e);
    await started('w');
    const reason = new Error('user left');
    abort(reason);
    const next = session.invoke('greet', { who: 'x' }, watchableCall('greet').call);
    const error = await pending;
    expect(isHookCancelled(error)).toBe(true);
    expect((error as { cause?: unknown }).cause).toBe(reason);
    await expect(next).resolves.toEqual({ hello: 'x' });
    await cancelled('w');
    const tail = sent.slice(sent.lastIndexOf('notifications/cancelled') - 1);
    expect(tail).toEqual(['tools/call', 'notifications/cancelled', 'tools/call']);
    await client.close();
  });

  it('a call without that side: the caller aborts, the plugin is told, the call rejects with the reason', async () => {
    const { session, client, started, cancelled } = await open();
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

  it('a call whose signal is already aborted is refused before it is sent', async () => {
    const { session, client, state } = await open();
    const { call, controller } = countingCall('slow');
    controller.abort(new Error('too late'));
    expect(isHookCancelled(await session.invoke('slow', { id: 'c' }, call).catch((e) => e))).toBe(
      true,
    );
    expect(state.started).toEqual([]);
    await client.close();
  });

  it('a watchable call that already aborted is refused before it is sent', async () => {
    const { session, client, state } = await open();
    const { call, abort } = watchableCall('slow');
    abort(new Error('too late'));
    expect(isHookCancelled(await session.invoke('slow', { id: 'd' }, call).catch((e) => e))).toBe(
      true,
    );
    expect(state.started).toEqual([]);
    await client.close();
  });

  it('drops its listener on the signal once the call settled', async () => {
    const { session, client } = await open();
    const { call, counts } = countingCall('greet');
    await session.invoke('greet', { who: 'w' }, call);
    expect(counts).toEqual({ reads: 1, added: 1, removed: 1 });
    await client.close();
  });
});
