// Benchmark: validation of hostile manifests — a [plugin] table with
// thousands of unknown keys — at 1 KB, 70 KB and 900 KB. Prints the time per
// KB (constant when validation is linear) and the longest event-loop block of
// discover() over a tree holding one such manifest (after a warm-up discover,
// so the one-time schema compile is not counted).
//
// `pnpm bench:validate` from the repository root builds the packages first.
// BENCH_ROOT=<checkout> measures the build of another checkout (e.g. a git
// worktree of the previous commit) for before/after tables. Every measurement
// runs in a worker thread stopped after BENCH_TIMEOUT_MS (default 60,000), so
// a quadratic build reports "did not finish" instead of hanging the bench.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

const root = process.env.BENCH_ROOT ?? fileURLToPath(new URL('../..', import.meta.url));
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 60_000);
const SIZES_KB = (process.env.BENCH_SIZES_KB ?? '1,70,900').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const print = (line) => process.stdout.write(`${line}\n`);

const manifestUrl = pathToFileURL(`${root}/packages/manifest/dist/index.js`).href;
const discoveryUrl = pathToFileURL(`${root}/packages/discovery/dist/index.js`).href;

// Runs inside the measuring thread (its own event loop), as an ES module.
const MEASURE = `
import { parentPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { manifestUrl, discoveryUrl, kb, rounds, mode } = workerData;
const HEAD = '[plugin]\\nschema_version = "1"\\nname = "hostile"\\nkind = "tool"\\nkind_api_version = "1"\\ncore_version = ">=0.1.0,<1.0.0"\\nruntime = "in_process"\\nentry_point = "plugin:P"\\n';
const hostile = (bytes) => {
  const lines = [HEAD];
  let size = HEAD.length;
  for (let i = 0; size < bytes; i += 1) {
    const line = 'x' + i + ' = ' + i + '\\n';
    lines.push(line);
    size += line.length;
  }
  return { text: lines.join(''), keys: lines.length - 1 };
};
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const { text, keys } = hostile(kb * 1024);

if (mode === 'validate') {
  const manifest = await import(manifestUrl);
  const require = createRequire(fileURLToPath(manifestUrl));
  const { parse } = await import(pathToFileURL(require.resolve('smol-toml')).href);
  manifest.parseManifest(HEAD, 'toml'); // compile the schema once
  const parseMs = [], validateMs = [], totalMs = [];
  let listed = 0;
  const started = performance.now();
  // A quadratic build takes seconds per round: stop after 15 s of rounds.
  for (let r = 0; r < rounds && (r === 0 || performance.now() - started < 15_000); r += 1) {
    let t = performance.now();
    const doc = parse(text);
    parseMs.push(performance.now() - t);
    t = performance.now();
    const result = manifest.validateManifest(doc.plugin, { source: 'bench' });
    validateMs.push(performance.now() - t);
    t = performance.now();
    manifest.parseManifest(text, 'toml', 'bench');
    totalMs.push(performance.now() - t);
    listed = result.ok ? 0 : result.problems.length;
  }
  parentPort.postMessage({ bytes: text.length, keys, parse: median(parseMs), validate: median(validateMs), total: median(totalMs), listed });
} else {
  const { discover } = await import(discoveryUrl);
  const dir = await mkdtemp(join(tmpdir(), 'dagstack-bench-validate-'));
  const plugin = (name) => HEAD.replace('"hostile"', JSON.stringify(name));
  for (const name of ['a', 'z']) {
    await mkdir(join(dir, name));
    await writeFile(join(dir, name, 'dagstack.toml'), plugin(name));
  }
  await discover(dir); // warm-up: the schema compile happens once per process
  await mkdir(join(dir, 'hostile'));
  await writeFile(join(dir, 'hostile', 'dagstack.toml'), text);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  // The monitor records a block only once its timer has fired before it.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const t = performance.now();
  const result = await discover(dir);
  const total = performance.now() - t;
  // Let the monitor's timer run once more: a block that ends just before
  // discover() resolves is recorded only when the timer fires after it.
  await new Promise((resolve) => setTimeout(resolve, 50));
  delay.disable();
  await rm(dir, { recursive: true, force: true });
  parentPort.postMessage({ bytes: text.length, keys, total, block: delay.max / 1e6, entries: result.entries.length, failures: result.failures.length, listed: result.failures[0]?.error.problems?.length ?? 0 });
}
`;

function measure(kb, mode) {
  return new Promise((resolve) => {
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(MEASURE)}`), {
      workerData: {
        manifestUrl,
        discoveryUrl,
        kb,
        rounds: kb <= 1 ? 200 : kb >= 500 ? Math.min(ROUNDS, 3) : ROUNDS,
        mode,
      },
    });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve(undefined);
    }, TIMEOUT_MS);
    worker.once('message', (value) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(value);
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      print(`  (${kb} KB ${mode}: ${error.message})`);
      resolve(undefined);
    });
  });
}

const ms = (v) => (v === undefined ? '—' : v.toFixed(v < 10 ? 2 : 0));
const over = `> ${TIMEOUT_MS / 1000} s (stopped)`;

print(`Hostile manifests: build of ${root}`);
print(
  `Node ${process.version}; median of 200 rounds at 1 KB, ${ROUNDS} above, 3 at 900 KB (fewer when rounds take over 15 s); timeout ${TIMEOUT_MS / 1000} s\n`,
);
print(
  '| size | unknown keys | TOML parse (ms) | validateManifest (ms) | parseManifest (ms) | per KB (ms) | problems listed |',
);
print('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const kb of SIZES_KB) {
  const r = await measure(kb, 'validate');
  if (r === undefined) {
    print(`| ${kb} KB | — | — | ${over} | ${over} | — | — |`);
    continue;
  }
  print(
    `| ${(r.bytes / 1024).toFixed(0)} KB | ${r.keys.toLocaleString('en-US')} | ${ms(r.parse)} | ${ms(r.validate)} | ${ms(r.total)} | ${(r.total / (r.bytes / 1024)).toFixed(3)} | ${r.listed} |`,
  );
}
print(
  '\n| tree with one hostile manifest | discover() total (ms) | longest event-loop block (ms) | entries | failures | problems listed |',
);
print('| ---: | ---: | ---: | ---: | ---: | ---: |');
for (const kb of SIZES_KB.filter((k) => k > 1)) {
  const r = await measure(kb, 'discover');
  if (r === undefined) {
    print(`| ${kb} KB | ${over} | ${over} | — | — | — |`);
    continue;
  }
  print(
    `| ${(r.bytes / 1024).toFixed(0)} KB | ${ms(r.total)} | ${ms(r.block)} | ${r.entries} | ${r.failures} | ${r.listed} |`,
  );
}
