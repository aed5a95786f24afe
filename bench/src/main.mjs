// Dispatch micro-benchmarks: @dagstack/plugin-dispatch vs direct calls, tapable and
// hookable, in one process and one run. `pnpm bench` from the repository root builds
// the packages first. Each task runs BATCH sequential operations per sample so the
// timer's own cost does not dominate sub-microsecond calls; figures are per operation.
//
// The machine this runs on is shared, so load changes from one second to the next. A
// group's tasks are therefore measured in ROUNDS interleaved rounds (the order reversed
// every other round) rather than one after the other: each round gives every task the
// same slice of time under about the same load, a ratio is taken inside each round, and
// the table reports the median ops/s, the median ratio and the range of the ratios.
//
// Every task of every group is warmed up before any group is measured, so each group
// runs in the same state: a process that has dispatched every shape of call through
// the engine's shared code, as an application does. Engine calls go through the
// registry's own in-process handle (`createInProcessHandle`), as registry calls do.
// Measured first in a fresh process, a group looks better than that (V8's call sites
// have seen only its plugins); `BENCH_ONLY=<group title prefix>` runs just the
// matching groups, to see that best case.
import { availableParallelism, cpus } from 'node:os';
import {
  CapabilityIndex,
  DispatchEngine,
  normalizeSelector,
  selectorFromInput,
  sortCandidates,
} from '@dagstack/plugin-dispatch';
import { createInProcessHandle, PluginRegistry } from '@dagstack/plugin-registry';
import { createHooks } from 'hookable';
import { AsyncParallelHook, AsyncSeriesWaterfallHook } from 'tapable';
import { Bench } from 'tinybench';

const BATCH = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 150);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 200);

/** The canonical manifest defaults (see conformance/manifests/valid/quickstart-echo-toml). */
function manifest(fields) {
  return Object.freeze({
    schema_version: '1',
    kind_api_version: '1',
    core_version: '>=0.1.0,<1.0.0',
    runtime: ['in_process'],
    authors: [],
    capabilities: [],
    priority: 0,
    depends_on: [],
    tryfirst: false,
    trylast: false,
    startup_timeout_sec: 30,
    teardown_timeout_sec: 15,
    health_interval_sec: 30,
    supports_languages: [],
    supports_extensions: [],
    supports_mime_types: [],
    supports: {},
    fallback: false,
    execution_model: 'async',
    in_process_only: false,
    resources: { required: [], optional: [] },
    unit_of_work: {
      declared: false,
      partition_key: null,
      estimated_duration_sec: null,
      idempotency_mode: 'none',
      checkpointable: false,
      content_hash: [],
    },
    metadata: {},
    source: 'inline',
    ...fields,
  });
}

/** A candidate over a plain object through the registry's in-process handle, minus tracking. */
function candidate(name, kind, plugin, fields = {}) {
  const m = manifest({ name, kind, ...fields });
  return { name, kind, manifest: m, handle: createInProcessHandle(m, plugin) };
}

function spec(kind, hooks) {
  return {
    kind,
    kind_api_version: '1.0.0',
    hooks: Object.entries(hooks).map(([name, dispatch]) => ({ name, dispatch, mcp_exposed: true })),
  };
}

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

const input = { prompt: 'hello', n: 1 };

// singleton
const llm = {
  async complete(i) {
    return i;
  },
};
const singleEngine = new DispatchEngine({ env: {} });
singleEngine.registerKind(spec('llm', { complete: 'singleton' }));
singleEngine.setCandidates('llm', [candidate('openai', 'llm', llm, { priority: 50 })]);

const wrappedEngine = new DispatchEngine({ env: {} });
wrappedEngine.registerKind(spec('llm', { complete: 'singleton' }));
wrappedEngine.setCandidates('llm', [candidate('openai', 'llm', llm, { priority: 50 })]);
wrappedEngine.setMiddleware([
  {
    name: 'audit',
    priority: 1000,
    kinds: ['*'],
    hooks: ['*'],
    before: () => undefined,
    after: () => undefined,
  },
]);

