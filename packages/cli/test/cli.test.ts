// The CLI contract: commands, flags, exit codes and JSON shapes, run against
// real plugin folders on disk.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cli, FIXTURE_KINDS, PACKAGE_DIR, plugin, tempDir, writeTree } from './helpers.js';

const TOOL_BODY = `
  get_schema() {
    return ['upper', 'boom', 'hang', 'refuse'].map((name) => ({ name, description: name + ' text.', parameters: { type: 'object' } }));
  }
  execute({ function: fn, args }, call) {
    if (fn === 'boom') throw new Error('exploded on purpose');
    if (fn === 'refuse') return { result: null, is_error: true, error_message: 'refused on purpose' };
    if (fn === 'hang') return new Promise(() => {});
    return { result: String(args.text ?? '').toUpperCase(), tenant: call.metadata.tenant_id ?? null, meta: call.metadata };
  }`;

describe('top level', () => {
  it('no command is a one-line usage error (2) pointing to --help', async () => {
    const run = await cli([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'dagstack-plugins: no command given (one of validate, list, call, serve, contract, codegen, init); see dagstack-plugins --help\n',
    );
    expect(run.stdout).toBe('');
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('validate <path>...');
  });

  it('an unknown command exits 2 and names it', async () => {
    const run = await cli(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command "frobnicate"');
  });

  it('an unknown flag exits 2 with one line naming it, not the usage', async () => {
    const run = await cli(['validate', '--bogus', 'x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'dagstack-plugins validate: unknown option --bogus; see dagstack-plugins validate --help\n',
    );
  });

  it('each command has --help', async () => {
    for (const command of ['validate', 'list', 'call', 'serve', 'contract', 'codegen', 'init']) {
      const run = await cli([command, '--help']);
      expect(run.code, command).toBe(0);
      expect(run.stdout, command).toContain(`dagstack-plugins ${command}`);
    }
  });
});

describe('validate', () => {
  it('valid folders and files: exit 0, JSON { results: [...] }', async () => {
    const root = writeTree(tempDir(), {
      ...prefix('a', plugin({ name: 'alpha', kind: 'tool' }, '')),
      'b/dagstack-plugin.json': JSON.stringify({
        schema_version: '1',
        name: 'beta',
        kind: 'tool',
        kind_api_version: '1',
        core_version: '>=0.1.0,<1.0.0',
        runtime: 'in_process',
        entry_point: './plugin.js#Plugin',
      }),
      'b/plugin.js': 'export class Plugin {}\n',
    });
    const run = await cli(['validate', 'a', 'b/dagstack-plugin.json', '--json'], { cwd: root });
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({
      ok: true,
      results: [
        { path: 'a', ok: true, name: 'alpha', problems: [], warnings: [] },
        { path: 'b/dagstack-plugin.json', ok: true, name: 'beta', problems: [], warnings: [] },
      ],
    });
    expect(run.stderr).toBe('');
  });

  it('an invalid manifest: exit 1, problems with pointers; human mode names file and field', async () => {
    const root = writeTree(tempDir(), {
      'bad/dagstack.toml': '[plugin]\nschema_version = "1"\nname = "bad"\nruntime = "in_process"\n',
    });
    const json = await cli(['validate', 'bad', '--json'], { cwd: root });
    expect(json.code).toBe(1);
    const [result] = json.json<{
      results: { ok: boolean; name: string; problems: { pointer: string }[] }[];
    }>().results;
    expect(result?.ok).toBe(false);
    expect(result?.name).toBe('bad');
    expect(result?.problems.map((p) => p.pointer)).toEqual(
      expect.arrayContaining(['/kind', '/core_version']),
    );
    const human = await cli(['validate', 'bad'], { cwd: root });
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('bad/dagstack.toml /kind: required field "kind" is missing');
    expect(human.stdout).toContain('1 checked, 1 invalid');
  });

  it('a missing path is a failed result, not a crash', async () => {
    const run = await cli(['validate', 'nowhere', '--json'], { cwd: tempDir() });
    expect(run.code).toBe(1);
    const [result] = run.json<{ results: { ok: boolean; problems: { message: string }[] }[] }>()
      .results;
    expect(result?.ok).toBe(false);
    expect(result?.problems[0]?.message).toMatch(/nowhere/);
  });

  it('no path is a usage error', async () => {
    expect((await cli(['validate'])).code).toBe(2);
  });
});

describe('list', () => {
  function mixedTree(): string {
    return writeTree(tempDir(), {
      ...prefix('ok', plugin({ name: 'upper', kind: 'tool', priority: 5 }, TOOL_BODY)),
      ...prefix(
        'failing',
        plugin(
          { name: 'failing', kind: 'listener' },
          "setup() { throw new Error('no database'); }",
        ),
      ),
      'remote/dagstack.toml': `[plugin]
schema_version = "1"
name = "remote"
kind = "search"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "mcp_http"

[plugin.mcp_http]
url = "http://127.0.0.1:1/mcp"
`,
      'broken/dagstack.toml': '[plugin]\nname = 42\n',
    });
  }

  it('discovers a mixed tree: plugins with states and reasons, failures with paths', async () => {
    const root = mixedTree();
    const run = await cli(['list', '.', '--json'], { cwd: root });
    expect(run.code).toBe(1); // one folder failed discovery
    const out = run.json<{
      plugins: {
        name: string;
        kind: string;
        runtime: string | null;
        priority: number;
        state: string;
        reason: string | null;
        source: string;
      }[];
      failures: { path: string; error: { code: string } }[];
    }>();
    expect(out.plugins.map((p) => [p.kind, p.name, p.state])).toEqual([
      ['listener', 'failing', 'registered'],
      ['search', 'remote', 'registered'],
      ['tool', 'upper', 'registered'],
    ]);
    const upper = out.plugins.find((p) => p.name === 'upper');
    expect(upper).toMatchObject({ runtime: 'in_process', priority: 5, reason: null });
    expect(upper?.source).toBe(join(root, 'ok', 'dagstack.toml'));
    expect(out.plugins.find((p) => p.name === 'remote')).toMatchObject({
      runtime: 'mcp_http',
      reason: null,
    });
    expect(out.failures).toHaveLength(1);
    expect(out.failures[0]?.path).toContain('broken');
    expect(out.failures[0]?.error.code).toBe('MANIFEST_INVALID');
  });

  it('also lists remote plugins: plugins_registry/ in a folder and DAGSTACK_REMOTE_PLUGINS', async () => {
    const root = writeTree(tempDir(), {
      ...prefix('ok', plugin({ name: 'upper', kind: 'tool', priority: 5 }, TOOL_BODY)),
      'ok/plugins_registry/search.json': JSON.stringify({
        plugin: {
          schema_version: '1',
          name: 'registry-search',
          kind: 'search',
          kind_api_version: '1',
          core_version: '>=0.1.0,<1.0.0',
          runtime: 'mcp_http',
          mcp_http: { url: 'http://127.0.0.1:1/mcp' },
        },
      }),
    });
    const fromEnv = {
      schema_version: '1',
      name: 'env-search',
      kind: 'search',
      kind_api_version: '1',
      core_version: '>=0.1.0,<1.0.0',
      runtime: 'mcp_http',
      mcp_http: { url: 'http://127.0.0.1:1/mcp' },
    };
    const run = await cli(['list', 'ok', '--json'], {
      cwd: root,
      env: { DAGSTACK_REMOTE_PLUGINS: JSON.stringify(fromEnv) },
    });
    expect(run.code).toBe(0);
    const out = run.json<{ plugins: { name: string; runtime: string; source: string }[] }>();
    expect(out.plugins.map((p) => `${p.name}:${p.runtime}`).sort()).toEqual([
      'env-search:mcp_http',
      'registry-search:mcp_http',
      'upper:in_process',
    ]);
  });

  it('--setup starts and stops: ready plugins, a failing setup is unavailable with its reason', async () => {
    const root = mixedTree();
    const run = await cli(['list', 'ok', 'failing', '--setup', '--json'], { cwd: root });
    expect(run.code).toBe(1);
    const out = run.json<{ plugins: { name: string; state: string; reason: string | null }[] }>();
    expect(out.plugins.find((p) => p.name === 'upper')?.state).toBe('ready');
    const failing = out.plugins.find((p) => p.name === 'failing');
    expect(failing?.state).toBe('unavailable');
    expect(failing?.reason).toContain('no database');
  });

  it('--setup reports an unreachable mcp_http service as unavailable with the reason', async () => {
    const run = await cli(['list', 'remote', '--setup', '--json'], { cwd: mixedTree() });
    expect(run.code).toBe(1);
    const [remote] = run.json<{ plugins: { name: string; state: string; reason: string }[] }>()
      .plugins;
    expect(remote).toMatchObject({ name: 'remote', state: 'unavailable' });
    expect(remote?.reason).toMatch(/not reachable/);
  });

  it('--setup with only healthy plugins exits 0; human table and summary', async () => {
    const root = mixedTree();
    const run = await cli(['list', 'ok', '--setup'], { cwd: root });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/tool\s+upper\s+in_process\s+5\s+ready/);
    expect(run.stdout).toContain('1 plugin(s), 0 failure(s), 0 did not start');
  });

  it('shows progress on a TTY and nothing on stderr otherwise', async () => {
    const root = mixedTree();
    const quiet = await cli(['list', 'ok', '--setup'], { cwd: root, tty: false });
    expect(quiet.stderr).toBe('');
    const tty = await cli(['list', 'ok', '--setup'], { cwd: root, tty: true });
    expect(tty.stderr).toContain('discovering plugins under ok');
    expect(tty.stderr).toContain('starting 1 plugin(s)');
  });
});

describe('call', () => {
  function tools(): string {
    return writeTree(tempDir(), {
      ...prefix('upper', plugin({ name: 'upper', kind: 'tool', priority: 10 }, TOOL_BODY)),
      ...prefix(
        'lower',
        plugin(
          { name: 'lower', kind: 'tool', priority: 1 },
          `get_schema() { return [{ name: 'lower', description: 'Lower-cases.', parameters: { type: 'object' } }]; }
  execute({ args }) { return { result: String(args.text).toLowerCase() }; }`,
        ),
      ),
    });
  }

  it('tool.execute dispatches as singleton (highest priority), metadata reaches the plugin', async () => {
    const root = tools();
    const run = await cli(
      [
        'call',
        'tool',
        'execute',
        '--plugins',
        '.',
        '--input',
        '{"function":"upper","args":{"text":"hi"}}',
        '--meta',
        'tenant_id=acme',
        '--meta',
        'quota_budget=10',
        '--json',
      ],
      { cwd: root },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({
      result: 'HI',
      tenant: 'acme',
      meta: { tenant_id: 'acme', quota_budget: 10 },
    });
  });

  it('tool.get_schema dispatches as broadcast_collect: every plugin, in priority order', async () => {
    const run = await cli(['call', 'tool', 'get_schema', '--plugins', '.', '--json'], {
      cwd: tools(),
    });
    expect(run.code).toBe(0);
    const out = run.json<{ plugin: string; value: { name: string }[] }[]>();
    expect(out.map((e) => [e.plugin, e.value[0]?.name])).toEqual([
      ['upper', 'upper'],
      ['lower', 'lower'],
    ]);
  });

  it('--name calls that plugin; --input @file reads the input', async () => {
    const root = tools();
    writeFileSync(join(root, 'in.json'), '{"function":"lower","args":{"text":"MiXeD"}}');
    const run = await cli(
      ['call', 'tool', 'execute', '--plugins', '.', '--name', 'lower', '--input', '@in.json'],
      { cwd: root },
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ result: 'mixed' });
  });

  it('tool.execute goes to the plugin listing the function; an unknown one exits 1 with did-you-mean', async () => {
    const root = tools();
    const lower = await cli(
      [
        'call',
        'tool',
        'execute',
        '--plugins',
        '.',
        '--input',
        '{"function":"lower","args":{"text":"AbC"}}',
      ],
      { cwd: root },
    );
    expect(lower.code).toBe(0);
    expect(JSON.parse(lower.stdout)).toEqual({ result: 'abc' });
    const unknown = await cli(
      [
        'call',
        'tool',
        'execute',
        '--plugins',
        '.',
        '--input',
        '{"function":"lowr","args":{}}',
        '--json',
      ],
      { cwd: root },
    );
    expect(unknown.code).toBe(1);
    // --json: the error is the JSON document on stdout, stderr has no prose.
    expect(unknown.stderr).toBe('');
    const { ok, error } = unknown.json<{
      ok: boolean;
      error: { code: string; message: string; details: { available: string[] } };
    }>();
    expect(ok).toBe(false);
    expect(error.code).toBe('FUNCTION_NOT_FOUND');
    expect(error.message).toMatch(/no function "lowr".*did you mean "lower"/);
    const human = await cli(
      ['call', 'tool', 'execute', '--plugins', '.', '--input', '{"function":"lowr","args":{}}'],
      { cwd: root },
    );
    expect(human.stderr).toMatch(/FunctionNotFound.*no function "lowr".*did you mean "lower"/);
    expect(error.details.available).toEqual(['boom', 'hang', 'lower', 'refuse', 'upper']);
  });

  it('is_error: true exits 1 with the plugin message', async () => {
    const run = await cli(
      ['call', 'tool', 'execute', '--plugins', '.', '--input', '{"function":"refuse","args":{}}'],
      { cwd: tools() },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/ToolCallFailed \(TOOL_CALL_FAILED\).*refused on purpose/);
  });

  it('lists the manifests it skipped on stderr at the default log level', async () => {
    const root = tools();
    writeTree(root, { 'broken/dagstack.toml': '[plugin]\nname = "broken"\n' });
    const run = await cli(
      [
        'call',
        'tool',
        'execute',
        '--plugins',
        '.',
        '--input',
        '{"function":"upper","args":{"text":"a"}}',
      ],
      { cwd: root },
    );
    expect(run.code).toBe(0);
    // One warning line naming the file and the first problem.
    expect(run.stderr).toMatch(
      /^dagstack-plugins call: warning: skipped .*broken\/dagstack\.toml: \/kind: required field "kind" is missing \(and 2 more\)\n$/,
    );
  });

  it('a plugin error exits 1 with the class on stderr and { error } with --json', async () => {
    const root = tools();
    const args = [
      'call',
      'tool',
      'execute',
      '--plugins',
      '.',
      '--input',
      '{"function":"boom","args":{}}',
    ];
    const human = await cli(args, { cwd: root });
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('exploded on purpose');
    expect(human.stdout).toBe('');
    const json = await cli([...args, '--json'], { cwd: root });
    expect(json.code).toBe(1);
    const { error } = json.json<{ error: { code: string; message: string } }>();
    expect(error.code).toBe('PLUGIN_INVOCATION_ERROR');
    expect(error.message).toContain('exploded on purpose');
  });

  it('--timeout rejects a hanging hook with HookTimeout', async () => {
    const run = await cli(
      [
        'call',
        'tool',
        'execute',
        '--plugins',
        '.',
        '--input',
        '{"function":"hang","args":{}}',
        '--timeout',
        '100',
        '--json',
      ],
      { cwd: tools() },
    );
    expect(run.code).toBe(1);
    expect(run.json<{ error: { code: string } }>().error.code).toBe('HOOK_TIMEOUT');
  });

  it('usage errors exit 2: bad JSON input, missing --plugins, unknown kind, bad --timeout, bad --dispatch', async () => {
    const root = tools();
    const cases: string[][] = [
      ['call', 'tool', 'execute', '--plugins', '.', '--input', '{nope'],
      ['call', 'tool', 'execute'],
      ['call', 'mystery', 'run', '--plugins', '.'],
      ['call', 'tool', 'execute', '--plugins', '.', '--timeout', 'soon'],
      ['call', 'mystery', 'run', '--plugins', '.', '--dispatch', 'roundrobin'],
      ['call', 'tool'],
    ];
    for (const argv of cases) {
      const run = await cli(argv, { cwd: root });
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stdout, argv.join(' ')).toBe('');
    }
    const unknown = await cli(['call', 'mystery', 'run', '--plugins', '.'], { cwd: root });
    expect(unknown.stderr).toContain('pass --kinds <dir> with its YAML, or --dispatch <class>');
  });

  it('--dispatch chain runs a kind without a hookspec as a pipeline in priority order', async () => {
    const root = writeTree(tempDir(), {
      ...prefix(
        'a',
        plugin(
          { name: 'exclaim', kind: 'rewriter', priority: 5 },
          "rewrite(q) { return q + '!'; }",
        ),
      ),
      ...prefix(
        'b',
        plugin(
          { name: 'upper', kind: 'rewriter', priority: 9 },
          'rewrite(q) { return q.toUpperCase(); }',
        ),
      ),
    });
    const run = await cli(
      [
        'call',
        'rewriter',
        'rewrite',
        '--plugins',
        '.',
        '--dispatch',
        'chain',
        '--input',
        '"hello"',
        '--json',
      ],
      { cwd: root },
    );
    expect(run.code).toBe(0);
    expect(run.json()).toBe('HELLO!');
  });

  it('--kinds loads a kind YAML: capability dispatch of the chunker kind', async () => {
    const root = writeTree(tempDir(), {
      ...prefix(
        'fixed',
        plugin(
          { name: 'fixed', kind: 'chunker', fallback: true },
          'chunk({ text, max_size }) { const chunks = []; for (let i = 0; i < text.length; i += max_size) chunks.push({ text: text.slice(i, i + max_size), offset: i }); return { chunks }; }',
        ),
      ),
    });
    const run = await cli(
      [
        'call',
        'chunker',
        'chunk',
        '--plugins',
        '.',
        '--kinds',
        FIXTURE_KINDS,
        '--input',
        '{"text":"abcdef","max_size":4}',
        '--json',
      ],
      { cwd: root },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({
      chunks: [
        { text: 'abcd', offset: 0 },
        { text: 'ef', offset: 4 },
      ],
    });
  });
});

describe('mcp_stdio plugins', () => {
  it('list --setup and call reach a plugin served over stdio by a real child process', async () => {
    const dist = pathToFileURL(join(PACKAGE_DIR, '../runtime-mcp-stdio/dist/index.js')).href;
    const root = writeTree(tempDir(), {
      'upper/dagstack.toml': `[plugin]
schema_version = "1"
name = "upper"
kind = "tool"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "mcp_stdio"

[plugin.mcp_stdio]
command = ["node", "server.mjs"]
`,
      'upper/server.mjs': `import { servePlugin } from '${dist}';
import { KIND_SPEC } from '${pathToFileURL(join(PACKAGE_DIR, '../plugin-system/dist/generated/kinds/tool/v1.js')).href}';
class Upper {
  get_schema() { return [{ name: 'upper', description: 'Upper-cases.', parameters: { type: 'object' } }]; }
  execute({ args }, call) { return { result: String(args.text).toUpperCase(), pid: process.pid, tenant: call.metadata.tenant_id ?? null }; }
}
await servePlugin(new Upper(), KIND_SPEC, { transport: 'stdio' });
`,
    });
    const listed = await cli(['list', '.', '--setup', '--json'], { cwd: root });
    expect(listed.code).toBe(0);
    expect(
      listed.json<{ plugins: { name: string; runtime: string; state: string }[] }>().plugins,
    ).toEqual([expect.objectContaining({ name: 'upper', runtime: 'mcp_stdio', state: 'ready' })]);
    const run = await cli(
      [
        'call',
        'tool',
        'execute',
        '--plugins',
        '.',
        '--input',
        '{"function":"upper","args":{"text":"wire"}}',
        '--meta',
        'tenant_id=acme',
        '--json',
      ],
      { cwd: root },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = run.json<{ result: string; pid: number; tenant: string }>();
    expect(out).toMatchObject({ result: 'WIRE', tenant: 'acme' });
    expect(out.pid).not.toBe(process.pid);
  });
});

describe('contract', () => {
  it('a plugin scaffolded by init passes the contract suite as generated', async () => {
    const root = tempDir();
    expect((await cli(['init', 'tool', 'fresh'], { cwd: root })).code).toBe(0);
    const run = await cli(['contract', 'plugins/fresh', '--json'], { cwd: root });
    const report = run.json<{
      ok: boolean;
      plugin: string;
      checks: { id: string; status: string }[];
    }>();
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(run.code).toBe(0);
    expect(report).toMatchObject({ ok: true, plugin: 'fresh' });
    // Samples came from the tool kind's hookspec: the sample-driven checks ran.
    expect(report.checks.find((c) => c.id === 'serializable')?.status).toBe('pass');
  }, 120_000);

  it('a plugin scaffolded by init for a kind whose hook returns nothing passes as generated', async () => {
    const root = tempDir();
    expect(
      (await cli(['init', 'auditor', 'logbook', '--kinds', FIXTURE_KINDS], { cwd: root })).code,
    ).toBe(0);
    const run = await cli(['contract', 'plugins/logbook', '--kinds', FIXTURE_KINDS, '--json'], {
      cwd: root,
    });
    const report = run.json<{ ok: boolean; checks: { id: string; status: string }[] }>();
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(report.checks.find((c) => c.id === 'serializable')?.status).toBe('pass');
    expect(run.code).toBe(0);
  }, 120_000);

  it('a plugin that writes globals fails with AmbientStateViolation and exit 1', async () => {
    const root = writeTree(tempDir(), {
      ...prefix(
        'sloppy',
        plugin(
          { name: 'sloppy', kind: 'tool' },
          `get_schema() { return []; }
  execute(input) { globalThis.lastInput = input; return { result: 1 }; }`,
        ),
      ),
    });
    const run = await cli(['contract', 'sloppy', '--check', 'ambient-state', '--json'], {
      cwd: root,
    });
    expect(run.code).toBe(1);
    const report = run.json<{
      checks: { id: string; status: string; failures: { errorClass: string }[] }[];
    }>();
    expect(report.checks.map((c) => c.id)).toEqual(['ambient-state']);
    expect(report.checks[0]?.failures.map((f) => f.errorClass)).toContain('AmbientStateViolation');
    const human = await cli(['contract', 'sloppy', '--check', 'ambient-state'], { cwd: root });
    expect(human.stdout).toContain('AmbientStateViolation');
  }, 120_000);

  it('usage errors: no folder, an unknown check, samples that are not JSON', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'bad.json'), '{oops');
    expect((await cli(['contract'], { cwd: root })).code).toBe(2);
    const unknown = await cli(['contract', '.', '--check', 'vibes'], { cwd: root });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown check(s) vibes');
    expect((await cli(['contract', '.', '--samples', 'bad.json'], { cwd: root })).code).toBe(2);
  });
});

