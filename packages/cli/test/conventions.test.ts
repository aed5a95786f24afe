// Shell conventions of `dagstack-plugins` (issue 18), checked on the built
// executable in a real child process: exit codes, what goes to stdout and what
// to stderr, one-line usage errors pointing to --help, did-you-mean, the one
// JSON shape of every failure, --version, help <command>, no escape sequences
// off a terminal. Each row of the table is one run and its expectations.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inCliTerms } from '../src/cli-terms.js';
import { CALL_USAGE } from '../src/commands/call.js';
import { LIST_USAGE } from '../src/commands/list.js';
import { USAGE } from '../src/main.js';
import { cli, FIXTURE_KINDS, PACKAGE_DIR, plugin, toml, writeTree } from './helpers.js';

const BIN = join(PACKAGE_DIR, 'dist/bin.js');
/** The version `--version` must print: the package's, read here as the CLI reads it. */
const VERSION = (
  JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }
).version;
const ESC = String.fromCharCode(27);

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the built executable in `cwd`; stdout and stderr are pipes (not a terminal). */
function run(args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  if (!existsSync(BIN)) throw new Error('dist/bin.js is missing: build @dagstack/plugin-cli first');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const TOOL = `
  get_schema() {
    return ['echo', 'hang', 'red'].map((name) => ({ name, description: name + '.', parameters: { type: 'object' } }));
  }
  execute({ function: fn, args }) {
    if (fn === 'hang') return new Promise(() => {});
    if (fn === 'red') throw new Error('\\u001b[31mred failure\\u001b[0m');
    return { result: args.text ?? null };
  }`;

// One tree for every row, kept for the whole file (tempDir() folders go after each test).
let root = '';
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(() => {
  root = writeTree(mkdtempSync(join(tmpdir(), 'dagstack-conventions-')), {
    ...inside('plugins/ok', plugin({ name: 'ok', kind: 'tool' }, TOOL)),
    // Three schema problems and two warnings (schema_version, kind_api_version assumed).
    'broken/bad/dagstack.toml': '[plugin]\nname = 42\nkind = "tool"\n',
    ...inside(
      'crashing',
      plugin({ name: 'crashing', kind: 'tool' }, 'setup() { throw new Error("no start"); }'),
    ),
    'noentry/dagstack.toml': toml({ name: 'noentry', kind: 'tool' }),
    ...inside('future', plugin({ name: 'future', kind: 'tool', core_version: '>=9.0.0' }, '')),
    // in_process cannot start (no gone.js), mcp_stdio can be tried: a warning.
    'fallback/dagstack.toml': `${toml({ name: 'fallback', kind: 'tool', runtime: ['in_process', 'mcp_stdio'], entry_point: 'gone:Plugin' })}\n[plugin.mcp_stdio]\ncommand = ["node", "server.mjs"]\n`,
    'warned/dagstack.toml': toml({ name: 'warned', kind: 'tool' }).replace(
      'schema_version = "1"\n',
      '',
    ),
    'warned/plugin.js': 'export class Plugin {}\n',
    'stdio-missing/dagstack.toml': `${toml({ name: 'ghost', kind: 'tool', runtime: 'mcp_stdio' }).replace(/entry_point.*\n/, '')}\n[plugin.mcp_stdio]\ncommand = ["node", "no-such-server.js"]\n`,
    'kinds/bad.yaml': 'kind: broken\nkind_api_version: "1.0.0"\nhooks:\n  - name: 7\n',
  });
  cpSync(FIXTURE_KINDS, join(root, 'kinds/good'), { recursive: true });
});

function inside(dir: string, files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [`${dir}/${k}`, v]));
}

/** stderr of a --json run: log records only (one JSON object per line), no prose. */
function onlyLogLines(stderr: string): void {
  for (const line of stderr.split('\n').filter((l) => l !== '')) {
    expect(() => JSON.parse(line), `stderr line is not a log record: ${line}`).not.toThrow();
  }
}

