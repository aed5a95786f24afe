// Fault tests on 127.0.0.1 with real servers: this package's servePlugin, in
// this process or in a child process that a test kills and restarts, and a
// small reverse proxy that plays a gateway (503) and records what crossed.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  isHookTimeout,
  isKindUnknown,
  isPluginInvocationError,
  isPluginUnavailable,
  type PluginInvocationError,
  type PluginUnavailable,
} from '@dagstack/plugin-api';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ES module fixture without types
import { SuitePlugin } from '../../runtime-mcp-stdio/test/fixtures/suite/plugin.mjs';
import { servePlugin } from '../src/index.js';
import {
  closeAll,
  eventually,
  freePort,
  httpManifest,
  KINDS,
  type LogRecord,
  makeRegistry,
  memoryLogger,
  onClose,
  startProxy,
  startSuiteServer,
  waitForState,
} from './helpers.js';

afterEach(closeAll);

const CONFIG = { suite: { alpha: { tag: 'alpha' } } };

/** SuitePlugin that records which slow calls have started. */
class ObservedSuitePlugin extends SuitePlugin {
  readonly started: string[] = [];
  slow(input: { ms: number; id: string }, call: unknown): Promise<unknown> {
    this.started.push(input.id);
    return super.slow(input, call);
  }
}

async function serveInProcess(options: { token?: string; plugin?: object } = {}) {
  const served = await servePlugin(options.plugin ?? new SuitePlugin(), KINDS.suite, {
    transport: 'http',
    name: 'alpha',
    ...(options.token === undefined ? {} : { auth: { token: options.token } }),
  });
  onClose(() => served.close());
  return served;
}

function stateOf(registry: { status(): { name: string; state: string }[] }): string | undefined {
  return registry.status().find((s) => s.name === 'alpha')?.state;
}

