import { relative } from 'node:path';
import { checkGenerated, describeStale, formatProblem, generate } from '@dagstack/hookspec-codegen';
import { resolvePath } from '../host.js';
import { CliError, type CliIo, EXIT, UsageError, writeReport } from '../io.js';

/** Usage of `codegen`. */
export const CODEGEN_USAGE = `dagstack-plugins codegen <kind.yaml>... --out <dir> [--docs-out <dir>] [--check] [--prune] [--json]

Generates TypeScript types, the plugin interface and the runtime KindSpec (and
OpenRPC + Markdown) from kind hookspecs; --check writes nothing and exits 1
when committed output is stale. The generator of @dagstack/hookspec-codegen
(also its own binary, dagstack-hookspec generate). With --json the result is
one JSON document: { ok, written, unchanged, extra } or, with --check,
{ ok, upToDate, stale, missing, extra }, plus problems, and error when not ok.
Exit codes: 0 ok, 1 invalid hookspec or stale output, 2 usage error.
`;

/** Options of `codegen`. */
export interface CodegenOptions {
  /** `--json`: the result as one JSON document on stdout. */
  readonly json: boolean;
  /** `--out`: folder of the TypeScript modules; required. */
  readonly out?: string;
  /** `--docs-out`: folder of the OpenRPC and Markdown files. @default out */
  readonly docsOut?: string;
  /** `--check`: write nothing, fail when the committed output is stale. */
  readonly check: boolean;
  /** `--prune`: delete generated files no listed hookspec produces. */
  readonly prune: boolean;
}

const INVALID_HINT = 'fix the listed problems, then run dagstack-plugins codegen again';

/** `dagstack-plugins codegen`: the hookspec generator's `generate` and `checkGenerated`. */
export async function codegenCommand(
  io: CliIo,
  paths: readonly string[],
  options: CodegenOptions,
): Promise<number> {
  if (paths.length === 0) throw new UsageError('missing <kind.yaml> (at least one hookspec)');
  if (options.out === undefined) throw new UsageError('missing --out <dir>');
  const cwd = io.cwd ?? process.cwd();
  const show = (file: string): string => relative(cwd, file) || '.';
  const output = {
    out: resolvePath(io, options.out),
    ...(options.docsOut === undefined ? {} : { docsOut: resolvePath(io, options.docsOut) }),
  };
  const files = paths.map((f) => resolvePath(io, f));
  const shown = <T extends { file: string }>(list: readonly T[]): T[] =>
    list.map((p) => ({ ...p, file: show(p.file) }));
  const invalid = (
    result: { ok: boolean; problems: readonly { severity: string }[] },
    what: string,
  ): CliError | undefined => {
    const errors = result.problems.filter((p) => p.severity === 'error').length;
    if (errors === 0 && (result.ok || what === 'nothing checked')) return undefined;
    return new CliError(
      'HOOKSPEC_INVALID',
      `invalid hookspec (${errors} error(s)); ${what}`,
      INVALID_HINT,
    );
  };
  const printProblems = (problems: Parameters<typeof formatProblem>[0][]): void => {
    for (const problem of problems) io.stderr.write(`${formatProblem(problem)}\n`);
  };

  if (options.check) {
    const result = await checkGenerated(files, output);
    const error =
      invalid(result, 'nothing checked') ??
      (result.ok
        ? undefined
        : new CliError(
            'CODEGEN_STALE',
            `generated output is out of date: ${result.stale.length} stale, ${result.missing.length} missing, ${result.extra.length} extra`,
            'run the same command without --check (and with --prune for extra files), then commit',
          ));
    if (options.json) {
      writeReport(io, error, {
        problems: shown(result.problems),
        upToDate: result.upToDate.map(show),
        stale: result.stale.map((s) => ({ file: show(s.file), line: s.line })),
        missing: result.missing.map(show),
        extra: result.extra.map(show),
      });
      return error === undefined ? EXIT.ok : EXIT.failed;
    }
    printProblems(shown(result.problems));
    if (error === undefined) {
      io.stdout.write(
        `dagstack-plugins codegen: ${result.upToDate.length} generated files up to date\n`,
      );
      return EXIT.ok;
    }
    const lines = describeStale(result, show);
    if (lines.length > 0) io.stderr.write(`${lines.join('\n')}\n`);
    throw error;
  }

  const result = await generate(files, { ...output, prune: options.prune });
  const error = invalid(result, 'nothing written');
  if (options.json) {
    writeReport(io, error, {
      problems: shown(result.problems),
      written: result.written.map(show),
      unchanged: result.unchanged.map(show),
      extra: result.extra.map(show),
    });
    return error === undefined ? EXIT.ok : EXIT.failed;
  }
  printProblems(shown(result.problems));
  if (error !== undefined) throw error;
  for (const file of result.written) io.stdout.write(`wrote ${show(file)}\n`);
  for (const file of result.extra) {
    io.stdout.write(
      `${options.prune ? 'removed' : 'extra (not removed; use --prune)'} ${show(file)}\n`,
    );
  }
  io.stdout.write(
    `dagstack-plugins codegen: ${result.written.length} written, ${result.unchanged.length} unchanged\n`,
  );
  return EXIT.ok;
}
