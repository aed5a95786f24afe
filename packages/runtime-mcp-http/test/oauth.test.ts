// The OAuth 2.1 client-credentials grant of `mcp_http` (spec decision H1),
// end to end on 127.0.0.1: a real token endpoint (node:http, here) and a
// real MCP server (this package's servePlugin) behind a gate that accepts
// only the tokens that endpoint issued and has not revoked.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  isPluginError,
  isPluginUnavailable,
  type PluginRegistryError,
  type PluginUnavailable,
} from '@dagstack/plugin-api';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ES module fixture without types
import { SuitePlugin } from '../../runtime-mcp-stdio/test/fixtures/suite/plugin.mjs';
import { isOAuthTokenError, type OAuthTokenError, servePlugin } from '../src/index.js';
import {
  closeAll,
  freePort,
  httpManifest,
  KINDS,
  type LogRecord,
  makeRegistry,
  memoryLogger,
  onClose,
  type ProxyRequest,
  startProxy,
  waitForState,
} from './helpers.js';

afterEach(closeAll);

const CONFIG = { suite: { alpha: { tag: 'alpha' } } };
const CLIENT_ID = 'host-a';
const SECRET = 'cs-right-7c1f09d2e4';

/** One request the token endpoint got. */
interface TokenRequestSeen {
  /** `basic`: credentials in the Authorization header; `post`: in the form body. */
  readonly clientAuth: 'basic' | 'post' | 'none';
  readonly form: URLSearchParams;
  readonly authorization: string | undefined;
}

interface TokenServer {
  readonly url: string;
  readonly requests: TokenRequestSeen[];
  /** Whether `token` was issued here and not revoked. */
  valid(token: string): boolean;
  revoke(token: string): void;
  close(): Promise<void>;
}

/**
 * A token endpoint of the client-credentials grant on 127.0.0.1: it accepts
 * `CLIENT_ID` / `SECRET` the way `accept` says and issues a new token each
 * time, living `expiresIn` seconds (none when `undefined`). Closed by closeAll.
 */
