// The host side when the service goes away and comes back: a server built on
// the SDK's examples (server-everything) answers a session it does not know
// with 400, not 404; calls that fail at the transport level make the plugin
// `degraded` in the registry, and the next call that succeeds makes it
// `ready` again, without reloading the plugin.
import {
  isPluginInvocationError,
  isPluginUnavailable,
  type PluginUnavailable,
} from '@dagstack/plugin-api';
import type { PluginRegistry } from '@dagstack/plugin-registry';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ES module fixture without types
import { SuitePlugin } from '../../runtime-mcp-stdio/test/fixtures/suite/plugin.mjs';
import { servePlugin } from '../src/index.js';
import {
  closeAll,
  freePort,
  httpManifest,
  KINDS,
  makeRegistry,
  onClose,
  type ProxyRequest,
  startEverything,
  startProxy,
} from './helpers.js';

afterEach(closeAll);

const CONFIG = { suite: { alpha: { tag: 'alpha' } } };
/** What server-everything (and the SDK's example servers) answer for an unknown session. */
const NO_SESSION_BODY = JSON.stringify({
  jsonrpc: '2.0',
  error: { code: -32000, message: 'Bad Request: No valid session ID provided' },
  id: null,
});

function stateOf(registry: PluginRegistry, name: string): string | undefined {
  return registry.status().find((s) => s.name === name)?.state;
}

async function serveSuite() {
  const served = await servePlugin(new SuitePlugin(), KINDS.suite, {
    transport: 'http',
    name: 'alpha',
  });
  onClose(() => served.close());
  return served;
}

describe('server-everything restarted on the same port', () => {
  it('a call to the killed service fails typed and the plugin is degraded; after the restart calls succeed on a new session and it is ready', async () => {
    const port = await freePort();
    const first = await startEverything(port);
    const { registry, runtime } = makeRegistry(
      {},
      { retry: { attempts: 2, initialDelayMs: 20, maxDelayMs: 50 } },
    );
    registry.registerKind(KINDS.tool);
    registry.registerManifest(httpManifest('everything', 'tool', first.url));
    expect((await registry.setupAll()).unavailable).toEqual([]);
    const echo = (message: string) =>
      registry.call(
        'tool',
        'execute',
        { function: 'echo', args: { message } },
        { target: 'everything' },
      );
    await expect(echo('x')).resolves.toEqual({ result: 'Echo: x', is_error: false });
    expect(stateOf(registry, 'everything')).toBe('ready');

    await first.kill('SIGKILL');
    const failed = (await echo('while down').catch((e: unknown) => e)) as PluginUnavailable;
    process.stdout.write(`call to the killed service: ${failed.message}\n`);
    expect(isPluginUnavailable(failed)).toBe(true);
    expect(failed.reason).toMatch(/not reachable|broke during the call/);
    const status = registry.status().find((s) => s.name === 'everything');
    process.stdout.write(`status: ${status?.state}: ${status?.error?.message}\n`);
    expect(status?.state).toBe('degraded');
    expect(status?.error?.message).toMatch(/calls to http:\/\/127\.0\.0\.1:\d+\/mcp fail/);
    // Still loaded and still sending calls: the breaker has not opened.
    expect(runtime.connections()[0]).toMatchObject({ state: 'up', breaker: 'closed' });

    await startEverything(port);
    // The new process answers the old session id with 400 "No valid session
    // ID provided": the runtime opens a new session and sends the call again.
    // Bounded polling, in case the service is slow to take connections.
    let answer: unknown;
    for (let attempt = 0; attempt < 50 && answer === undefined; attempt += 1) {
      answer = await echo('back').catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return undefined;
      });
    }
    expect(answer).toEqual({ result: 'Echo: back', is_error: false });
    expect(stateOf(registry, 'everything')).toBe('ready');
    await expect(echo('again')).resolves.toEqual({ result: 'Echo: again', is_error: false });
    expect(runtime.connections()[0]).toMatchObject({
      state: 'up',
      breaker: 'closed',
      consecutiveFailures: 0,
      sessions: 2,
    });
  });
});

