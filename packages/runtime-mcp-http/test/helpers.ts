// Shared helpers of the http runtime tests: kinds, manifests, registries,
// servers and child processes that are always closed, a small reverse proxy
// that injects faults, and a memory logger.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { KindSpec, Logger, PluginState } from '@dagstack/plugin-api';
import { PluginRegistry, type PluginRegistryOptions } from '@dagstack/plugin-registry';
import {
  createMcpHttpRuntime,
  type McpHttpRuntime,
  type McpHttpRuntimeOptions,
} from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES: string = join(here, 'fixtures');
export const STDIO_FIXTURES: string = join(
  here,
  '..',
  '..',
  'runtime-mcp-stdio',
  'test',
  'fixtures',
);

export const KINDS = JSON.parse(readFileSync(join(STDIO_FIXTURES, 'kinds.json'), 'utf8')) as {
  suite: KindSpec;
  tool: KindSpec;
};

export function httpManifest(
  name: string,
  kind: string,
  url: string,
  http: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    schema_version: '1',
    name,
    kind,
    kind_api_version: '1',
    core_version: '>=0.1.0,<1.0.0',
    runtime: 'mcp_http',
    startup_timeout_sec: 30,
    teardown_timeout_sec: 10,
    ...extra,
    mcp_http: { url, ...http },
  };
}

export interface LogRecord {
  level: string;
  message: string;
  fields: Record<string, unknown> | undefined;
}

/** A logger that keeps every record (fields merged through child()). */
export function memoryLogger(records: LogRecord[], bound: Record<string, unknown> = {}): Logger {
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      records.push({ level, message, fields: { ...bound, ...fields } });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => memoryLogger(records, { ...bound, ...more }),
  };
}

const closers: (() => Promise<unknown> | unknown)[] = [];

/** Run `fn` at {@link closeAll} (afterEach), last registered first. */
export function onClose(fn: () => Promise<unknown> | unknown): void {
  closers.push(fn);
}

/** Close every registry, server and child a test made, even when it failed. */
export async function closeAll(): Promise<void> {
  for (const fn of closers.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      // keep closing the rest
    }
  }
}

/** A registry with the http runtime, torn down by {@link closeAll}. */
export function makeRegistry(
  options: PluginRegistryOptions = {},
  runtimeOptions: McpHttpRuntimeOptions = {},
): { registry: PluginRegistry; runtime: McpHttpRuntime } {
  const runtime = createMcpHttpRuntime(runtimeOptions);
  const registry = new PluginRegistry({
    healthChecks: false,
    env: {},
    ...options,
    runtimes: [runtime, ...(options.runtimes ?? [])],
  });
  onClose(async () => {
    registry.close();
    await registry.teardownAll().catch(() => undefined);
    await runtime.close();
  });
  return { registry, runtime };
}

/** A port that was free a moment ago (for services started later on it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ChildServer {
  readonly child: ChildProcess;
  readonly url: string;
  /** Lines the child printed on stdout after the first. */
  readonly lines: string[];
  readonly exited: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Start fixtures/suite-server.mjs in a child process; killed by {@link closeAll}. */
export async function startSuiteServer(env: Record<string, string> = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, [join(FIXTURES, 'suite-server.mjs')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  onClose(() => kill());
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const lines: string[] = [];
  const reader = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    reader.on('line', (line) => {
      if (line.startsWith('{')) resolve((JSON.parse(line) as { url: string }).url);
      else lines.push(line);
    });
    void exited.then(() => reject(new Error(`the server exited: ${stderr.join('')}`)));
  });
  return { child, url, lines, exited, kill };
}

/** What a {@link startProxy} rule decides for one request. */
export type ProxyVerdict =
  | 'pass'
  | { status: number; body?: string; headers?: Record<string, string> };

export interface ProxyRequest {
  readonly method: string;
  /** The request target (path and query). */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** The JSON-RPC method of a POST body, when it has one. */
  readonly rpc: string | undefined;
}

/**
 * A reverse proxy on 127.0.0.1 in front of `target`, recording every request
 * and letting `rule` answer some itself (a gateway's 503). Closed by {@link closeAll}.
 */
export async function startProxy(
  target: string,
  rule: (req: ProxyRequest) => ProxyVerdict = () => 'pass',
): Promise<{ url: string; seen: ProxyRequest[]; server: Server }> {
  const to = new URL(target);
  const seen: ProxyRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      let rpc: string | undefined;
      try {
        rpc = (JSON.parse(body) as { method?: string }).method;
      } catch {
        rpc = undefined;
      }
      const entry: ProxyRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        rpc,
      };
      seen.push(entry);
      const verdict = rule(entry);
      if (verdict !== 'pass') {
        res.writeHead(verdict.status, { 'content-type': 'text/plain', ...verdict.headers });
        res.end(verdict.body ?? 'injected by the test proxy');
        return;
      }
      const upstream = httpRequest(
        to,
        { method: req.method, headers: { ...req.headers, host: to.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => {
        res.writeHead(502);
        res.end('bad gateway');
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onClose(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}${to.pathname}`, seen, server };
}

/** Resolve when `registry` reports `name` in `state` (no wall-clock assertion). */
export function waitForState(
  registry: PluginRegistry,
  name: string,
  state: PluginState,
): Promise<void> {
  return new Promise((resolve) => {
    if (registry.status().find((s) => s.name === name)?.state === state) {
      resolve();
      return;
    }
    const off = registry.on('state', (change) => {
      if (change.name === name && change.to === state) {
        off();
        resolve();
      }
    });
  });
}

/** Poll until `check` is true (bounded by the test's own timeout). */
export async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * Start @modelcontextprotocol/server-everything in its Streamable HTTP mode on
 * `port` (it listens on every interface); killed by {@link closeAll}.
 */
export async function startEverything(port: number): Promise<{
  readonly url: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}> {
  const require = createRequire(import.meta.url);
  const entry = join(
    dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')),
    'dist',
    'index.js',
  );
  const child = spawn(process.execPath, [entry, 'streamableHttp'], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  onClose(() => kill());
  await new Promise<void>((resolve, reject) => {
    let text = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('listening on port')) resolve();
    });
    void exited.then(() => reject(new Error(`server-everything exited: ${text}`)));
  });
  return { url: `http://127.0.0.1:${port}/mcp`, kill };
}
