// Command lines in the CLI's words. `node:util` parseArgs does the parsing;
// this file turns its errors into one-line usage errors with a did-you-mean
// (its own text names internals and suggests `--` tricks), and reads the flags
// that act before a command runs (--help, --version, --json) leniently, so
// they work even on a line that would not parse.
import { parseArgs } from 'node:util';
import { closestName } from '@dagstack/plugin-api';
import { UsageError } from './io.js';
import { isParseArgsError } from './report.js';

/** One option of a command, as `parseArgs` takes it. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  readonly default?: boolean;
}

/** The options of a command by long name. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/**
 * The candidate `word` is most likely a typo of: at most 2 edits, and at most
 * half the word, so short words are not matched to anything.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  return closestName(word, candidates, Math.min(2, Math.floor(word.length / 2)));
}

/** `args` as `parseArgs` tokens, without failing on anything (strict: false). */
function looseTokens(args: readonly string[], options: OptionSpecs) {
  return parseArgs({
    args: [...args],
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  }).tokens;
}

/**
 * The long names of the options present in `args` (`-h` counts as `help`),
 * without failing on anything: unknown options and missing values are for
 * the strict parse to report.
 */
export function flagsIn(args: readonly string[], options: OptionSpecs): Set<string> {
  const tokens = looseTokens(args, options);
  const names = new Set<string>();
  for (const token of tokens) if (token.kind === 'option') names.add(token.name);
  return names;
}

/**
 * The usage error for a `parseArgs` failure on `args`: the option that is
 * unknown (with the closest known one), lacks its value or takes none, or the
 * argument that was not expected. Anything else is returned as it is.
 */
export function usageErrorOf(
  error: unknown,
  args: readonly string[],
  options: OptionSpecs,
): unknown {
  if (!isParseArgsError(error)) return error;
  const tokens = looseTokens(args, options);
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    if (spec === undefined) {
      const near = token.rawName.startsWith('--')
        ? didYouMean(token.name, Object.keys(options))
        : undefined;
      return new UsageError(
        `unknown option ${token.rawName}${near === undefined ? '' : ` (did you mean --${near}?)`}`,
      );
    }
    if (spec.type === 'boolean' && token.value !== undefined)
      return new UsageError(`option ${token.rawName} takes no value`);
    if (spec.type === 'string') {
      if (token.value === undefined) return new UsageError(`option ${token.rawName} needs a value`);
      if (!token.inlineValue && token.value.length > 1 && token.value.startsWith('-'))
        return new UsageError(
          `option ${token.rawName} needs a value, not the option ${token.value} (for a value that starts with "-", write ${token.rawName}=${token.value})`,
        );
    }
  }
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const extra = tokens.find((t) => t.kind === 'positional');
    if (extra?.kind === 'positional') return new UsageError(`unexpected argument "${extra.value}"`);
  }
  return new UsageError((error as Error).message.split('\n')[0] ?? 'malformed command line');
}
