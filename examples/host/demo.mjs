#!/usr/bin/env node
// The demo host: a small document pipeline over the plugins in examples/plugins.
//
//   ingest a document → chunk it (capability: by file extension)
//                      → tell the listeners (broadcast_notify)
//   answer a query    → rewrite it (chain) → search (singleton, a remote tool)
//   list every tool   → get_schema (broadcast_collect)
//
// Plugins run in-process, as child processes over MCP stdio (a Node chunker, a
// Python tokenizer, an MCP server nobody here wrote) and as a service over MCP
// HTTP that this script starts. A governance middleware refuses calls without
// a tenant and writes an audit line for each tool call.
//
// `pnpm demo` (or `pnpm run main`); `--json` prints one JSON document instead.
// Exits 1 if any step does not give the expected answer.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PluginRegistry } from '@dagstack/plugin-registry';
import { createStandardResources } from '@dagstack/plugin-resources';
import { createMcpHttpRuntime } from '@dagstack/plugin-runtime-mcp-http';
import { createMcpStdioRuntime } from '@dagstack/plugin-runtime-mcp-stdio';
import { DEFAULT_IGNORE } from '@dagstack/plugin-system';
import { KIND_SPEC as TOOL_V1 } from '@dagstack/plugin-system/kinds/tool/v1';

const root = fileURLToPath(new URL('../..', import.meta.url));
// The Python example plugin needs python3; without it the demo runs the rest
// and says, in one line, what it skipped (a fresh machine has only Node).
const hasPython = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;
const json = process.argv.includes('--json');
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const out = (text = '') => {
  if (!json) process.stdout.write(`${text}\n`);
};
const problems = [];
const expectEqual = (what, actual, expected) => {
  if (JSON.stringify(actual) !== JSON.stringify(expected))
    problems.push(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
};

// --- The remote tool service (in production: another machine) ---------------
const token = randomBytes(16).toString('hex');
const remote = spawn(process.execPath, [join(root, 'examples/plugins/remote-search/server.mjs')], {
  env: { ...process.env, PORT: '8931', REMOTE_SEARCH_TOKEN: token },
  stdio: ['ignore', 'ignore', 'pipe'],
});
const remoteUp = await new Promise((resolve) => {
  let text = '';
  remote.stderr.on('data', (chunk) => {
    text += chunk;
    if (text.includes('listening')) resolve(true);
  });
  remote.once('exit', () => resolve(false));
  setTimeout(() => resolve(false), 10_000).unref();
});
if (!remoteUp) problems.push('the remote-search service did not start on 127.0.0.1:8931');

// --- The host -------------------------------------------------------------------
const journal = [];
const standard = createStandardResources();
const stdio = createMcpStdioRuntime();
const registry = new PluginRegistry({
  logger: quiet,
  resources: { ...standard.resources, journal },
  healthChecks: false,
  env: {},
  runtimes: [stdio, createMcpHttpRuntime({ env: { REMOTE_SEARCH_TOKEN: token } })],
});
registry.registerKind(TOOL_V1);
registry.registerKind({
  kind: 'chunker',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'chunk', dispatch: 'capability', mcp_exposed: true }],
});
registry.registerKind({
  kind: 'query_rewriter',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'rewrite', dispatch: 'chain', mcp_exposed: true }],
});
registry.registerKind({
  kind: 'document_listener',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'indexed', dispatch: 'broadcast_notify', mcp_exposed: true }],
});
registry.registerKind({
  kind: 'tokenizer',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'tokenize', dispatch: 'singleton', mcp_exposed: true }],
});

const result = {
  status: [],
  startOrder: [],
  calls: [],
  journal,
  skipped: [],
  processesLeft: undefined,
};
const step = async (dispatch, what, run, expected) => {
  let value;
  try {
    value = await run();
  } catch (error) {
    value = { error: `${error.code ?? error.name}: ${error.message}` };
  }
  result.calls.push({ dispatch, what, value });
  out(`  [${dispatch}] ${what}\n      → ${JSON.stringify(value)}`);
  if (expected !== undefined) expectEqual(what, value, expected);
  return value;
};