describe('a service that answers 400 about the session', () => {
  it('400 "No valid session ID provided" re-initialises the session and sends the call once more', async () => {
    const served = await serveSuite();
    let refused = 0;
    const proxy = await startProxy(served.url, (req: ProxyRequest) => {
      if (req.rpc === 'tools/call' && req.body.includes('"text":"first"') && refused === 0) {
        refused += 1;
        return { status: 400, body: NO_SESSION_BODY };
      }
      return 'pass';
    });
    const { registry, runtime } = makeRegistry({ config: CONFIG }, { retry: { attempts: 0 } });
    registry.registerKind(KINDS.suite);
    registry.registerManifest(httpManifest('alpha', 'suite', proxy.url));
    expect((await registry.setupAll()).unavailable).toEqual([]);
    const initializes = () => proxy.seen.filter((r) => r.rpc === 'initialize');
    expect(initializes()).toHaveLength(1);

    await expect(registry.call('suite', 'single', { text: 'first' })).resolves.toEqual({
      plugin: 'alpha',
      echo: 'first',
    });
    expect(refused).toBe(1);
    // A second handshake, without the forgotten session id, then setup again.
    expect(initializes()).toHaveLength(2);
    expect(initializes()[1]?.headers['mcp-session-id']).toBeUndefined();
    const calls = proxy.seen.filter(
      (r) => r.rpc === 'tools/call' && r.body.includes('"text":"first"'),
    );
    expect(calls).toHaveLength(2);
    expect(calls[1]?.headers['mcp-session-id']).not.toBe(calls[0]?.headers['mcp-session-id']);
    await expect(registry.call('suite', 'setup_info', {})).resolves.toMatchObject({
      config: { tag: 'alpha' },
    });
    expect(runtime.connections()[0]).toMatchObject({ state: 'up', sessions: 2 });
    expect(stateOf(registry, 'alpha')).toBe('ready');
  });

  it('a 400 that is not about the session is the request’s own failure: no new session, no retry, not degraded', async () => {
    const served = await serveSuite();
    const proxy = await startProxy(served.url, (req) =>
      req.rpc === 'tools/call' && req.body.includes('"text":"bad"')
        ? { status: 400, body: 'Bad Request: the params do not match the schema' }
        : 'pass',
    );
    const { registry, runtime } = makeRegistry({ config: CONFIG });
    registry.registerKind(KINDS.suite);
    registry.registerManifest(httpManifest('alpha', 'suite', proxy.url));
    expect((await registry.setupAll()).unavailable).toEqual([]);
    const error = (await registry
      .call('suite', 'single', { text: 'bad' })
      .catch((e: unknown) => e)) as PluginUnavailable;
    expect(isPluginUnavailable(error)).toBe(true);
    expect(error.reason).toMatch(/HTTP 400/);
    expect(proxy.seen.filter((r) => r.rpc === 'initialize')).toHaveLength(1);
    expect(proxy.seen.filter((r) => r.body.includes('"text":"bad"'))).toHaveLength(1);
    expect(stateOf(registry, 'alpha')).toBe('ready');
    expect(runtime.connections()[0]).toMatchObject({ sessions: 1 });
  });
});

describe('degraded and ready again', () => {
  it('a 5xx makes the plugin degraded; the next success, or the plugin’s own error, makes it ready', async () => {
    const served = await serveSuite();
    let failing = true;
    const proxy = await startProxy(served.url, (req) =>
      failing && req.rpc === 'tools/call' ? { status: 500, body: 'internal error' } : 'pass',
    );
    const { registry, runtime } = makeRegistry({ config: CONFIG });
    registry.registerKind(KINDS.suite);
    registry.registerManifest(httpManifest('alpha', 'suite', proxy.url));
    expect((await registry.setupAll()).unavailable).toEqual([]);
    const states: string[] = [];
    registry.on('state', (change) => {
      if (change.name === 'alpha') states.push(change.to);
    });

    const error = await registry.call('suite', 'single', { text: 'a' }).catch((e: unknown) => e);
    expect(isPluginUnavailable(error)).toBe(true);
    expect(stateOf(registry, 'alpha')).toBe('degraded');
    // Degraded plugins still take calls; a second failure does not report again.
    await registry.call('suite', 'single', { text: 'b' }).catch(() => undefined);
    expect(states).toEqual(['degraded']);
    expect(runtime.connections()[0]).toMatchObject({ state: 'up', consecutiveFailures: 2 });

    failing = false;
    await expect(registry.call('suite', 'single', { text: 'c' })).resolves.toEqual({
      plugin: 'alpha',
      echo: 'c',
    });
    expect(stateOf(registry, 'alpha')).toBe('ready');
    expect(states).toEqual(['degraded', 'ready']);

    // The plugin's own error proves the service answers too.
    failing = true;
    await registry.call('suite', 'single', { text: 'd' }).catch(() => undefined);
    expect(stateOf(registry, 'alpha')).toBe('degraded');
    failing = false;
    const own = await registry.call('suite', 'fail', { message: 'no' }).catch((e: unknown) => e);
    expect(isPluginInvocationError(own)).toBe(true);
    expect(stateOf(registry, 'alpha')).toBe('ready');
  });
});