// The same plugins in a real registry (attached in-process plugins): what an
// application's `registry.call` does on top of the engine — the in-process
// handle, in-flight tracking for `ctx.inFlight()` and teardown.
async function registryWith(kindSpec, plugins) {
  const registry = new PluginRegistry({ env: {}, healthChecks: false });
  registry.registerKind(kindSpec);
  for (const [name, plugin, fields] of plugins) {
    registry.registerManifest({
      schema_version: '1',
      name,
      kind: kindSpec.kind,
      kind_api_version: '1',
      core_version: '>=0.1.0,<1.0.0',
      runtime: 'in_process',
      entry_point: './plugin.js#Plugin',
      ...fields,
    });
    registry.attachPlugin(name, plugin);
  }
  const report = await registry.setupAll();
  if (report.unavailable.length > 0) throw report.unavailable[0].error;
  return registry;
}
const singleRegistry = await registryWith(spec('llm', { complete: 'singleton' }), [
  ['openai', llm, { priority: 50 }],
]);

// tool.execute routed by function: 3 tool plugins of 8 functions each, the
// kind as its hookspec declares it (get_schema catalogue, {function} template).
const toolSpec = {
  kind: 'tool',
  kind_api_version: '1.0.0',
  hooks: [
    { name: 'get_schema', dispatch: 'broadcast_collect', mcp_exposed: false },
    {
      name: 'execute',
      dispatch: 'singleton',
      mcp_exposed: true,
      mcp_tool_name_template: '{kind}.{plugin}.{hook}.{function}',
    },
  ],
};
const toolPlugins = ['alpha', 'beta', 'gamma'].map((name) => ({
  name,
  get_schema() {
    return Array.from({ length: 8 }, (_, i) => ({
      name: `${name}_${i}`,
      description: `function ${i} of ${name}`,
      parameters: { type: 'object', properties: { n: { type: 'number' } } },
    }));
  },
  async execute(call) {
    return { result: call.args.n };
  },
}));
const toolRegistry = await registryWith(
  toolSpec,
  toolPlugins.map((p) => [p.name, p, {}]),
);
const toolInput = { function: 'gamma_5', args: { n: 1 } };
await toolRegistry.call('tool', 'execute', toolInput); // reads the catalogues once

// chain of 5
const stages = Array.from({ length: 5 }, (_, i) => ({
  async rewrite(v) {
    return v + i;
  },
}));
const chainEngine = new DispatchEngine({ env: {} });
chainEngine.registerKind(spec('rewriter', { rewrite: 'chain' }));
chainEngine.setCandidates(
  'rewriter',
  stages.map((s, i) => candidate(`stage-${i}`, 'rewriter', s, { priority: 10 - i })),
);
const chainRegistry = await registryWith(
  spec('rewriter', { rewrite: 'chain' }),
  stages.map((s, i) => [`stage-${i}`, s, { priority: 10 - i }]),
);
const waterfall = new AsyncSeriesWaterfallHook(['value']);
for (const [i, s] of stages.entries()) waterfall.tapPromise(`stage-${i}`, (v) => s.rewrite(v));
const chainHooks = createHooks();
for (const s of stages) chainHooks.hook('rewrite', (v) => s.rewrite(v));

// broadcast_collect over 10
const providers = Array.from({ length: 10 }, (_, i) => ({
  async list(x) {
    return i + x;
  },
}));
const collectEngine = new DispatchEngine({ env: {} });
collectEngine.registerKind(spec('tool_provider', { list: 'broadcast_collect' }));
collectEngine.setCandidates(
  'tool_provider',
  providers.map((p, i) => candidate(`provider-${i}`, 'tool_provider', p, { priority: i })),
);
const collectRegistry = await registryWith(
  spec('tool_provider', { list: 'broadcast_collect' }),
  providers.map((p, i) => [`provider-${i}`, p, { priority: i }]),
);
const parallel = new AsyncParallelHook(['x']);
for (const [i, p] of providers.entries()) parallel.tapPromise(`p${i}`, (x) => p.list(x));
// The same hook doing the work broadcast_collect's contract asks for: each tap stores
// { plugin, value } at its position in an array the caller passes (tapable returns
// nothing from a parallel hook). Still no per-plugin context object.
const parallelCollect = new AsyncParallelHook(['x', 'out']);
for (const [i, p] of providers.entries()) {
  const plugin = `provider-${i}`;
  parallelCollect.tapPromise(plugin, (x, out) =>
    p.list(x).then((value) => {
      out[i] = { plugin, value };
    }),
  );
}
const collectHooks = createHooks();
for (const p of providers) collectHooks.hook('list', (x) => p.list(x));

