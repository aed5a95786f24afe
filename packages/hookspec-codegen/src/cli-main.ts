import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeStale } from './check-report.js';
import { checkGenerated, generate } from './generate.js';
import { formatProblem, type HookspecProblem } from './problems.js';

/**
 * Where the CLI writes: `process.stdout` / `process.stderr` by default.
 * @since 0.1.0
 */
export interface CliIo {
  /** Receives the usage text and progress reports. */
  readonly stdout: {
    /** Write `text` as given (it carries its own line endings). */
    write(text: string): unknown;
  };
  /** Receives problems, stale-file reports and usage errors. */
  readonly stderr: {
    /** Write `text` as given (it carries its own line endings). */
    write(text: string): unknown;
  };
  /** Paths are printed relative to it. @default process.cwd() */
  readonly cwd?: string;
}

const USAGE = `Usage:
  dagstack-hookspec generate <kind.yaml...> --out <dir> [--docs-out <dir>] [--check] [--prune]

Generates, for every kind hookspec:
  <out>/kinds/<kind>/v<major>.ts                TypeScript types, plugin interface, KindSpec
  <docs-out>/kinds/<kind>/v<major>.openrpc.json OpenRPC 1.2.6 (mcp_exposed hooks)
  <docs-out>/kinds/<kind>/v<major>.md           reference page

Options:
  --out <dir>       folder of the TypeScript modules (required)
  --docs-out <dir>  folder of OpenRPC and Markdown (default: --out)
  --check           write nothing; exit 1 when a file is stale, missing or extra
  --prune           delete generated files of kinds no longer listed
  -h, --help        show this help

Exit codes: 0 ok, 1 invalid hookspec or stale output, 2 usage error.
`;

/**
 * Run `dagstack-hookspec` with `argv` (without `node` and the script) and
 * return the exit code.
 * @since 0.1.0
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  const show = (file: string): string => relative(cwd, file) || '.';
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.stderr.write(`dagstack-hookspec: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout.write(USAGE);
    return 0;
  }
  const [command, ...files] = positionals;
  if (command !== 'generate' || files.length === 0 || values.out === undefined) {
    const what =
      command !== 'generate'
        ? `unknown command ${command === undefined ? '(none)' : `"${command}"`}`
        : files.length === 0
          ? 'no hookspec files given'
          : '--out is required';
    io.stderr.write(`dagstack-hookspec: ${what}\n\n${USAGE}`);
    return 2;
  }
  const options = {
    out: resolveFrom(cwd, values.out),
    ...(values['docs-out'] === undefined ? {} : { docsOut: resolveFrom(cwd, values['docs-out']) }),
  };
  const hookspecs = files.map((f) => resolveFrom(cwd, f));
  const printProblems = (problems: readonly HookspecProblem[]): void => {
    for (const problem of problems) {
      io.stderr.write(`${formatProblem({ ...problem, file: show(problem.file) })}\n`);
    }
  };

  if (values.check === true) {
    const result = await checkGenerated(hookspecs, options);
    printProblems(result.problems);
    if (result.problems.some((p) => p.severity === 'error')) {
      io.stderr.write('dagstack-hookspec: invalid hookspec; nothing checked\n');
      return 1;
    }
    if (result.ok) {
      io.stdout.write(`dagstack-hookspec: ${result.upToDate.length} generated files up to date\n`);
      return 0;
    }
    const lines = ['dagstack-hookspec: generated output is out of date:'];
    lines.push(...describeStale(result, show));
    lines.push(
      `${result.stale.length} stale, ${result.missing.length} missing, ${result.extra.length} extra, ${result.upToDate.length} up to date.`,
      'Run the same command without --check (and with --prune for extra files), then commit.',
    );
    io.stderr.write(`${lines.join('\n')}\n`);
    return 1;
  }

  const result = await generate(hookspecs, { ...options, prune: values.prune === true });
  printProblems(result.problems);
  if (!result.ok) {
    io.stderr.write('dagstack-hookspec: invalid hookspec; nothing written\n');
    return 1;
  }
  for (const file of result.written) io.stdout.write(`wrote ${show(file)}\n`);
  for (const file of result.extra) {
    io.stdout.write(
      `${values.prune === true ? 'removed' : 'extra (not removed; use --prune)'} ${show(file)}\n`,
    );
  }
  io.stdout.write(
    `dagstack-hookspec: ${result.written.length} written, ${result.unchanged.length} unchanged\n`,
  );
  return 0;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      out: { type: 'string' },
      'docs-out': { type: 'string' },
      check: { type: 'boolean' },
      prune: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function resolveFrom(cwd: string, path: string): string {
  return resolve(cwd, path);
}