async function startTokenServer(
  options: { accept?: 'basic' | 'post'; expiresIn?: number | undefined; port?: number } = {},
): Promise<TokenServer> {
  const accept = options.accept ?? 'basic';
  const expiresIn = 'expiresIn' in options ? options.expiresIn : 3600;
  const requests: TokenRequestSeen[] = [];
  const issued = new Set<string>();
  let count = 0;
  const answer = (res: ServerResponse, status: number, body: unknown, extra = {}): void => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      ...extra,
    });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      const authorization = req.headers.authorization;
      let id: string | undefined;
      let secret: string | undefined;
      let clientAuth: TokenRequestSeen['clientAuth'] = 'none';
      if (authorization?.startsWith('Basic ')) {
        clientAuth = 'basic';
        const [rawId, rawSecret] = Buffer.from(authorization.slice(6), 'base64')
          .toString()
          .split(':');
        id = decodeURIComponent(rawId ?? '');
        secret = decodeURIComponent(rawSecret ?? '');
      } else if (form.has('client_secret')) {
        clientAuth = 'post';
        id = form.get('client_id') ?? undefined;
        secret = form.get('client_secret') ?? undefined;
      }
      requests.push({ clientAuth, form, authorization });
      if (req.method !== 'POST' || req.url !== '/oauth/token') {
        answer(res, 404, { error: 'not_found' });
        return;
      }
      if (form.get('grant_type') !== 'client_credentials') {
        answer(res, 400, { error: 'unsupported_grant_type' });
        return;
      }
      if (clientAuth !== accept || id !== CLIENT_ID || secret !== SECRET) {
        answer(
          res,
          401,
          { error: 'invalid_client', error_description: 'Client authentication failed' },
          { 'www-authenticate': 'Basic realm="test"' },
        );
        return;
      }
      count += 1;
      const token = `at-${count}-${Math.random().toString(36).slice(2)}`;
      issued.add(token);
      answer(res, 200, {
        access_token: token,
        token_type: 'Bearer',
        ...(expiresIn === undefined ? {} : { expires_in: expiresIn }),
        scope: form.get('scope') ?? undefined,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
    return closed;
  };
  onClose(close);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/oauth/token`,
    requests,
    valid: (token) => issued.has(token),
    revoke: (token) => {
      issued.delete(token);
    },
    close,
  };
}

interface GatedService {
  readonly url: string;
  /** Accept the tokens of `tokens` (instead of the server's before). */
  use(tokens: TokenServer): void;
  /** Requests that reached the gate, with the answer it gave. */
  readonly seen: ProxyRequest[];
  /** The 401s the gate answered. */
  refused(): number;
  /** The bearer tokens the gate let through, in order. */
  readonly passed: string[];
  /** Refuse every token from now on. */
  refuseAll(): void;
}

/**
 * The suite plugin served on 127.0.0.1 behind a gate that wants a token
 * `tokens` issued (none is accepted until there is a token server).
 */
async function startGatedService(initial?: TokenServer): Promise<GatedService> {
  let tokens = initial;
  const served = await servePlugin(new SuitePlugin(), KINDS.suite, {
    transport: 'http',
    name: 'alpha',
  });
  onClose(() => served.close());
  let refusals = 0;
  let refuseAll = false;
  const passed: string[] = [];
  const proxy = await startProxy(served.url, (req) => {
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (token === undefined || refuseAll || tokens?.valid(token) !== true) {
      refusals += 1;
      return {
        status: 401,
        body: 'invalid token',
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      };
    }
    passed.push(token);
    return 'pass';
  });
  return {
    url: proxy.url,
    use: (next) => {
      tokens = next;
    },
    seen: proxy.seen,
    refused: () => refusals,
    passed,
    refuseAll: () => {
      refuseAll = true;
    },
  };
}

function oauthAuth(tokenUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    auth: {
      type: 'oauth2_client_credentials',
      token_url: tokenUrl,
      client_id: CLIENT_ID,
      client_secret_env: 'ALPHA_CLIENT_SECRET',
      scope: 'mcp:call',
      ...extra,
    },
  };
}

async function setUp(
  url: string,
  http: Record<string, unknown>,
  options: { secret?: string; records?: LogRecord[]; reconnectMs?: number } = {},
) {
  const { registry, runtime } = makeRegistry(
    { config: CONFIG, logger: memoryLogger(options.records ?? []) },
    {
      env: { ALPHA_CLIENT_SECRET: options.secret ?? SECRET },
      reconnect: { initialDelayMs: options.reconnectMs ?? 50, maxDelayMs: 200 },
    },
  );
  registry.registerKind(KINDS.suite);
  registry.registerManifest(httpManifest('alpha', 'suite', url, http));
  const report = await registry.setupAll();
  return { registry, runtime, report };
}

const call = (
  registry: { call(k: string, h: string, i: unknown): Promise<unknown> },
  text: string,
) => registry.call('suite', 'single', { text });

describe('OAuth client credentials', () => {
  it('fetches one token for many calls and sends it as a Bearer token; HTTP Basic client auth by default', async () => {
    const tokens = await startTokenServer();
    const service = await startGatedService(tokens);
    const records: LogRecord[] = [];
    const { registry, runtime, report } = await setUp(service.url, oauthAuth(tokens.url), {
      records,
    });
    expect(report.unavailable).toEqual([]);
    for (let i = 0; i < 10; i += 1) {
      await expect(call(registry, `s${i}`)).resolves.toEqual({ plugin: 'alpha', echo: `s${i}` });
    }
    const together = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call(registry, `c${i}`)),
    );
    expect(together).toHaveLength(10);

    expect(tokens.requests).toHaveLength(1);
    const [request] = tokens.requests;
    expect(request?.clientAuth).toBe('basic');
    expect(request?.form.get('grant_type')).toBe('client_credentials');
    expect(request?.form.get('scope')).toBe('mcp:call');
    expect(request?.form.has('client_secret')).toBe(false);
    expect(request?.form.has('resource')).toBe(false);
    expect(service.refused()).toBe(0);
    expect(new Set(service.passed).size).toBe(1);
    expect(service.passed.length).toBe(service.seen.length);
    // Logged without the token or the secret.
    expect(records.some((r) => r.message === 'fetched an OAuth access token')).toBe(true);
    const printed = JSON.stringify([records, registry.status(), runtime.connections()]);
    expect(printed).not.toContain(SECRET);
    expect(printed).not.toContain(service.passed[0]);
  });

  it('renews the token shortly before it expires, without a 401', async () => {
    const tokens = await startTokenServer({ expiresIn: 2 });
    const service = await startGatedService(tokens);
    const { registry, report } = await setUp(service.url, oauthAuth(tokens.url));
    expect(report.unavailable).toEqual([]);
    await expect(call(registry, 'before')).resolves.toMatchObject({ echo: 'before' });
    expect(tokens.requests).toHaveLength(1);
    // A 2 s token is renewed at 90 % of its life.
    await new Promise((resolve) => setTimeout(resolve, 1850));
    await expect(call(registry, 'after')).resolves.toMatchObject({ echo: 'after' });
    await expect(call(registry, 'again')).resolves.toMatchObject({ echo: 'again' });
    expect(tokens.requests).toHaveLength(2);
    expect(service.refused()).toBe(0);
    expect(new Set(service.passed).size).toBe(2);
  });

  it('a revoked token gets one new token on the 401, shared by concurrent calls, and the calls go through', async () => {
    const tokens = await startTokenServer();
    const service = await startGatedService(tokens);
    const { registry, runtime, report } = await setUp(service.url, oauthAuth(tokens.url));
    expect(report.unavailable).toEqual([]);
    await expect(call(registry, 'first')).resolves.toMatchObject({ echo: 'first' });
    const first = service.passed.at(-1) as string;
    tokens.revoke(first);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => call(registry, `after-revoke-${i}`)),
    );
    expect(results.map((r) => (r as { echo: string }).echo)).toEqual(
      Array.from({ length: 5 }, (_, i) => `after-revoke-${i}`),
    );
    expect(tokens.requests).toHaveLength(2);
    expect(service.refused()).toBeGreaterThanOrEqual(1);
    expect(service.refused()).toBeLessThanOrEqual(5);
    expect(service.passed.at(-1)).not.toBe(first);
    // The 401s were answered by a new token, not counted against the service.
    expect(runtime.connections()[0]).toMatchObject({ state: 'up', consecutiveFailures: 0 });
    expect(registry.status().find((s) => s.name === 'alpha')?.state).toBe('ready');
  });

  it('a service that refuses every token fails the call after one renewal, with a hint naming the token endpoint', async () => {
    const tokens = await startTokenServer();
    const service = await startGatedService(tokens);
    const { registry, report } = await setUp(service.url, oauthAuth(tokens.url, {}));
    expect(report.unavailable).toEqual([]);
    service.refuseAll();
    const before = tokens.requests.length;
    const error = (await call(registry, 'x').catch((e: unknown) => e)) as PluginUnavailable;
    process.stdout.write(`refused token: ${error.message}\n`);
    expect(isPluginUnavailable(error)).toBe(true);
    expect(isOAuthTokenError(error)).toBe(false);
    expect(error.reason).toContain('refused the credentials (HTTP 401)');
    expect(error.hint).toContain(tokens.url);
    // One renewal for the one call: the token it was refused with, then one more.
    expect(tokens.requests.length - before).toBe(1);
    expect(service.refused()).toBe(2);
  });

  it('a wrong client secret is an OAuthTokenError with invalid_client; no secret in errors, logs or status', async () => {
    const wrong = 'cs-wrong-44e0ab19f3';
    const tokens = await startTokenServer();
    const service = await startGatedService(tokens);
    const records: LogRecord[] = [];
    const { registry, runtime, report } = await setUp(service.url, oauthAuth(tokens.url), {
      secret: wrong,
      records,
    });
    const error = report.unavailable[0]?.error as OAuthTokenError;
    process.stdout.write(`wrong secret: ${error?.message}\n`);
    expect(isOAuthTokenError(error)).toBe(true);
    expect(isPluginUnavailable(error)).toBe(true);
    expect(isPluginError(error, 'OAUTH_TOKEN_FAILED')).toBe(true);
    expect(error.plugin).toBe('alpha');
    expect(error.tokenUrl).toBe(tokens.url);
    expect(error.oauthError).toBe('invalid_client');
    expect(error.oauthErrorDescription).toBe('Client authentication failed');
    expect(error.httpStatus).toBe(401);
    expect(error.message).toContain('plugin "alpha"');
    expect(error.message).toContain(
      `the token endpoint ${tokens.url} refused the client credentials (HTTP 401): invalid_client (Client authentication failed)`,
    );
    expect(error.hint).toContain('ALPHA_CLIENT_SECRET');
    expect(error.toJSON().details).toMatchObject({
      tokenUrl: tokens.url,
      oauthError: 'invalid_client',
    });
    expect(tokens.requests).toHaveLength(1);
    // No token, no request to the service.
    expect(service.seen).toHaveLength(0);
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
    expect(printed).not.toContain(SECRET);
    expect(printed).not.toContain(Buffer.from(`${CLIENT_ID}:${wrong}`).toString('base64'));
  });

  it('client_secret_post sends the client credentials in the form body, with the resource indicator', async () => {
    const tokens = await startTokenServer({ accept: 'post' });
    const service = await startGatedService(tokens);
    const { registry, report } = await setUp(
      service.url,
      oauthAuth(tokens.url, {
        token_endpoint_auth_method: 'client_secret_post',
        resource: 'http://127.0.0.1/mcp',
      }),
    );
    expect(report.unavailable).toEqual([]);
    await expect(call(registry, 'post')).resolves.toMatchObject({ echo: 'post' });
    const [request] = tokens.requests;
    expect(request?.clientAuth).toBe('post');
    expect(request?.authorization).toBeUndefined();
    expect(request?.form.get('client_id')).toBe(CLIENT_ID);
    expect(request?.form.get('resource')).toBe('http://127.0.0.1/mcp');
  });

  it('a token endpoint that is down at start leaves the plugin unavailable with the reason; it comes up with the endpoint', async () => {
    const port = await freePort();
    const tokenUrl = `http://127.0.0.1:${port}/oauth/token`;
    const service = await startGatedService();
    const { registry, runtime, report } = await setUp(service.url, oauthAuth(tokenUrl));
    // Not a load failure: the plugin waits for the token endpoint as for a service.
    expect(report.unavailable.map((u) => u.plugin)).toEqual(['alpha']);
    expect(isOAuthTokenError(report.unavailable[0]?.error)).toBe(true);
    await waitForState(registry, 'alpha', 'unavailable');
    const status = registry.status().find((s) => s.name === 'alpha');
    process.stdout.write(`token endpoint down: ${status?.error?.message}\n`);
    expect(status?.error?.message).toContain(
      `the token endpoint ${tokenUrl} is not reachable (ECONNREFUSED)`,
    );
    expect(status?.error?.code).toBe('OAUTH_TOKEN_FAILED');
    expect(status?.error?.details).toMatchObject({ tokenUrl });
    expect(runtime.connections()[0]).toMatchObject({ state: 'down', sessions: 0 });

    const tokens = await startTokenServer({ port });
    service.use(tokens);
    await waitForState(registry, 'alpha', 'ready');
    await expect(call(registry, 'up')).resolves.toMatchObject({ echo: 'up' });
    await expect(registry.call('suite', 'setup_info', {})).resolves.toMatchObject({
      config: { tag: 'alpha' },
    });
  });

  it('a token endpoint that goes down when the token expires degrades the plugin; ready again once it is back', async () => {
    const tokens = await startTokenServer({ expiresIn: 1 });
    const port = Number(new URL(tokens.url).port);
    const service = await startGatedService(tokens);
    const { registry, report } = await setUp(service.url, {
      ...oauthAuth(tokens.url),
      retry_attempts: 1,
      circuit_breaker_threshold: 5,
    });
    expect(report.unavailable).toEqual([]);
    await expect(call(registry, 'one')).resolves.toMatchObject({ echo: 'one' });
    await tokens.close();
    await new Promise((resolve) => setTimeout(resolve, 950));
    const error = (await call(registry, 'two').catch((e: unknown) => e)) as PluginRegistryError;
    process.stdout.write(`token endpoint gone: ${error.message}\n`);
    expect(isOAuthTokenError(error)).toBe(true);
    expect((error as OAuthTokenError).reason).toContain('is not reachable (ECONNREFUSED)');
    await waitForState(registry, 'alpha', 'degraded');

    const back = await startTokenServer({ port });
    service.use(back);
    await expect(call(registry, 'three')).resolves.toMatchObject({ echo: 'three' });
    await waitForState(registry, 'alpha', 'ready');
  });

  it('a client secret variable that is not set fails the load, naming it', async () => {
    const tokens = await startTokenServer();
    const service = await startGatedService(tokens);
    const { registry } = makeRegistry({ config: CONFIG }, { env: {} });
    registry.registerKind(KINDS.suite);
    registry.registerManifest(httpManifest('alpha', 'suite', service.url, oauthAuth(tokens.url)));
    const report = await registry.setupAll();
    const error = report.unavailable[0]?.error;
    expect(error?.message).toContain('ALPHA_CLIENT_SECRET');
    expect(error?.code).toBe('PLUGIN_LOAD_ERROR');
    expect(tokens.requests).toHaveLength(0);
  });
});
