// Benchmark: registry.call through the mcp_http runtime vs the SDK's own
// Client (StreamableHTTPClientTransport, global fetch) calling the same plugin
// server directly, sequential and with 32 calls in flight. The server is the
// suite plugin served with this package's servePlugin in a child process on
// 127.0.0.1, so client and server do not share an event loop.
//
// `pnpm bench:http` from the repository root builds the packages first.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PluginRegistry } from '@dagstack/plugin-registry';
import { createMcpHttpRuntime } from '@dagstack/plugin-runtime-mcp-http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
// Internal module, imported only here: the same transport the runtime uses,
// so the third row isolates what the registry and the wire add.
import { createHttpFetch } from '../../packages/runtime-mcp-http/dist/http-fetch.js';
import { compareTargets } from './compare.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const packages = join(here, '..', '..', 'packages');
const serverScript = join(packages, 'runtime-mcp-http', 'test', 'fixtures', 'suite-server.mjs');
const kinds = JSON.parse(
  readFileSync(join(packages, 'runtime-mcp-stdio', 'test', 'fixtures', 'kinds.json'), 'utf8'),
);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 2000);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);
const IN_FLIGHT = 32;
const TOKEN = 'bench-token-0123456789';
const print = (line) => process.stdout.write(`${line}\n`);

async function startServer() {
  const child = spawn(process.execPath, [serverScript], {
    env: { PATH: process.env.PATH ?? '', PLUGIN_NAME: 'alpha', PLUGIN_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const reader = createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    reader.on('line', (line) => line.startsWith('{') && resolve(JSON.parse(line).url));
    child.once('exit', () => reject(new Error('the bench server exited')));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

async function registryTarget(url) {
  const registry = new PluginRegistry({
    runtimes: [createMcpHttpRuntime({ env: { BENCH_TOKEN: TOKEN } })],
    healthChecks: false,
    env: {},
  });
  registry.registerKind(kinds.suite);
  registry.registerManifest({
    schema_version: '1',
    name: 'alpha',
    kind: 'suite',
    kind_api_version: '1',
    core_version: '>=0.1.0,<1.0.0',
    runtime: 'mcp_http',
    mcp_http: { url, auth: { token_env: 'BENCH_TOKEN' } },
  });
  const report = await registry.setupAll();
  if (report.unavailable.length > 0) throw report.unavailable[0].error;
  return {
    name: 'registry.call via mcp_http',
    call: () => registry.call('suite', 'single', { text: 'ping' }),
    close: () => registry.teardownAll(),
  };
}

async function sdkTarget(url) {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
    }),
  );
  return {
    name: 'SDK Client.callTool direct',
    call: () => client.callTool({ name: 'suite.alpha.single', arguments: { text: 'ping' } }),
    close: () => client.close(),
  };
}

async function sdkSameFetchTarget(url) {
  const http = createHttpFetch({
    agent: new Agent({ keepAlive: true, maxSockets: 64 }),
    headers: { authorization: `Bearer ${TOKEN}` },
    maxResponseBytes: 16 * 1024 * 1024,
  });
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: http.fetch }));
  return {
    name: "SDK Client.callTool, the runtime's node:http fetch",
    call: () => client.callTool({ name: 'suite.alpha.single', arguments: { text: 'ping' } }),
    close: () => client.close(),
  };
}

const server = await startServer();
try {
  print(`node ${process.version}, ${process.platform}/${process.arch}`);
  await compareTargets(
    [
      await registryTarget(server.url),
      await sdkTarget(server.url),
      await sdkSameFetchTarget(server.url),
    ],
    {
      sequentialCalls: SEQUENTIAL,
      parallelCalls: PARALLEL,
      rounds: ROUNDS,
      inFlight: IN_FLIGHT,
      title:
        'Per-call latency over Streamable HTTP on 127.0.0.1, echo-sized payload, server in a child process',
    },
  );
} finally {
  server.stop();
}