// capability over 10 / 100 / 1000 plugins sharing 1000 extensions
const EXTENSIONS = Array.from({ length: 1000 }, (_, i) => `.x${i}`);
const REQUESTS = Array.from({ length: 1024 }, (_, i) => ({
  extension: EXTENSIONS[(i * 7919) % EXTENSIONS.length],
  content: 'x',
}));
function capabilitySetup(count) {
  const plugins = Array.from({ length: count }, (_, i) =>
    candidate(
      `indexer-${String(i).padStart(4, '0')}`,
      'file_indexer',
      {
        async index() {
          return i;
        },
      },
      { supports_extensions: EXTENSIONS.filter((_, e) => e % count === i) },
    ),
  );
  const engine = new DispatchEngine({ env: {} });
  engine.registerKind(spec('file_indexer', { index: 'capability' }));
  engine.setCandidates('file_indexer', plugins);
  return { engine, plugins };
}
const capabilities = [10, 100, 1000].map((n) => ({ n, ...capabilitySetup(n) }));

// ---------------------------------------------------------------------------
// Tasks
// ---------------------------------------------------------------------------

const groups = [];
function group(title, baseline, tasks) {
  groups.push({ title, baseline, tasks });
}

const checkResult = (value) => {
  if (value === undefined || value === null) throw new Error('no result');
  return value;
};
const rethrow = (error) => {
  throw error;
};

class KernelRecord {
  prev = undefined;
  next = undefined;
  resolve = undefined;
  reject = undefined;
}
const kernelList = { head: undefined };
function kernelUnlink(r) {
  if (r.prev !== undefined) r.prev.next = r.next;
  else kernelList.head = r.next;
  if (r.next !== undefined) r.next.prev = r.prev;
}
function trackedKernel(value) {
  const r = new KernelRecord();
  r.next = kernelList.head;
  if (r.next !== undefined) r.next.prev = r;
  kernelList.head = r;
  const caller = new Promise((resolve, reject) => {
    r.resolve = resolve;
    r.reject = reject;
  });
  llm.complete(value).then(
    (v) => {
      kernelUnlink(r);
      try {
        r.resolve(checkResult(v));
      } catch (error) {
        r.reject(error);
      }
    },
    (error) => {
      kernelUnlink(r);
      r.reject(error);
    },
  );
  return caller;
}

group('singleton', 'direct `await plugin.complete(input)`', {
  'direct `await plugin.complete(input)`': async () => {
    for (let i = 0; i < BATCH; i++) await llm.complete(input);
  },
  // Reference, not a contender: what any wrapper that checks the result (firstresult)
  // and catches errors must add to the direct call, one `then` and its promise tick.
  'direct call + one `then` (the floor of any result check)': async () => {
    for (let i = 0; i < BATCH; i++) await llm.complete(input).then(checkResult, rethrow);
  },
  // Reference, not a contender: the least that per-call in-flight tracking with
  // R10's guarantee (cancel releases the caller) adds to a direct call: a record in
  // an intrusive list and a promise of the caller's own, settled from the
  // plugin's reaction. Measured in the same process as the registry row below.
  'direct call + in-flight tracking kernel (the floor of ADR-0001 tracking)': async () => {
    for (let i = 0; i < BATCH; i++) await trackedKernel(input);
  },
  'engine.call (singleton)': async () => {
    for (let i = 0; i < BATCH; i++) await singleEngine.call('llm', 'complete', input);
  },
  'registry.call (singleton, attached in-process plugin)': async () => {
    for (let i = 0; i < BATCH; i++) await singleRegistry.call('llm', 'complete', input);
  },
  'engine.call (singleton + 1 middleware)': async () => {
    for (let i = 0; i < BATCH; i++) await wrappedEngine.call('llm', 'complete', input);
  },
});