describe('start-up', () => {
  it('a service that is down at start makes the plugin unavailable with the reason, then ready once it is up', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/mcp`;
    const { registry, runtime } = makeRegistry(
      { config: CONFIG },
      { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } },
    );
    registry.registerKind(KINDS.suite);
    registry.registerManifest(httpManifest('alpha', 'suite', url));
    await registry.setupAll();
    await waitForState(registry, 'alpha', 'unavailable');
    const status = registry.status().find((s) => s.name === 'alpha');
    process.stdout.write(`status while down: ${status?.state}: ${status?.error?.message}\n`);
    expect(status?.error?.message).toMatch(/not reachable \(ECONNREFUSED\)/);
    // Unavailable plugins are not dispatch candidates: nothing can serve the call.
    const early = await registry.call('suite', 'single', { text: 'x' }).catch((e: unknown) => e);
    expect(isKindUnknown(early)).toBe(true);
    const direct = await registry
      .getPlugin<Record<string, (i: unknown) => Promise<unknown>>>('suite', 'alpha')
      .single?.({ text: 'x' })
      .catch((e: unknown) => e);
    expect(isPluginUnavailable(direct)).toBe(true);
    expect(runtime.connections()[0]).toMatchObject({ state: 'down', sessions: 0 });

    await startSuiteServer({ PORT: String(port) });
    await waitForState(registry, 'alpha', 'ready');
    await expect(registry.call('suite', 'single', { text: 'hi' })).resolves.toEqual({
      plugin: 'alpha',
      echo: 'hi',
    });
    // The setup deferred while the service was down was sent when it came up.
    await expect(registry.call('suite', 'setup_info', {})).resolves.toMatchObject({
      config: { tag: 'alpha' },
    });
    expect(runtime.connections()[0]).toMatchObject({ state: 'up', breaker: 'closed', sessions: 1 });
  });

  it('a wrong token is a clear auth error; neither token appears in errors, logs or status', async () => {
    const right = 'right-token-5f2b9c1e';
    const wrong = 'wrong-token-77aa31d0';
    const served = await serveInProcess({ token: right });
    const records: LogRecord[] = [];
    const { registry, runtime } = makeRegistry(
      { logger: memoryLogger(records), config: CONFIG },
      { env: { ALPHA_TOKEN: wrong } },
    );
    registry.registerKind(KINDS.suite);
    registry.registerManifest(
      httpManifest('alpha', 'suite', served.url, { auth: { token_env: 'ALPHA_TOKEN' } }),
    );
    const report = await registry.setupAll();
    const error = report.unavailable[0]?.error as PluginUnavailable;
    process.stdout.write(`auth error: ${error.message} | hint: ${error.hint}\n`);
    expect(isPluginUnavailable(error)).toBe(true);
    expect(error.message).toContain('refused the credentials (HTTP 401)');
    expect(error.hint).toContain('ALPHA_TOKEN');
    const printed = [
      error.message,
      error.hint,
      JSON.stringify(error.toJSON()),
      String(error.stack),
      JSON.stringify(registry.status()),
      JSON.stringify(runtime.connections()),
      JSON.stringify(records),
    ].join('\n');
    expect(printed).not.toContain(wrong);
    expect(printed).not.toContain(right);
  });

  it('a service that echoes the credentials back does not get them printed', async () => {
    const token = 'echoed-secret-0c4d8e2f';
    const echo = createServer((req, res) => {
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end(`denied for ${req.headers.authorization}`);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    onClose(() => new Promise((resolve) => echo.close(resolve)));
    const { port } = echo.address() as AddressInfo;
    const records: LogRecord[] = [];
    const { registry } = makeRegistry(
      { logger: memoryLogger(records) },
      { env: { ECHO_TOKEN: token } },
    );
    registry.registerKind(KINDS.suite);
    registry.registerManifest(
      httpManifest('alpha', 'suite', `http://127.0.0.1:${port}/mcp?key=${token}`, {
        auth: { token_env: 'ECHO_TOKEN' },
      }),
    );
    const report = await registry.setupAll();
    const error = report.unavailable[0]?.error;
    expect(isPluginUnavailable(error)).toBe(true);
    const printed = [
      error?.message,
      JSON.stringify(error?.toJSON()),
      JSON.stringify(registry.status()),
      JSON.stringify(records),
    ].join('\n');
    expect(printed).not.toContain(token);
  });

  it('the right token from the environment is accepted', async () => {
    const served = await serveInProcess({ token: 'a-good-token-123' });
    const { registry } = makeRegistry(
      { config: CONFIG },
      { env: { ALPHA_TOKEN: 'a-good-token-123' } },
    );
    registry.registerKind(KINDS.suite);
    registry.registerManifest(
      httpManifest('alpha', 'suite', served.url, { auth: { token_env: 'ALPHA_TOKEN' } }),
    );
    expect((await registry.setupAll()).unavailable).toEqual([]);
    await expect(registry.call('suite', 'single', { text: 'ok' })).resolves.toEqual({
      plugin: 'alpha',
      echo: 'ok',
    });
  });
});

