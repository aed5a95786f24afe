// Benchmark: registry.call through the mcp_stdio runtime vs the SDK's own
// Client calling the same plugin server directly (sequential, and 32 calls
// in flight), and the cold start of 1 vs 20 stdio plugins.
//
// `pnpm bench:stdio` from the repository root builds the packages first.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PluginRegistry } from '@dagstack/plugin-registry';
import { createMcpStdioRuntime } from '@dagstack/plugin-runtime-mcp-stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { compareTargets } from './compare.mjs';

const here = dirname(fileURLToPath(import.meta.url));
// The stdio runtime's own test plugins are the servers measured here.
const fixtures = join(here, '..', '..', 'packages', 'runtime-mcp-stdio', 'test', 'fixtures');
const server = join(fixtures, 'suite', 'server.mjs');
const kinds = JSON.parse(readFileSync(join(fixtures, 'kinds.json'), 'utf8'));
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 3000);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 6000);
const IN_FLIGHT = 32;
const print = (line) => process.stdout.write(`${line}\n`);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12);

const manifest = (name, priority = 0) => ({
  schema_version: '1',
  name,
  kind: 'suite',
  kind_api_version: '1',
  core_version: '>=0.1.0,<1.0.0',
  runtime: 'mcp_stdio',
  priority,
  mcp_stdio: { command: [process.execPath, server] },
});

async function registryTarget() {
  const registry = new PluginRegistry({
    runtimes: [createMcpStdioRuntime()],
    healthChecks: false,
    env: {},
  });
  registry.registerKind(kinds.suite);
  registry.registerManifest(manifest('alpha'));
  await registry.setupAll();
  return {
    name: 'registry.call via mcp_stdio',
    call: () => registry.call('suite', 'single', { text: 'ping' }),
    close: () => registry.teardownAll(),
  };
}

async function sdkTarget() {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [server],
    env: { PATH: process.env.PATH ?? '', DAGSTACK_PLUGIN_NAME: 'alpha' },
  });
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(transport);
  return {
    name: 'SDK Client.callTool direct',
    call: () => client.callTool({ name: 'suite.alpha.single', arguments: { text: 'ping' } }),
    close: () => client.close(),
  };
}

async function latency() {
  await compareTargets([await registryTarget(), await sdkTarget()], {
    sequentialCalls: SEQUENTIAL,
    parallelCalls: PARALLEL,
    rounds: ROUNDS,
    inFlight: IN_FLIGHT,
    title: 'Per-call latency through mcp_stdio, echo-sized payload',
  });
}

async function coldStart(count) {
  const registry = new PluginRegistry({
    runtimes: [createMcpStdioRuntime()],
    healthChecks: false,
    env: {},
  });
  registry.registerKind(kinds.suite);
  for (let i = 0; i < count; i += 1) registry.registerManifest(manifest(`p${i}`, i));
  const t0 = performance.now();
  const report = await registry.setupAll();
  const ms = performance.now() - t0;
  if (report.started.length !== count) throw new Error(`only ${report.started.length} started`);
  await registry.teardownAll();
  return ms;
}

async function cold() {
  print(
    '\nCold start: registry.setupAll() of N mcp_stdio plugins (spawn + MCP handshake + dagstack/setup), 3 runs',
  );
  print('| plugins | runs (ms) | median |');
  print('|---:|---|---:|');
  for (const count of [1, 20]) {
    const runs = [];
    for (let i = 0; i < 3; i += 1) runs.push(await coldStart(count));
    const sorted = [...runs].sort((a, b) => a - b);
    print(
      `| ${count} | ${runs.map((r) => r.toFixed(0)).join(', ')} | ${sorted[1].toFixed(0)} ms |`,
    );
  }
}

print(`node ${process.version}, ${process.platform}/${process.arch}`);
await latency();
await cold();
