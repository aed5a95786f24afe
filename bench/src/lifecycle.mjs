// Lifecycle benchmarks: discovery of generated plugin trees and setupAll/teardownAll of
// in-process plugins with dependencies, at 1,000 and 10,000 plugins, in one process.
// `pnpm bench:lifecycle` from the repository root builds the packages first.
//
// Each plugin is a real folder on disk (dagstack.toml + plugin.js). The dependency graph
// is layered: LAYERS levels, every plugin depends on two plugins of the level below, so
// the registry must resolve the graph and start level by level.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { discover } from '@dagstack/plugin-discovery';
import { PluginRegistry } from '@dagstack/plugin-registry';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LAYERS = 10;
const PER_FOLDER = 100;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

const pluginSource = `export class Worker {
  setup(ctx) { this.ready = true; }
  work(input) { return input; }
  teardown() { return true; }
}
`;

function manifest(i, n) {
  const perLayer = Math.ceil(n / LAYERS);
  const layer = Math.floor(i / perLayer);
  const deps = [];
  if (layer > 0) {
    const base = (layer - 1) * perLayer;
    deps.push(`p${base + (i % perLayer)}`, `p${base + ((i * 7 + 3) % perLayer)}`);
  }
  const unique = [...new Set(deps)];
  return `[plugin]
schema_version = "1"
name = "p${i}"
kind = "worker"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:Worker"
version = "1.0.0"
priority = ${i % 5}
depends_on = [${unique.map((d) => `"${d}"`).join(', ')}]
`;
}

async function generate(n) {
  const root = await mkdtemp(join(tmpdir(), `dagstack-bench-${n}-`));
  for (let start = 0; start < n; start += PER_FOLDER) {
    const group = join(root, `g${String(start / PER_FOLDER).padStart(4, '0')}`);
    await mkdir(group);
    await Promise.all(
      Array.from({ length: Math.min(PER_FOLDER, n - start) }, async (_, k) => {
        const i = start + k;
        const dir = join(group, `p${i}`);
        await mkdir(dir);
        await writeFile(join(dir, 'dagstack.toml'), manifest(i, n));
        await writeFile(join(dir, 'plugin.js'), pluginSource);
      }),
    );
  }
  return root;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function measure(label, n, fn) {
  const times = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return {
    label,
    n,
    median: median(times),
    min: Math.min(...times),
    max: Math.max(...times),
  };
}

const KIND = {
  kind: 'worker',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'work', dispatch: 'broadcast_collect', mcp_exposed: true }],
};

const results = [];
for (const n of SIZES) {
  const root = await generate(n);
  try {
    results.push(
      await measure('discover (folders → validated manifests)', n, async () => {
        const found = await discover(root, { logger: silent });
        if (found.entries.length !== n || found.failures.length !== 0)
          throw new Error(`expected ${n} entries, got ${found.entries.length}`);
      }),
    );

    let registry;
    results.push(
      await measure('registry.discover + setupAll (load, dependency order, setup)', n, async () => {
        registry = new PluginRegistry({ logger: silent, healthChecks: false });
        registry.registerKind(KIND);
        await registry.discover(root);
        const report = await registry.setupAll();
        const ready = registry.status().filter((s) => s.state === 'ready').length;
        if (ready !== n)
          throw new Error(
            `expected ${n} ready, got ${ready}: ${JSON.stringify(report).slice(0, 400)}`,
          );
        await registry.teardownAll();
        await registry.close();
      }),
    );

    results.push(
      await measure('setupAll only (already registered)', n, async () => {
        registry = new PluginRegistry({ logger: silent, healthChecks: false });
        registry.registerKind(KIND);
        await registry.discover(root);
        const t0 = performance.now();
        await registry.setupAll();
        const setupMs = performance.now() - t0;
        const t1 = performance.now();
        await registry.teardownAll();
        const teardownMs = performance.now() - t1;
        await registry.close();
        results.push({ label: '_phase', n, setupMs, teardownMs });
      }),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const phases = results.filter((r) => r.label === '_phase');
const rows = results.filter(
  (r) => r.label !== '_phase' && r.label !== 'setupAll only (already registered)',
);
for (const n of SIZES) {
  const ps = phases.filter((p) => p.n === n);
  rows.push({ label: 'setupAll alone', n, ...spread(ps.map((p) => p.setupMs)) });
  rows.push({ label: 'teardownAll alone', n, ...spread(ps.map((p) => p.teardownMs)) });
}

function spread(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

const fmt = (ms) => ms.toLocaleString('en-US', { maximumFractionDigits: 0 });
const lines = [
  `Node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? '?'}), ${RUNS} runs per figure, layered graph of ${LAYERS} levels, 2 dependencies per plugin`,
  '',
  '| task | plugins | median ms | min–max ms | µs per plugin |',
  '| --- | ---: | ---: | ---: | ---: |',
];
const labels = [...new Set(rows.map((r) => r.label))];
for (const label of labels) {
  for (const r of rows.filter((x) => x.label === label).sort((a, b) => a.n - b.n)) {
    lines.push(
      `| ${label} | ${r.n.toLocaleString('en-US')} | ${fmt(r.median)} | ${fmt(r.min)}–${fmt(r.max)} | ${((r.median * 1000) / r.n).toFixed(0)} |`,
    );
  }
}
if (SIZES.length >= 2) {
  const [a, b] = [SIZES[0], SIZES[SIZES.length - 1]];
  lines.push(
    '',
    `Growth from ${a.toLocaleString('en-US')} to ${b.toLocaleString('en-US')} plugins (×${b / a} plugins):`,
  );
  for (const label of labels) {
    const ra = rows.find((r) => r.label === label && r.n === a);
    const rb = rows.find((r) => r.label === label && r.n === b);
    if (ra && rb) lines.push(`- ${label}: ×${(rb.median / ra.median).toFixed(1)} time`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