/** A usage error: exit 2, nothing on stdout, exactly `line` on stderr. */
function usageError(line: string) {
  return (r: Run): void => {
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`${line}\n`);
  };
}

/** A --json failure: `{ ok: false, error }` on stdout, no prose on stderr. */
function jsonFailure(
  code: 1 | 2,
  error: Record<string, unknown>,
  more: Record<string, unknown> = {},
) {
  return (r: Run): void => {
    expect(r.code).toBe(code);
    const doc = JSON.parse(r.stdout) as { ok: boolean; error: Record<string, unknown> };
    expect(doc).toMatchObject({ ok: false, error, ...more });
    expect(typeof doc.error.code).toBe('string');
    expect(typeof doc.error.message).toBe('string');
    onlyLogLines(r.stderr);
  };
}

interface Row {
  /** The convention the row checks. */
  readonly convention: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  readonly check: (r: Run) => void;
}

const ROWS: readonly Row[] = [
  // --version / -v
  ...[['--version'], ['-v'], ['list', '-v'], ['call', 'tool', 'execute', '--version']].map(
    (args): Row => ({
      convention: 'version',
      args,
      check: (r) => {
        expect(r.code).toBe(0);
        expect(r.stdout).toBe(`${VERSION}\n`);
        expect(r.stderr).toBe('');
      },
    }),
  ),
  {
    convention: 'version',
    args: ['--json', '--version'],
    check: (r) => {
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ version: VERSION });
    },
  },
  // help <command>
  {
    convention: 'help',
    args: ['help', 'list'],
    check: (r) => {
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(LIST_USAGE);
      expect(r.stderr).toBe('');
    },
  },
  {
    convention: 'help',
    args: ['help'],
    check: (r) => {
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(USAGE);
    },
  },
  {
    convention: 'help',
    args: ['call', '--help', '--no-such-flag'],
    check: (r) => {
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(CALL_USAGE);
    },
  },
  {
    convention: 'help',
    args: ['help', 'lsit'],
    check: usageError(
      'dagstack-plugins help: unknown command "lsit" (did you mean "list"?); see dagstack-plugins --help',
    ),
  },
  // Did-you-mean for commands and flags
  {
    convention: 'did-you-mean',
    args: ['lsit'],
    check: usageError(
      'dagstack-plugins: unknown command "lsit" (did you mean "list"?); see dagstack-plugins --help',
    ),
  },
  {
    convention: 'did-you-mean',
    args: ['frobnicate'],
    check: usageError(
      'dagstack-plugins: unknown command "frobnicate"; see dagstack-plugins --help',
    ),
  },
  {
    convention: 'did-you-mean',
    args: ['list', '--setpu'],
    check: usageError(
      'dagstack-plugins list: unknown option --setpu (did you mean --setup?); see dagstack-plugins list --help',
    ),
  },
  {
    convention: 'did-you-mean',
    args: ['serve', 'plugins', '--stdoi'],
    check: usageError(
      'dagstack-plugins serve: unknown option --stdoi (did you mean --stdio?); see dagstack-plugins serve --help',
    ),
  },
  {
    convention: 'did-you-mean',
    args: ['--verison'],
    check: usageError(
      'dagstack-plugins: unknown option --verison (did you mean --version?); see dagstack-plugins --help',
    ),
  },
  // One-line usage errors (parseArgs' own text never shows)
  {
    convention: 'one-line usage error',
    args: [],
    check: usageError(
      'dagstack-plugins: no command given (one of validate, list, call, serve, contract, codegen, init); see dagstack-plugins --help',
    ),
  },
  {
    convention: 'one-line usage error',
    args: ['list'],
    check: usageError(
      'dagstack-plugins list: missing <dir> (a folder of plugins); see dagstack-plugins list --help',
    ),
  },
  {
    convention: 'one-line usage error',
    args: ['call', 'tool', 'execute'],
    check: usageError(
      'dagstack-plugins call: missing --plugins <dir>; see dagstack-plugins call --help',
    ),
  },
  {
    convention: 'one-line usage error',
    args: ['call', 'tool', 'execute', '--plugins', 'plugins', '--input'],
    check: usageError(
      'dagstack-plugins call: option --input needs a value; see dagstack-plugins call --help',
    ),
  },
  {
    convention: 'one-line usage error',
    args: ['list', 'plugins', '--setup=yes'],
    check: usageError(
      'dagstack-plugins list: option --setup takes no value; see dagstack-plugins list --help',
    ),
  },
  {
    convention: 'one-line usage error',
    args: ['list', 'plugins', '--log-level', 'loud'],
    check: usageError(
      'dagstack-plugins list: --log-level loud: expected one of debug, info, warn, error; see dagstack-plugins list --help',
    ),
  },
  {
    convention: 'one-line usage error',
    args: ['codegen', 'kinds/good/chunker/v1.yaml'],
    check: usageError(
      'dagstack-plugins codegen: missing --out <dir>; see dagstack-plugins codegen --help',
    ),
  },
  {
    convention: 'one-line usage error',
    args: ['serve', 'plugins'],
    check: usageError(
      'dagstack-plugins serve: missing --stdio or --http; see dagstack-plugins serve --help',
    ),
  },
  // --json: one shape for every failure
  {
    convention: '--json usage error',
    args: ['list', '--json'],
    check: jsonFailure(2, {
      name: 'UsageError',
      code: 'USAGE',
      message: 'missing <dir> (a folder of plugins)',
      hint: 'see dagstack-plugins list --help',
    }),
  },
  {
    convention: '--json unknown command',
    args: ['lsit', '--json'],
    check: jsonFailure(2, {
      code: 'USAGE',
      message: 'unknown command "lsit" (did you mean "list"?)',
      hint: 'see dagstack-plugins --help',
    }),
  },
  {
    convention: '--json unknown flag',
    args: ['list', 'plugins', '--setpu', '--json'],
    check: jsonFailure(2, {
      code: 'USAGE',
      message: 'unknown option --setpu (did you mean --setup?)',
      hint: 'see dagstack-plugins list --help',
    }),
  },
  {
    convention: '--json bad --log-level',
    args: ['--json', 'list', 'plugins', '--log-level', 'loud'],
    check: jsonFailure(2, { code: 'USAGE', message: expect.stringContaining('--log-level loud') }),
  },
  {
    convention: '--json operation failure (hint in CLI terms)',
    args: [
      'call',
      'tool',
      'execute',
      '--plugins',
      'plugins',
      '--input',
      '{"function":"hang","args":{}}',
      '--timeout',
      '100',
      '--json',
    ],
    check: (r) => {
      jsonFailure(1, {
        name: 'HookTimeout',
        code: 'HOOK_TIMEOUT',
        hint: expect.stringContaining('raise --timeout <ms>'),
        details: { hook: 'execute', timeoutMs: 100 },
      })(r);
      expect(r.stdout).not.toMatch(/raise timeoutMs/);
    },
  },
  {
    convention: '--json init error',
    args: ['init', 'tool', 'ok', '--dir', 'plugins', '--json'],
    check: jsonFailure(1, {
      name: 'CliError',
      code: 'FOLDER_EXISTS',
      message: 'plugins/ok exists',
      hint: expect.stringContaining('--force'),
    }),
  },
  {
    convention: '--json init usage error',
    args: ['init', 'tool', 'Bad Name!', '--json'],
    check: jsonFailure(2, { code: 'USAGE', hint: 'see dagstack-plugins init --help' }),
  },
  {
    convention: '--json codegen error',
    args: ['codegen', 'kinds/bad.yaml', '--out', 'gen', '--json'],
    check: (r) => {
      jsonFailure(
        1,
        {
          code: 'HOOKSPEC_INVALID',
          hint: 'fix the listed problems, then run dagstack-plugins codegen again',
        },
        { problems: expect.arrayContaining([expect.objectContaining({ file: 'kinds/bad.yaml' })]) },
      )(r);
      expect(r.stdout).not.toContain('dagstack-hookspec');
    },
  },
  {
    convention: '--json codegen usage error',
    args: ['codegen', 'kinds/bad.yaml', '--json'],
    check: jsonFailure(2, { code: 'USAGE', message: 'missing --out <dir>' }),
  },
  {
    convention: '--json validate failure',
    args: ['validate', 'noentry', '--json'],
    check: jsonFailure(
      1,
      { code: 'MANIFEST_INVALID', message: '1 of 1 manifest(s) invalid' },
      { results: [expect.objectContaining({ path: 'noentry', ok: false })] },
    ),
  },
  {
    convention: '--json serve with 0 plugins ready',
    args: ['serve', 'crashing', '--http', '--json'],
    check: jsonFailure(1, {
      code: 'NOTHING_TO_SERVE',
      hint: expect.stringContaining('--allow-empty'),
    }),
  },
  // codegen speaks as this binary
  {
    convention: 'codegen names dagstack-plugins',
    args: ['codegen', 'kinds/bad.yaml', '--out', 'gen'],
    check: (r) => {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('kinds/bad.yaml');
      expect(r.stderr).toMatch(
        /^dagstack-plugins codegen: invalid hookspec \(\d+ error\(s\)\); nothing written; fix the listed problems, then run dagstack-plugins codegen again$/m,
      );
      expect(r.stdout + r.stderr).not.toContain('dagstack-hookspec');
    },
  },
  {
    convention: 'codegen names dagstack-plugins',
    args: ['codegen', 'kinds/good/chunker/v1.yaml', '--out', 'gen-ok'],
    check: (r) => {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^dagstack-plugins codegen: \d+ written, 0 unchanged$/m);
      expect(r.stdout + r.stderr).not.toContain('dagstack-hookspec');
    },
  },
  // serve with nothing ready: exit 1, one-line reason
  {
    convention: 'serve with 0 ready',
    args: ['serve', 'crashing', '--http'],
    check: (r) => {
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(
        'dagstack-plugins serve: no plugin is ready, so there is nothing to serve; fix the plugins reported above, or pass --allow-empty to serve anyway',
      );
      expect(r.stderr).toContain(
        'dagstack-plugins serve: warning: crashing is unavailable: setup failed: no start',
      );
    },
  },
  // validate: the static checks of what a start would refuse, warnings in human output
  {
    convention: 'validate static checks',
    args: ['validate', 'noentry', 'future', 'plugins/ok'],
    check: (r) => {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^noentry\/dagstack\.toml \/entry_point: entry module not found in .*noentry \(tried plugin\.js, .*\) Hint: check entry_point against the files in the plugin folder$/m,
      );
      expect(r.stderr).toContain(
        `future/dagstack.toml /core_version: core_version ">=9.0.0" does not match this host's ${VERSION} Hint: install a plugin release built for this core, or upgrade the core\n`,
      );
      expect(r.stdout).toMatch(/^noentry\s+noentry\s+invalid \(1 problem\(s\)\)$/m);
      expect(r.stdout).toMatch(/^plugins\/ok\s+ok\s+ok$/m);
      expect(r.stdout).toContain('3 checked, 2 invalid');
    },
  },
  {
    convention: 'validate static checks',
    args: ['validate', 'fallback', '--json'],
    check: (r) => {
      // Another runtime can run it: a warning, not an error.
      expect(r.code).toBe(0);
      const [result] = (JSON.parse(r.stdout) as { results: Record<string, unknown>[] }).results;
      expect(result).toMatchObject({
        ok: true,
        warnings: [
          expect.objectContaining({
            pointer: '/entry_point',
            message: expect.stringContaining('mcp_stdio will be used'),
          }),
        ],
      });
    },
  },
  {
    convention: 'validate warnings in human output',
    args: ['validate', 'warned'],
    check: (r) => {
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(
        'warned/dagstack.toml /schema_version: warning: schema_version is missing; assuming "1"\n',
      );
      expect(r.stdout).toMatch(/^warned\s+warned\s+ok \(1 warning\(s\)\)$/m);
    },
  },
  // contract: skip reasons name the CLI's flags, and those flags exist
  {
    convention: 'contract skip reasons in CLI terms',
    args: ['contract', 'plugins/ok', '--check', 'determinism', '--check', 'fallback'],
    check: (r) => {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('pass --determinism always to check anyway');
      expect(r.stdout).toContain('pass --fallback always to run it');
      expect(r.stdout).not.toMatch(/determinism: "always"|fallback: "always"/);
    },
  },
  {
    convention: 'contract skip reasons in CLI terms',
    args: ['contract', 'plugins/ok', '--check', 'fallback', '--fallback', 'always', '--json'],
    check: (r) => {
      const doc = JSON.parse(r.stdout) as {
        checks: { id: string; status: string; reason?: string }[];
      };
      const fallback = doc.checks.find((c) => c.id === 'fallback');
      // Forced: no longer skipped for being no fallback plugin.
      expect(fallback?.reason ?? '').not.toContain('not a capability fallback');
    },
  },
  {
    convention: 'contract skip reasons in CLI terms',
    args: ['contract', 'plugins/ok', '--determinism', 'sometimes'],
    check: usageError(
      'dagstack-plugins contract: --determinism sometimes: expected auto or always; see dagstack-plugins contract --help',
    ),
  },
  // list: one problem per line; skipped manifests warned about at the default level
  {
    convention: 'list one problem per line',
    args: ['list', 'broken'],
    check: (r) => {
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(
        [
          'failed: broken/bad/dagstack.toml (MANIFEST_INVALID)',
          '  /name: must be a string, got an integer 42',
          '  /core_version: required field "core_version" is missing',
          '  /runtime: required field "runtime" is missing',
          '  hint: fix the listed fields in the manifest file',
        ].join('\n'),
      );
      expect(r.stdout.split('broken/bad/dagstack.toml')).toHaveLength(2);
      expect(r.stderr).toBe(
        'dagstack-plugins list: warning: skipped broken/bad/dagstack.toml: /name: must be a string, got an integer 42 (and 2 more)\n',
      );
    },
  },
  {
    convention: 'skipped manifest warning',
    args: [
      'call',
      'tool',
      'execute',
      '--plugins',
      'plugins',
      '--plugins',
      'broken',
      '--input',
      '{"function":"echo","args":{"text":"hi"}}',
    ],
    check: (r) => {
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ result: 'hi' });
      expect(r.stderr).toBe(
        'dagstack-plugins call: warning: skipped broken/bad/dagstack.toml: /name: must be a string, got an integer 42 (and 2 more)\n',
      );
    },
  },
  {
    convention: 'skipped manifest warning',
    args: ['list', 'broken', '--log-level', 'error'],
    check: (r) => {
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('');
    },
  },
  {
    convention: 'skipped manifest warning',
    args: ['list', 'broken', '--json'],
    check: (r) => {
      expect(r.code).toBe(1);
      const [record] = r.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(record).toMatchObject({
        level: 'warn',
        msg: 'skipped broken/bad/dagstack.toml: /name: must be a string, got an integer 42 (and 2 more)',
        code: 'MANIFEST_INVALID',
      });
      expect(JSON.parse(r.stdout)).toMatchObject({
        ok: false,
        error: { code: 'DISCOVERY_FAILED' },
        failures: [{ error: { code: 'MANIFEST_INVALID' } }],
      });
    },
  },
  // A stdio plugin whose entry file is missing: the reason names it
  {
    convention: 'mcp_stdio start failure names the cause',
    args: ['list', 'stdio-missing', '--setup', '--json'],
    check: (r) => {
      expect(r.code).toBe(1);
      const [ghost] = (JSON.parse(r.stdout) as { plugins: { state: string; reason: string }[] })
        .plugins;
      expect(ghost?.state).toBe('unavailable');
      expect(ghost?.reason).toMatch(/Cannot find module '.*no-such-server\.js'/);
    },
  },
  // No escape sequences off a terminal, even in a plugin's coloured error
  {
    convention: 'no ANSI off a terminal',
    args: [
      'call',
      'tool',
      'execute',
      '--plugins',
      'plugins',
      '--input',
      '{"function":"red","args":{}}',
    ],
    check: (r) => {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('red failure');
    },
  },
];