describe('codegen', () => {
  it('generates from a kind YAML, --check passes, a changed schema makes --check fail', async () => {
    const root = tempDir();
    writeTree(root, {
      'kinds/chunker/v1.yaml': readFileSync(join(FIXTURE_KINDS, 'chunker/v1.yaml'), 'utf8'),
      'kinds/chunker/schemas/chunk.input.json': readFileSync(
        join(FIXTURE_KINDS, 'chunker/schemas/chunk.input.json'),
        'utf8',
      ),
      'kinds/chunker/schemas/chunk.output.json': readFileSync(
        join(FIXTURE_KINDS, 'chunker/schemas/chunk.output.json'),
        'utf8',
      ),
    });
    const gen = await cli(['codegen', 'kinds/chunker/v1.yaml', '--out', 'gen'], { cwd: root });
    expect(gen.code).toBe(0);
    expect(readFileSync(join(root, 'gen/kinds/chunker/v1.ts'), 'utf8')).toContain(
      'export interface ChunkerPlugin',
    );
    expect(
      (await cli(['codegen', 'kinds/chunker/v1.yaml', '--out', 'gen', '--check'], { cwd: root }))
        .code,
    ).toBe(0);
    const schema = join(root, 'kinds/chunker/schemas/chunk.input.json');
    writeFileSync(schema, readFileSync(schema, 'utf8').replace('"text"', '"body"'));
    const stale = await cli(['codegen', 'kinds/chunker/v1.yaml', '--out', 'gen', '--check'], {
      cwd: root,
    });
    expect(stale.code).toBe(1);
    expect(stale.stderr + stale.stdout).toMatch(/stale|changed|differs/i);
  });

  it('--json reports written, then up-to-date and stale files as one JSON document', async () => {
    const root = tempDir();
    writeTree(root, {
      'kinds/chunker/v1.yaml': readFileSync(join(FIXTURE_KINDS, 'chunker/v1.yaml'), 'utf8'),
      'kinds/chunker/schemas/chunk.input.json': readFileSync(
        join(FIXTURE_KINDS, 'chunker/schemas/chunk.input.json'),
        'utf8',
      ),
      'kinds/chunker/schemas/chunk.output.json': readFileSync(
        join(FIXTURE_KINDS, 'chunker/schemas/chunk.output.json'),
        'utf8',
      ),
    });
    const gen = await cli(['codegen', 'kinds/chunker/v1.yaml', '--out', 'gen', '--json'], {
      cwd: root,
    });
    expect(gen.code).toBe(0);
    const written = gen.json<{ ok: boolean; written: string[] }>();
    expect(written.ok).toBe(true);
    expect(written.written).toContain('gen/kinds/chunker/v1.ts');
    const schema = join(root, 'kinds/chunker/schemas/chunk.input.json');
    writeFileSync(schema, readFileSync(schema, 'utf8').replace('"text"', '"body"'));
    const check = await cli(
      ['codegen', 'kinds/chunker/v1.yaml', '--out', 'gen', '--check', '--json'],
      { cwd: root },
    );
    expect(check.code).toBe(1);
    const stale = check.json<{ ok: boolean; stale: { file: string }[] }>();
    expect(stale.ok).toBe(false);
    expect(stale.stale.map((s) => s.file)).toContain('gen/kinds/chunker/v1.ts');
    expect((await cli(['codegen', 'kinds/chunker/v1.yaml', '--json'], { cwd: root })).code).toBe(2);
  });

  it('without files or --out it is a usage error', async () => {
    expect((await cli(['codegen'])).code).toBe(2);
  });
});