describe('calls', () => {
  it('a gateway 503 is retried with backoff and the call succeeds; trace context rides in _meta and the header', async () => {
    const served = await serveInProcess();
    let refusals = 2;
    const proxy = await startProxy(served.url, (req) => {
      if (req.rpc === 'tools/call' && refusals > 0) {
        refusals -= 1;
        return { status: 503, body: 'service unavailable' };
      }
      return 'pass';
    });
    const { registry, runtime } = makeRegistry({ config: CONFIG });
    registry.registerKind(KINDS.suite);
    registry.registerManifest(httpManifest('alpha', 'suite', proxy.url, { retry_attempts: 3 }));
    expect((await registry.setupAll()).unavailable).toEqual([]);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const seen = await registry.call(
      'suite',
      'whoami',
      {},
      { metadata: { tenant_id: 't-1', trace_context: { traceparent, tracestate: 'v=1' } } },
    );
    expect(seen).toMatchObject({
      metadata: { tenant_id: 't-1', trace_context: { traceparent, tracestate: 'v=1' } },
    });
    const calls = proxy.seen.filter((r) => r.rpc === 'tools/call');
    expect(calls).toHaveLength(3);
    expect(calls.every((r) => r.headers.traceparent === traceparent)).toBe(true);
    expect(calls[2]?.headers.tracestate).toBe('v=1');
    expect(runtime.connections()[0]).toMatchObject({ consecutiveFailures: 0, breaker: 'closed' });
  });

  it("a plugin's own error is not retried and does not count against the service", async () => {
    const served = await serveInProcess();
    const proxy = await startProxy(served.url);
    const { registry, runtime } = makeRegistry({ config: CONFIG });
    registry.registerKind(KINDS.suite);
    registry.registerManifest(
      httpManifest('alpha', 'suite', proxy.url, {
        retry_attempts: 3,
        circuit_breaker_threshold: 1,
      }),
    );
    expect((await registry.setupAll()).unavailable).toEqual([]);
    const error = (await registry
      .call('suite', 'fail', { message: 'over budget' })
      .catch((e: unknown) => e)) as PluginInvocationError;
    expect(isPluginInvocationError(error)).toBe(true);
    expect(error.remoteName).toBe('QuotaExceeded');
    expect(proxy.seen.filter((r) => r.rpc === 'tools/call')).toHaveLength(1);
    expect(runtime.connections()[0]).toMatchObject({ consecutiveFailures: 0, breaker: 'closed' });
  });

  it('a call slower than timeout_sec rejects with HookTimeout and the plugin sees the cancellation', async () => {
    const served = await serveInProcess();
    const { registry } = makeRegistry({ config: CONFIG });
    registry.registerKind(KINDS.suite);
    registry.registerManifest(
      httpManifest('alpha', 'suite', served.url, {
        timeout_sec: 0.3,
        circuit_breaker_threshold: 5,
      }),
    );
    expect((await registry.setupAll()).unavailable).toEqual([]);
    const error = await registry
      .call('suite', 'slow', { ms: 60_000, id: 'slow-1' })
      .catch((e: unknown) => e);
    expect(isHookTimeout(error)).toBe(true);
    process.stdout.write(`timeout error: ${(error as Error).message}\n`);
    await eventually(async () => {
      const seen = (await registry.call('suite', 'cancellations', {})) as { ids: string[] };
      return seen.ids.includes('slow-1');
    });
  });

  it('a service restarted between calls: the lost session is detected and re-established, setup sent again', async () => {
    const first = await startSuiteServer();
    const port = new URL(first.url).port;
    const { registry, runtime } = makeRegistry({ config: CONFIG });
    registry.registerKind(KINDS.suite);
    registry.registerManifest(httpManifest('alpha', 'suite', first.url));
    expect((await registry.setupAll()).unavailable).toEqual([]);
    await expect(registry.call('suite', 'single', { text: 'a' })).resolves.toMatchObject({
      plugin: 'alpha',
    });
    await first.kill();
    await startSuiteServer({ PORT: port });
    // The new process has no session of ours: 404, a new session, setup, the call.
    await expect(registry.call('suite', 'single', { text: 'b' })).resolves.toEqual({
      plugin: 'alpha',
      echo: 'b',
    });
    await expect(registry.call('suite', 'setup_info', {})).resolves.toMatchObject({
      config: { tag: 'alpha' },
    });
    expect(stateOf(registry)).toBe('ready');
    expect(runtime.connections()[0]).toMatchObject({ state: 'up', sessions: 2 });
  });

  it('a service killed mid-call: typed error at once, the breaker opens and fails fast, then closes when it is back', async () => {
    const first = await startSuiteServer();
    const port = new URL(first.url).port;
    const { registry, runtime } = makeRegistry({ config: CONFIG });
    registry.registerKind(KINDS.suite);
    registry.registerManifest(
      httpManifest('alpha', 'suite', first.url, {
        retry_attempts: 1,
        circuit_breaker_threshold: 2,
        circuit_breaker_cooldown_sec: 0.2,
      }),
    );
    expect((await registry.setupAll()).unavailable).toEqual([]);
    const pending = registry
      .call('suite', 'slow', { ms: 60_000, id: 'doomed' })
      .catch((e: unknown) => e);
    await eventually(() => first.lines.includes('slow:doomed'));
    await first.kill('SIGKILL');
    const midCall = (await pending) as PluginUnavailable;
    process.stdout.write(`killed mid-call: ${midCall.message}\n`);
    expect(isPluginUnavailable(midCall)).toBe(true);
    expect(midCall.reason).toMatch(/broke during the call/);

    // The second consecutive failure (refused, retried once) opens the breaker.
    const refused = (await registry
      .call('suite', 'single', { text: 'x' })
      .catch((e: unknown) => e)) as PluginUnavailable;
    expect(isPluginUnavailable(refused)).toBe(true);
    expect(refused.reason).toMatch(/not reachable \(ECONNREFUSED\)/);
    await waitForState(registry, 'alpha', 'degraded');
    expect(['open', 'half_open']).toContain(runtime.connections()[0]?.breaker);
    const fast = (await registry
      .call('suite', 'single', { text: 'y' })
      .catch((e: unknown) => e)) as PluginUnavailable;
    process.stdout.write(`while open: ${fast.message}\n`);
    expect(isPluginUnavailable(fast)).toBe(true);
    expect(fast.message).toMatch(/circuit breaker/);

    await startSuiteServer({ PORT: port });
    await waitForState(registry, 'alpha', 'ready');
    await expect(registry.call('suite', 'single', { text: 'z' })).resolves.toEqual({
      plugin: 'alpha',
      echo: 'z',
    });
    expect(runtime.connections()[0]).toMatchObject({ breaker: 'closed', sessions: 2 });
  });
});