describe('dagstack-plugins follows shell conventions (built executable)', () => {
  it.each(ROWS.map((row) => [row.convention, row.args.join(' '), row] as const))(
    '%s: dagstack-plugins %s',
    async (_convention, _line, row) => {
      const result = await run(row.args, root, row.env);
      row.check(result);
      // Output never carries escape sequences when it is not a terminal.
      expect(result.stdout.includes(ESC) || result.stderr.includes(ESC)).toBe(false);
    },
  );

  it('every row ran a distinct command line (the table is not vacuous)', () => {
    const lines = ROWS.map((r) => r.args.join(' '));
    expect(new Set(lines).size).toBe(lines.length);
    expect(new Set(ROWS.map((r) => r.convention)).size).toBeGreaterThanOrEqual(15);
  });
});

describe('colour on a terminal', () => {
  const args = [
    'call',
    'tool',
    'execute',
    '--plugins',
    'plugins',
    '--input',
    '{"function":"red","args":{}}',
  ];

  it('a terminal gets the colour a plugin put in its message', async () => {
    const r = await cli(args, { cwd: root, tty: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${ESC}[31mred failure${ESC}[0m`);
  });

  it('NO_COLOR removes it, even on a terminal', async () => {
    const r = await cli(args, { cwd: root, tty: true, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('red failure');
    expect(r.stderr).not.toContain(`${ESC}[31m`);
  });
});

describe('serve announces the package version', () => {
  const clients: Client[] = [];
  afterAll(async () => {
    for (const client of clients) await client.close();
  });

  it('MCP serverInfo.version and the stderr banner carry the version of package.json', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'serve', 'plugins', '--stdio'],
      cwd: root,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const client = new Client({ name: 'conventions-test', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    expect(client.getServerVersion()).toMatchObject({ name: 'dagstack-plugins', version: VERSION });
    expect(VERSION).not.toBe('0.0.0');
    await expect
      .poll(() => stderr)
      .toContain(`dagstack-plugins serve: dagstack-plugins ${VERSION} serving MCP on stdio`);
  });
});

describe('hints in CLI terms', () => {
  it.each([
    [
      'the plugin ignored or did not finish before its deadline; raise timeoutMs or make the hook faster',
      'the plugin ignored or did not finish before its deadline; raise --timeout <ms> or make the hook faster',
    ],
    [
      "register the kind's hookspec (registerKind) before calling its hooks",
      "pass --kinds <dir> with the kind's YAML, or --dispatch <class>",
    ],
    [
      'call registry.registerKind(spec) for this kind, or fix the kind in the manifest',
      "pass --kinds <dir> with this kind's YAML, or fix the kind in the manifest",
    ],
    [
      "pass the plugins folder as the second argument, e.g. discover(registry, 'plugins/')",
      'pass the plugins folder on the command line',
    ],
    [
      'create the folder or pass the right path to discover()',
      'create the folder or pass the right folder on the command line',
    ],
    [
      'name the plugin (target / --name), call its own tool',
      'name the plugin (--name), call its own tool',
    ],
    [
      'fix the cause (see the plugin log), then registry.reload() the plugin',
      'fix the cause (see the plugin log), then run the command again',
    ],
    [
      'fix the listed fields, then run dagstack-hookspec generate again',
      'fix the listed fields, then run dagstack-plugins codegen again',
    ],
  ])('%s', (api, cli) => {
    expect(inCliTerms(api)).toBe(cli);
  });
});