const pids = new Set();
const started = Date.now();
try {
  await registry.discover(join(root, 'examples', 'plugins'), {
    ignore: hasPython ? DEFAULT_IGNORE : [...DEFAULT_IGNORE, 'python-tokenizer'],
  });
  const report = await registry.setupAll();
  result.startOrder = report.started;
  result.status = registry.status().map((r) => ({
    plugin: `${r.kind}/${r.name}`,
    runtime: r.runtime ?? null,
    state: r.state,
    reason: r.error ? `${r.error.code}: ${r.error.message}` : null,
  }));
  for (const info of stdio.processes()) if (info.pid !== undefined) pids.add(info.pid);
  for (const row of result.status) {
    if (row.state !== 'ready') problems.push(`${row.plugin} is ${row.state}: ${row.reason}`);
  }

  out('registry.status() after setupAll:');
  const header = ['plugin', 'runtime', 'state', 'folder'];
  const rows = registry
    .status()
    .map((r) => [
      `${r.kind}/${r.name}`,
      r.runtime ?? '-',
      r.state,
      r.dir ? relative(root, r.dir) : r.source,
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  for (const row of [header, ...rows])
    out(
      `  ${row
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd()}`,
    );
  out(`\nstart order: ${report.started.join(' → ')}\n\ncalls:`);

  const acme = { metadata: { tenant_id: 'acme' } };

  // capability: the chunker is chosen by the document's extension.
  await step(
    'capability',
    'chunker.chunk guide.md → markdown (in-process)',
    () =>
      registry.call(
        'chunker',
        'chunk',
        { text: '# Intro\nhello\n# Usage\nrun it' },
        { selector: { extension: '.md' } },
      ),
    ['# Intro\nhello', '# Usage\nrun it'],
  );
  await step(
    'capability',
    'chunker.chunk main.ts → code (a Node child process over MCP stdio)',
    () =>
      registry.call(
        'chunker',
        'chunk',
        { text: 'const a = 1;\n\nexport { a };\n' },
        { selector: { extension: '.ts' } },
      ),
    ['const a = 1;', 'export { a };'],
  );
  const chunks = await step(
    'capability',
    'chunker.chunk notes.txt → fixed (the fallback)',
    () =>
      registry.call(
        'chunker',
        'chunk',
        { text: 'abcdefghij', max_size: 4 },
        { selector: { extension: '.txt' } },
      ),
    ['abcd', 'efgh', 'ij'],
  );

  // broadcast_notify: returns at once; the listeners run on their own.
  await step(
    'broadcast_notify',
    'document_listener.indexed notes.txt (returns before the listeners finish)',
    async () => {
      const value = await registry.call(
        'document_listener',
        'indexed',
        { document: 'notes.txt', chunks: chunks.length },
        acme,
      );
      // Nothing has been heard yet: the slow stats listener is still running.
      return { returned: value ?? null, statsYet: journal.some((l) => l.startsWith('stats:')) };
    },
    { returned: null, statsYet: false },
  );
  await registry.settled();

  // chain: each rewriter's output is the next one's input.
  const query = await step(
    'chain',
    'query_rewriter.rewrite "  Plugin   DISPATCH " → lowercase → synonyms',
    () => registry.call('query_rewriter', 'rewrite', '  Plugin   DISPATCH '),
    'plugin extension dispatch routing',
  );

  // singleton, addressed by name: a tool served over MCP HTTP.
  await step(
    'singleton',
    `tool.execute remote-search search "${String(query).split(' ')[2]}" (a service over MCP HTTP)`,
    () =>
      registry.call(
        'tool',
        'execute',
        { function: 'search', args: { query: String(query).split(' ')[2] } },
        { ...acme, target: 'remote-search' },
      ),
    { result: ['adr-0002'], tenant: 'acme' },
  );
  await step(
    'singleton',
    'tool.execute echo (a child process over MCP stdio) as tenant acme',
    () =>
      registry.call(
        'tool',
        'execute',
        { function: 'echo', args: { msg: 'hello' } },
        { ...acme, target: 'echo' },
      ),
    { result: { echoed: 'hello' } },
  );
  await step(
    'singleton',
    'tool.execute everything echo (an MCP server nobody here wrote)',
    () =>
      registry.call(
        'tool',
        'execute',
        { function: 'echo', args: { message: 'hi from dagstack' } },
        { ...acme, target: 'everything' },
      ),
    { result: 'Echo: hi from dagstack', is_error: false },
  );
  const denied = await step(
    'singleton',
    'tool.execute echo without a tenant (governance refuses)',
    () =>
      registry.call(
        'tool',
        'execute',
        { function: 'echo', args: { msg: 'psst' } },
        { target: 'echo' },
      ),
  );
  if (!String(denied?.error).includes('tenant_id is required'))
    problems.push('the call without a tenant was not refused by the governance middleware');
  if (hasPython) {
    await step(
      'singleton',
      'tokenizer.tokenize (a Python plugin over MCP stdio, standard library only)',
      () => registry.call('tokenizer', 'tokenize', { text: 'Plugins, in Python!' }, acme),
      { tokens: ['Plugins', ',', 'in', 'Python', '!'], count: 5, tenant: 'acme' },
    );
  } else {
    const why =
      'tokenizer.tokenize (the Python example plugin): python3 is not on PATH; install python3 to run it';
    result.skipped.push(why);
    out(`  [singleton] skipped: ${why}`);
  }

  // broadcast_collect: every tool answers, in dispatch order.
  const schemas = await step(
    'broadcast_collect',
    'tool.get_schema → the functions of every tool',
    async () =>
      (await registry.call('tool', 'get_schema', {})).map((entry) => ({
        plugin: entry.plugin,
        functions: entry.value.length,
      })),
  );
  expectEqual(
    'plugins answering tool.get_schema',
    Array.isArray(schemas) ? schemas.map((s) => s.plugin).sort() : schemas,
    ['echo', 'everything', 'remote-search'],
  );

  out('\nwhat the listeners and the middleware wrote:');
  for (const line of journal) out(`  ${line}`);
  for (const needed of [
    'audit: acme indexed notes.txt (3 chunks)',
    'stats: 3 chunks indexed so far',
  ])
    if (!journal.includes(needed)) problems.push(`missing journal line: ${needed}`);
  if (
    !journal.some((l) => l.startsWith('governance: tenant acme called tool.remote-search.execute'))
  )
    problems.push('the governance middleware wrote no audit line for the remote call');
} finally {
  await registry.teardownAll().catch((error) => problems.push(`teardown: ${error.message}`));
  registry.close();
  await standard.close();
  remote.kill('SIGTERM');
  await new Promise((resolve) =>
    remote.exitCode === null ? remote.once('exit', resolve) : resolve(),
  );
  // Every process the registry started is gone (checked by pid).
  const alive = (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  result.processesLeft = [...pids].filter(alive).length;
  if (result.processesLeft !== 0)
    problems.push(`${result.processesLeft} plugin process(es) left running`);
  const states = registry.status().map((r) => r.state);
  out(
    `\nafter teardownAll: ${states.filter((s) => s === 'stopped').length} stopped, ${result.processesLeft} plugin processes left, ${Date.now() - started} ms in all`,
  );
}

if (json) process.stdout.write(`${JSON.stringify({ ...result, problems }, null, 2)}\n`);
else
  out(
    problems.length === 0
      ? `\ndemo: every step gave the expected answer${
          result.skipped.length === 0
            ? ''
            : ` (${result.skipped.length} skipped: ${result.skipped.join('; ')})`
        }`
      : `\ndemo FAILED:\n  ${problems.join('\n  ')}`,
  );
process.exit(problems.length === 0 ? 0 : 1);
