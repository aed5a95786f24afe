// Benchmark: registry.call through the mcp_http runtime vs the SDK's own
// Client (StreamableHTTPClientTransport, global fetch) calling the same plugin
// server directly, sequential and with 32 calls in flight. The server is the
// suite plugin served with this package's servePlugin in a child process on
// 127.0.0.1, so client and server do not share an event loop.
//
// `pnpm bench:http` from the repository root builds the packages first.
//   node packages/runtime-mcp-http/bench/http-bench.mjs
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PluginRegistry } from '@dagstack/plugin-registry';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
// Internal module, imported only here: the same transport the runtime uses,
// so the third row isolates what the registry and the wire add.
import { createHttpFetch } from '../dist/http-fetch.js';
import { createMcpHttpRuntime } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const serverScript = join(here, '..', 'test', 'fixtures', 'suite-server.mjs');
const kinds = JSON.parse(
  readFileSync(
    join(here, '..', '..', 'runtime-mcp-stdio', 'test', 'fixtures', 'kinds.json'),
    'utf8',
  ),
);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 2000);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
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

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function sequential(target, n) {
  const times = new Float64Array(n);
  for (let i = 0; i < n; i += 1) {
    const t0 = performance.now();
    await target.call();
    times[i] = performance.now() - t0;
  }
  const sorted = [...times].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  return { median: percentile(sorted, 50), mean, p99: percentile(sorted, 99) };
}

async function parallel(target, total) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < total) {
        next += 1;
        await target.call();
      }
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

const us = (ms) => `${(ms * 1000).toFixed(0)} µs`;

const server = await startServer();
try {
  const targets = [
    await registryTarget(server.url),
    await sdkTarget(server.url),
    await sdkSameFetchTarget(server.url),
  ];
  for (const t of targets) {
    await sequential(t, 300); // warm-up (JIT, sockets)
    await parallel(t, 600);
  }
  const best = new Map(targets.map((t) => [t.name, { seq: undefined, par: 0 }]));
  // Alternate the targets so drift of the shared machine hits both alike.
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const t of targets) {
      const seq = await sequential(t, SEQUENTIAL);
      const par = await parallel(t, PARALLEL);
      const b = best.get(t.name);
      if (b.seq === undefined || seq.median < b.seq.median) b.seq = seq;
      b.par = Math.max(b.par, par);
    }
  }
  for (const t of targets) await t.close();
  print(
    `Node ${process.version}; per-call latency over Streamable HTTP on 127.0.0.1, echo-sized payload, server in a child process (best of ${ROUNDS} rounds; ${SEQUENTIAL} sequential calls, ${PARALLEL} calls with ${IN_FLIGHT} in flight)`,
  );
  print('');
  print('| path | median | mean | p99 | calls/s with 32 in flight |');
  print('|---|---:|---:|---:|---:|');
  for (const [name, b] of best) {
    print(
      `| ${name} | ${us(b.seq.median)} | ${us(b.seq.mean)} | ${us(b.seq.p99)} | ${Math.round(b.par).toLocaleString('en-US')} |`,
    );
  }
  const reg = best.get(targets[0].name);
  const pct = (a, b) => (((a - b) / b) * 100).toFixed(1);
  for (const other of targets.slice(1)) {
    const sdk = best.get(other.name);
    print(
      `registry vs ${other.name}: median ${pct(reg.seq.median, sdk.seq.median)}%, mean ${pct(reg.seq.mean, sdk.seq.mean)}%, throughput ${pct(sdk.par, reg.par)}% lower (negative = the registry path is faster)`,
    );
  }
} finally {
  server.stop();
}
