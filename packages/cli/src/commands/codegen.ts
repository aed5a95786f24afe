import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { checkGenerated, generate, runCli as runHookspecCli } from '@dagstack/hookspec-codegen';
import { resolvePath } from '../host.js';
import { type CliIo, EXIT, UsageError, writeJson } from '../io.js';

/** Usage of `codegen`. */
export const CODEGEN_USAGE = `dagstack-plugins codegen <kind.yaml>... --out <dir> [--docs-out <dir>] [--check] [--prune] [--json]

Generates TypeScript types, the plugin interface and the runtime KindSpec (and
OpenRPC + Markdown) from kind hookspecs; --check writes nothing and exits 1
when committed output is stale. Same as \`dagstack-hookspec generate\`; with
--json the result is one JSON document: { ok, written, unchanged, extra } or,
with --check, { ok, upToDate, stale, missing, extra }, plus problems.
Exit codes: 0 ok, 1 invalid hookspec or stale output, 2 usage error.
`;

/** `dagstack-plugins codegen`: the hookspec generator's `generate`. */
export async function codegenCommand(io: CliIo, args: readonly string[]): Promise<number> {
  if (!args.includes('--json')) {
    return runHookspecCli(['generate', ...args], {
      stdout: io.stdout,
      stderr: io.stderr,
      ...(io.cwd === undefined ? {} : { cwd: io.cwd }),
    });
  }
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      json: { type: 'boolean' },
      out: { type: 'string' },
      'docs-out': { type: 'string' },
      check: { type: 'boolean', default: false },
      prune: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  if (positionals.length === 0) throw new UsageError('codegen needs at least one kind YAML');
  if (values.out === undefined) throw new UsageError('codegen needs --out <dir>');
  const cwd = io.cwd ?? process.cwd();
  const show = (file: string): string => relative(cwd, file) || '.';
  const output = {
    out: resolvePath(io, values.out),
    ...(values['docs-out'] === undefined ? {} : { docsOut: resolvePath(io, values['docs-out']) }),
  };
  const files = positionals.map((f) => resolvePath(io, f));
  const problems = (list: readonly { file: string; pointer?: string; message: string }[]) =>
    list.map((p) => ({ ...p, file: show(p.file) }));
  if (values.check) {
    const result = await checkGenerated(files, output);
    writeJson(io, {
      ok: result.ok,
      problems: problems(result.problems),
      upToDate: result.upToDate.map(show),
      stale: result.stale.map((s) => ({ file: show(s.file), line: s.line })),
      missing: result.missing.map(show),
      extra: result.extra.map(show),
    });
    return result.ok ? EXIT.ok : EXIT.failed;
  }
  const result = await generate(files, { ...output, prune: values.prune });
  writeJson(io, {
    ok: result.ok,
    problems: problems(result.problems),
    written: result.written.map(show),
    unchanged: result.unchanged.map(show),
    extra: result.extra.map(show),
  });
  return result.ok ? EXIT.ok : EXIT.failed;
}