group('tool.execute, 3 plugins x 8 functions', 'direct `await plugin.execute(input)`', {
  'direct `await plugin.execute(input)`': async () => {
    const gamma = toolPlugins[2];
    for (let i = 0; i < BATCH; i++) await gamma.execute(toolInput);
  },
  'registry.call (tool.execute routed by function, args checked)': async () => {
    for (let i = 0; i < BATCH; i++) await toolRegistry.call('tool', 'execute', toolInput);
  },
  'registry.call (tool.execute with target, args checked)': async () => {
    for (let i = 0; i < BATCH; i++)
      await toolRegistry.call('tool', 'execute', toolInput, { target: 'gamma' });
  },
});

group('chain of 5', 'hand-written loop', {
  'hand-written loop': async () => {
    for (let i = 0; i < BATCH; i++) {
      let v = i;
      for (const s of stages) v = await s.rewrite(v);
    }
  },
  'engine.call (chain)': async () => {
    for (let i = 0; i < BATCH; i++) await chainEngine.call('rewriter', 'rewrite', i);
  },
  'registry.call (chain, attached in-process plugins)': async () => {
    for (let i = 0; i < BATCH; i++) await chainRegistry.call('rewriter', 'rewrite', i);
  },
  'tapable AsyncSeriesWaterfallHook.promise': async () => {
    for (let i = 0; i < BATCH; i++) await waterfall.promise(i);
  },
  'hookable callHook (serial, no value threading)': async () => {
    for (let i = 0; i < BATCH; i++) await chainHooks.callHook('rewrite', i);
  },
});

group('broadcast_collect over 10 plugins', 'Promise.all of direct calls', {
  'Promise.all of direct calls': async () => {
    for (let i = 0; i < BATCH; i++) await Promise.all(providers.map((p) => p.list(i)));
  },
  'engine.call (broadcast_collect)': async () => {
    for (let i = 0; i < BATCH; i++) await collectEngine.call('tool_provider', 'list', i);
  },
  'registry.call (broadcast_collect, attached in-process plugins)': async () => {
    for (let i = 0; i < BATCH; i++) await collectRegistry.call('tool_provider', 'list', i);
  },
  'tapable AsyncParallelHook.promise (no results)': async () => {
    for (let i = 0; i < BATCH; i++) await parallel.promise(i);
  },
  'tapable AsyncParallelHook.promise, taps collect { plugin, value }': async () => {
    for (let i = 0; i < BATCH; i++) {
      const out = new Array(providers.length);
      await parallelCollect.promise(i, out);
    }
  },
  'hookable callHookParallel': async () => {
    for (let i = 0; i < BATCH; i++) await collectHooks.callHookParallel('list', i);
  },
});

let cursor = 0;
const capabilityTasks = {};
for (const { n, plugins } of capabilities) {
  capabilityTasks[`linear scan + direct call, ${n} plugins`] = async () => {
    for (let i = 0; i < BATCH; i++) {
      const request = REQUESTS[cursor++ & 1023];
      const hit = plugins.find((p) => p.manifest.supports_extensions.includes(request.extension));
      await hit.handle.invoke('index', request, undefined);
    }
  };
}
for (const { n, engine } of capabilities) {
  capabilityTasks[`engine.call (capability index), ${n} plugins`] = async () => {
    for (let i = 0; i < BATCH; i++) {
      await engine.call('file_indexer', 'index', REQUESTS[cursor++ & 1023]);
    }
  };
}
group('capability, 1,000 extensions', 'linear scan + direct call, 10 plugins', capabilityTasks);