describe('shutdown', () => {
  it('servePlugin.close() lets the call in flight finish and refuses new ones (503 on open connections); the host gets typed errors', async () => {
    const plugin = new ObservedSuitePlugin();
    const served = await serveInProcess({ plugin });
    const { registry } = makeRegistry({ config: CONFIG });
    registry.registerKind(KINDS.suite);
    registry.registerManifest(httpManifest('alpha', 'suite', served.url, { retry_attempts: 0 }));
    expect((await registry.setupAll()).unavailable).toEqual([]);
    const inFlight = registry.call('suite', 'slow', { ms: 200, id: 'finishing' });
    await eventually(() => plugin.started.includes('finishing'));
    const closing = served.close();
    const during = (await registry
      .call('suite', 'single', { text: 'during' })
      .catch((e: unknown) => e)) as PluginUnavailable;
    process.stdout.write(`call during shutdown: ${during.reason}\n`);
    expect(isPluginUnavailable(during)).toBe(true);
    expect(during.reason).toMatch(/HTTP 503|ECONNREFUSED/);
    await expect(inFlight).resolves.toEqual({ done: true });
    await closing;
    const after = await registry.call('suite', 'single', { text: 'late' }).catch((e: unknown) => e);
    expect(isPluginUnavailable(after)).toBe(true);
  });

  it('teardown sends dagstack/teardown, ends the session and drops the connections', async () => {
    const served = await serveInProcess();
    const { registry, runtime } = makeRegistry({ config: CONFIG });
    registry.registerKind(KINDS.suite);
    registry.registerManifest(httpManifest('alpha', 'suite', served.url));
    expect((await registry.setupAll()).unavailable).toEqual([]);
    expect(served.sessions()).toBe(1);
    await registry.teardownAll();
    expect(stateOf(registry)).toBe('stopped');
    expect(served.sessions()).toBe(0);
    expect(runtime.connections()).toEqual([]);
  });
});
