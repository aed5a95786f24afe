// The human report of what `checkGenerated` found out of date: one line per
// stale, missing or extra file. Shared by both command-line front ends.
import type { CheckResult } from './generate.js';

function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

/**
 * One line per stale file (with its first differing line, expected and
 * found), per missing file and per extra file of a {@link CheckResult},
 * each path shown through `show` (e.g. relative to the working folder).
 * @since 0.2.0
 */
export function describeStale(
  result: Pick<CheckResult, 'stale' | 'missing' | 'extra'>,
  show: (file: string) => string,
): string[] {
  const lines: string[] = [];
  for (const s of result.stale) {
    lines.push(`  stale    ${show(s.file)} (first difference at line ${s.line})`);
    if (s.expected !== undefined) lines.push(`             expected: ${clip(s.expected)}`);
    if (s.actual !== undefined) lines.push(`             found:    ${clip(s.actual)}`);
  }
  for (const file of result.missing) lines.push(`  missing  ${show(file)}`);
  for (const file of result.extra)
    lines.push(`  extra    ${show(file)} (no hookspec generates it)`);
  return lines;
}