// The lookup alone (what "capability lookup flat from 10 to 1,000 plugins" is about):
// the calls above also pay for 10 / 100 / 1,000 distinct plugin objects behind one
// call site, which grows with the plugin count whatever the lookup does.
let found;
const lookupTasks = {};
for (const { n, plugins } of capabilities) {
  lookupTasks[`linear scan (find by extension), ${n} plugins`] = () => {
    for (let i = 0; i < BATCH; i++) {
      const request = REQUESTS[cursor++ & 1023];
      found = plugins.find((p) => p.manifest.supports_extensions.includes(request.extension));
    }
  };
}
for (const { n, plugins } of capabilities) {
  const index = new CapabilityIndex(sortCandidates(plugins));
  lookupTasks[`CapabilityIndex.select (selector read + normalised + looked up), ${n} plugins`] =
    () => {
      for (let i = 0; i < BATCH; i++) {
        const request = REQUESTS[cursor++ & 1023];
        found = index.select(normalizeSelector(selectorFromInput(request)), undefined);
      }
    };
}
group(
  'capability lookup only, 1,000 extensions',
  'linear scan (find by extension), 10 plugins',
  lookupTasks,
);

// ---------------------------------------------------------------------------
// Run and report
// ---------------------------------------------------------------------------

const format = (ops) => Math.round(ops).toLocaleString('en-US');

const median = (values) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const only = process.env.BENCH_ONLY;
const selected = groups.filter((g) => only === undefined || g.title.startsWith(only));

const started = Date.now();
const warmup = new Bench({ name: 'warm-up', time: WARMUP_MS, iterations: 4, warmup: false });
for (const g of selected) {
  for (const [name, fn] of Object.entries(g.tasks)) warmup.add(`${g.title}: ${name}`, fn);
}
await warmup.run();

const rows = [];
for (const g of selected) {
  const names = Object.keys(g.tasks);
  const perRound = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({
      name: g.title,
      time: TIME_MS,
      iterations: 4,
      warmup: false,
    });
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      bench.add(name, g.tasks[name]);
    }
    await bench.run();
    for (const t of bench.tasks) {
      const r = t.result;
      if (r === undefined || r.state !== 'completed') {
        throw new Error(`task "${t.name}" did not complete: ${r?.error ?? r?.state}`);
      }
      perRound[t.name].push(r.throughput.mean * BATCH);
    }
  }
  const base = perRound[g.baseline] ?? perRound[names[0]];
  for (const name of names) {
    const ratios = perRound[name].map((ops, i) => ops / base[i]);
    rows.push({
      group: g.title,
      name,
      ops: median(perRound[name]),
      ratio: median(ratios),
      low: Math.min(...ratios),
      high: Math.max(...ratios),
    });
  }
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `\nNode ${process.version}, ${availableParallelism()} CPUs (${cpu}), ${process.platform}`,
);
console.log(
  `tinybench: ${WARMUP_MS} ms warm-up of every task, then ${ROUNDS} interleaved rounds of ${TIME_MS} ms per task, ${BATCH} ops per sample${only === undefined ? '' : `; only groups starting with "${only}"`}\n`,
);
console.log('| group | task | ops/s (median) | vs baseline (median) | range over rounds |');
console.log('| --- | --- | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.group} | ${r.name} | ${format(r.ops)} | ${r.ratio.toFixed(2)}× | ${r.low.toFixed(2)}–${r.high.toFixed(2)} |`,
  );
}
console.log(
  `\n(total ${((Date.now() - started) / 1000).toFixed(1)} s; baseline of each group: ${groups.map((g) => g.baseline).join('; ')})`,
);

if (kernelList.head !== undefined) throw new Error('a tracked kernel call was left listed');
if (selected.some((g) => g.tasks === lookupTasks) && found === undefined) {
  throw new Error('the capability lookups found nothing');
}
await singleRegistry.teardownAll();
await toolRegistry.teardownAll();
await chainRegistry.teardownAll();
await collectRegistry.teardownAll();
