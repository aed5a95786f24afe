import { runCli as runHookspecCli } from '@dagstack/hookspec-codegen';
import type { CliIo } from '../io.js';

/** Usage of `codegen`. */
export const CODEGEN_USAGE = `dagstack-plugins codegen <kind.yaml>... --out <dir> [--docs-out <dir>] [--check] [--prune]

Generates TypeScript types, the plugin interface and the runtime KindSpec (and
OpenRPC + Markdown) from kind hookspecs; --check writes nothing and exits 1
when committed output is stale. Same as \`dagstack-hookspec generate\`.
Exit codes: 0 ok, 1 invalid hookspec or stale output, 2 usage error.
`;

/** `dagstack-plugins codegen`: the hookspec generator's `generate`. */
export function codegenCommand(io: CliIo, args: readonly string[]): Promise<number> {
  return runHookspecCli(['generate', ...args], {
    stdout: io.stdout,
    stderr: io.stderr,
    ...(io.cwd === undefined ? {} : { cwd: io.cwd }),
  });
}