describe('init', () => {
  it('scaffolds a tool plugin that validates, lists and answers calls as generated', async () => {
    const root = tempDir();
    const made = await cli(['init', 'tool', 'my-echo', '--json'], { cwd: root });
    expect(made.code).toBe(0);
    expect(made.json()).toMatchObject({
      kind: 'tool',
      name: 'my-echo',
      runtime: 'in_process',
      files: ['dagstack.toml', 'package.json', 'plugin.js'],
    });
    expect((await cli(['validate', 'plugins/my-echo'], { cwd: root })).code).toBe(0);
    expect((await cli(['list', 'plugins', '--setup'], { cwd: root })).code).toBe(0);
    const schema = await cli(['call', 'tool', 'get_schema', '--plugins', 'plugins', '--json'], {
      cwd: root,
    });
    expect(schema.json<{ plugin: string; value: { name: string }[] }[]>()[0]?.value[0]?.name).toBe(
      'echo',
    );
    const call = await cli(
      [
        'call',
        'tool',
        'execute',
        '--plugins',
        'plugins',
        '--input',
        '{"function":"echo","args":{"text":"yo"}}',
        '--json',
      ],
      { cwd: root },
    );
    expect(call.json()).toEqual({ result: 'yo' });
  });

  it('--runtime mcp_stdio scaffolds a server the host starts as a child process', async () => {
    const root = tempDir();
    linkRuntimePackages(root);
    const made = await cli(['init', 'tool', 'kid', '--runtime', 'mcp_stdio', '--json'], {
      cwd: root,
    });
    expect(made.code).toBe(0);
    expect(made.json<{ files: string[] }>().files).toEqual([
      'dagstack.toml',
      'package.json',
      'plugin.js',
      'server.mjs',
      'kind.json',
    ]);
    expect((await cli(['validate', 'plugins/kid'], { cwd: root })).code).toBe(0);
    const run = await cli(
      [
        'call',
        'tool',
        'execute',
        '--plugins',
        'plugins',
        '--input',
        '{"function":"echo","args":{"text":"over stdio"}}',
        '--json',
      ],
      { cwd: root },
    );
    expect(run.stderr).toBe('');
    expect(run.json()).toEqual({ result: 'over stdio' });
    const listed = await cli(['list', 'plugins', '--json'], { cwd: root });
    expect(listed.json<{ plugins: { runtime: string }[] }>().plugins[0]?.runtime).toBe('mcp_stdio');
  }, 60_000);

  it('--runtime mcp_http scaffolds a service; pointed at it, the host calls it over HTTP', async () => {
    const root = tempDir();
    linkRuntimePackages(root);
    expect((await cli(['init', 'tool', 'far', '--runtime', 'mcp_http'], { cwd: root })).code).toBe(
      0,
    );
    expect((await cli(['validate', 'plugins/far'], { cwd: root })).code).toBe(0);
    const service = spawn(process.execPath, ['server.mjs'], {
      cwd: join(root, 'plugins/far'),
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        service.stderr.on('data', (c: Buffer) => {
          text += c.toString();
          const found = /listening on (\S+)/.exec(text);
          if (found?.[1]) resolve(found[1]);
        });
        service.once('exit', (code) =>
          reject(new Error(`server.mjs exited with ${code}: ${text}`)),
        );
      });
      const manifest = join(root, 'plugins/far/dagstack.toml');
      writeFileSync(
        manifest,
        readFileSync(manifest, 'utf8').replace('http://127.0.0.1:8080/mcp', url),
      );
      const run = await cli(
        [
          'call',
          'tool',
          'execute',
          '--plugins',
          'plugins',
          '--input',
          '{"function":"echo","args":{"text":"over http"}}',
          '--json',
        ],
        { cwd: root },
      );
      expect(run.stderr).toBe('');
      expect(run.json()).toEqual({ result: 'over http' });
    } finally {
      service.kill('SIGKILL');
    }
  }, 60_000);

  it('a kind from --kinds gets its hooks with outputs valid for the output schema', async () => {
    const root = tempDir();
    expect(
      (
        await cli(['init', 'chunker', 'splitter', '--kinds', FIXTURE_KINDS, '--dir', 'p'], {
          cwd: root,
        })
      ).code,
    ).toBe(0);
    const source = readFileSync(join(root, 'p/splitter/plugin.js'), 'utf8');
    expect(source).toContain('chunk(input, call)');
    expect(source).toContain('export class SplitterPlugin');
    const run = await cli(
      [
        'call',
        'chunker',
        'chunk',
        '--plugins',
        'p',
        '--kinds',
        FIXTURE_KINDS,
        '--input',
        '{"text":"x","max_size":1}',
        '--json',
      ],
      { cwd: root },
    );
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({ chunks: [] });
  });

  it('refuses an existing folder (1) unless --force; bad names and runtimes are usage errors (2)', async () => {
    const root = tempDir();
    expect((await cli(['init', 'tool', 'twice'], { cwd: root })).code).toBe(0);
    const again = await cli(['init', 'tool', 'twice'], { cwd: root });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('--force');
    expect((await cli(['init', 'tool', 'twice', '--force'], { cwd: root })).code).toBe(0);
    const badName = await cli(['init', 'tool', 'Bad Name!'], { cwd: root });
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('name');
    expect(
      (await cli(['init', 'tool', 'x', '--runtime', 'carrier_pigeon'], { cwd: root })).code,
    ).toBe(2);
    expect((await cli(['init', 'tool'], { cwd: root })).code).toBe(2);
  });
});

function prefix(dir: string, files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [`${dir}/${k}`, v]));
}

/** Scaffolds import the runtime packages: make the workspace's resolvable from a temp folder. */
function linkRuntimePackages(root: string): void {
  const scope = join(root, 'node_modules', '@dagstack');
  mkdirSync(scope, { recursive: true });
  for (const name of ['runtime-mcp-stdio', 'runtime-mcp-http']) {
    symlinkSync(join(PACKAGE_DIR, '..', name), join(scope, `plugin-${name}`), 'dir');
  }
}
