#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
// The second half of the main job until the CLI lands: discover examples/plugins with a
// real PluginRegistry, start everything this host can run, print status(), call a
// hook through the governance middleware (with and without a tenant), then stop.
// Plugins whose runtime this host has no adapter for end `unavailable` with a typed
// reason; that is the point of the mixed tree, not a failure of the job.
// Exits 1 only if a plugin that this host can run fails to start, or a call misbehaves.
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PluginRegistry } from '@dagstack/plugin-registry';
import { createStandardResources } from '@dagstack/plugin-resources';
import { createMcpHttpRuntime } from '@dagstack/plugin-runtime-mcp-http';
import { createMcpStdioRuntime } from '@dagstack/plugin-runtime-mcp-stdio';
import { KIND_SPEC as TOOL_V1 } from '@dagstack/plugin-system/kinds/tool/v1';

const root = fileURLToPath(new URL('..', import.meta.url));
const json = process.argv.includes('--json');
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

// The remote-search tool runs as its own HTTP service (see its server.mjs); the
// token reaches the host through the environment variable its manifest names.
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

const standard = createStandardResources();
const registry = new PluginRegistry({
  logger: quiet,
  resources: standard.resources,
  healthChecks: false,
  env: {},
  runtimes: [
    createMcpStdioRuntime(),
    createMcpHttpRuntime({ env: { REMOTE_SEARCH_TOKEN: token } }),
  ],
});
// The standard tool kind: execute is addressed per plugin and function.
registry.registerKind(TOOL_V1);
registry.registerKind({
  kind: 'tokenizer',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'tokenize', dispatch: 'singleton', mcp_exposed: true }],
});
registry.registerKind({
  kind: 'chunker',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'chunk', dispatch: 'capability', mcp_exposed: true }],
});

let failed = false;
try {
  await registry.discover(join(root, 'examples', 'plugins'));
  const report = await registry.setupAll();
  const rows = registry.status();

  const calls = [];
  const echo = await registry.call(
    'tool',
    'execute',
    { msg: 'hello' },
    { metadata: { tenant_id: 'acme' }, target: 'echo' },
  );
  calls.push({ call: 'tool.execute {msg:"hello"} as tenant acme', result: echo });
  try {
    await registry.call('tool', 'execute', { msg: 'no tenant' }, { target: 'echo' });
    calls.push({ call: 'tool.execute without tenant', result: 'NOT REFUSED' });
    failed = true;
  } catch (error) {
    calls.push({
      call: 'tool.execute without tenant',
      result: `refused: ${error.code ?? error.name}: ${error.message}`,
    });
  }
  const pieces = await registry.call('chunker', 'chunk', { text: 'abcdefghij', max_size: 4 });
  calls.push({ call: 'chunker.chunk {text:"abcdefghij", max_size:4}', result: pieces });
  const code = await registry.call(
    'chunker',
    'chunk',
    { text: 'const a = 1;\n\nfunction f() {\n  return a;\n}\n' },
    { selector: { extension: '.ts' } },
  );
  calls.push({ call: 'chunker.chunk of a .ts file (capability → code, over stdio)', result: code });
  if (JSON.stringify(code) !== JSON.stringify(['const a = 1;', 'function f() {\n  return a;\n}']))
    failed = true;
  const found = await registry.call(
    'tool',
    'execute',
    { function: 'search', args: { query: 'dispatch' } },
    { metadata: { tenant_id: 'acme' }, target: 'remote-search' },
  );
  calls.push({
    call: 'tool.execute search "dispatch" on remote-search (over HTTP)',
    result: found,
  });
  if (JSON.stringify(found) !== JSON.stringify({ result: ['adr-0002'], tenant: 'acme' }))
    failed = true;
  const tokens = await registry.call(
    'tokenizer',
    'tokenize',
    { text: 'Plugins, in Python!' },
    { metadata: { tenant_id: 'acme' } },
  );
  calls.push({ call: 'tokenizer.tokenize (a Python plugin over stdio)', result: tokens });
  if (
    JSON.stringify(tokens) !==
    JSON.stringify({ tokens: ['Plugins', ',', 'in', 'Python', '!'], count: 5, tenant: 'acme' })
  )
    failed = true;
  if (JSON.stringify(echo) !== JSON.stringify({ echoed: 'hello' })) failed = true;
  if (JSON.stringify(pieces) !== JSON.stringify(['abcd', 'efgh', 'ij'])) failed = true;

  // A plugin this host can run (in-process, or over stdio with a command that exists) must have started.
  for (const row of rows) {
    if (row.runtime === 'in_process' && row.state !== 'ready') failed = true;
    if (['code', 'tokenizer', 'remote-search'].includes(row.name) && row.state !== 'ready')
      failed = true;
  }

  if (json) {
    process.stdout.write(
      `${JSON.stringify({ started: report.started, status: rows, calls }, null, 2)}\n`,
    );
  } else {
    const table = rows.map((r) => [
      `${r.kind}/${r.name}`,
      r.runtime ?? '-',
      r.state,
      r.dir ? relative(root, r.dir) : r.source,
      r.error ? `${r.error.code}: ${r.error.message}` : '',
    ]);
    const header = ['plugin', 'runtime', 'state', 'folder', 'reason'];
    const widths = header.map((h, i) =>
      Math.min(60, Math.max(h.length, ...table.map((row) => row[i].length))),
    );
    const line = (cells) =>
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd();
    process.stdout.write(`\nregistry.status() after setupAll:\n${line(header)}\n`);
    for (const row of table) process.stdout.write(`${line(row)}\n`);
    process.stdout.write(`\nstart order: ${report.started.join(' → ')}\n\ncalls:\n`);
    for (const c of calls) process.stdout.write(`  ${c.call} → ${JSON.stringify(c.result)}\n`);
  }
} finally {
  const stopped = await registry.teardownAll().catch((error) => {
    failed = true;
    return error;
  });
  await registry.close();
  await standard.close();
  remote.kill('SIGTERM');
  if (!remoteUp) process.stderr.write('the remote-search service did not start\n');
  if (!json) {
    const states = registry.status().map((r) => r.state);
    const count = (s) => states.filter((x) => x === s).length;
    process.stdout.write(
      `\nafter teardownAll: ${count('stopped')} stopped, ${count('unavailable')} unavailable${stopped instanceof Error ? `, teardown error: ${stopped.message}` : ''}\n`,
    );
  }
}
process.exit(failed ? 1 : 0);
