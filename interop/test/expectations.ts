// The record of what each conformance run gives (expected.json), compared
// with what it gave now, and the per-scenario table printed by the tests.
import { readFileSync } from 'node:fs';
import type { Verdicts } from './conformance-suite.js';

/** One scenario as recorded. */
export interface Recorded {
  readonly status: 'pass' | 'fail';
  /** Why it fails: the cause found in the check output and in our code. */
  readonly reason?: string;
  /** `pass` when the project has committed to make this scenario pass. */
  readonly target?: 'pass';
}

/** One run as recorded. */
export interface RecordedRun {
  readonly title: string;
  readonly scenarios: Readonly<Record<string, Recorded>>;
}

/** expected.json. */
export interface Expected {
  readonly suite: string;
  readonly runs: Readonly<Record<RunId, RecordedRun>>;
  /** Scenarios that pass in run c (server-everything directly) but not in run b (through serve). */
  readonly passInCNotInB: readonly string[];
}

/** The runs. */
export type RunId = 'a' | 'b' | 'c' | 'd' | 'e';

export const EXPECTED_FILE: string = new URL('./expected.json', import.meta.url).pathname;

export function loadExpected(): Expected {
  return JSON.parse(readFileSync(EXPECTED_FILE, 'utf8')) as Expected;
}

/**
 * What differs between the record and the run, one line each: a recorded
 * pass that failed (a regression), a recorded fail that passes (the record
 * must be updated), scenarios on one side only.
 */
export function differences(run: RunId, verdicts: Verdicts, expected: Expected): string[] {
  const recorded = expected.runs[run].scenarios;
  const problems: string[] = [];
  const names = [...new Set([...Object.keys(recorded), ...verdicts.keys()])];
  for (const name of names) {
    const want = recorded[name];
    const got = verdicts.get(name);
    if (want === undefined) {
      problems.push(
        `${name}: not in interop/test/expected.json (run ${run}); it gave ${got?.status} ${got?.detail ?? ''}; record it`,
      );
    } else if (got === undefined) {
      problems.push(`${name}: recorded in expected.json (run ${run}) but the suite did not run it`);
    } else if (want.status === 'pass' && got.status === 'fail') {
      problems.push(`REGRESSION ${name}: recorded as pass, now fails: ${got.detail}`);
    } else if (want.status === 'fail' && got.status === 'pass') {
      problems.push(
        `${name} now passes (recorded as fail: "${want.reason ?? ''}"): update interop/test/expected.json (run ${run}) to "pass"${want.target === 'pass' ? ' — a target reached' : ''}`,
      );
    }
  }
  return problems;
}

/** The per-scenario table of one run, as Markdown. */
export function table(title: string, verdicts: Verdicts, expected?: RecordedRun): string {
  const lines = [
    `### ${title}`,
    '',
    '| scenario | result | recorded | detail |',
    '| --- | --- | --- | --- |',
  ];
  // The suite's order (the record's), then anything the record does not have.
  const recorded = Object.keys(expected?.scenarios ?? {}).filter((n) => verdicts.has(n));
  const names = [...recorded, ...[...verdicts.keys()].filter((n) => !recorded.includes(n))];
  for (const name of names) {
    const got = verdicts.get(name);
    const want = expected?.scenarios[name];
    const detail = (got?.status === 'fail' ? (got.detail ?? '') : '').replace(/\|/g, '\\|');
    lines.push(
      `| ${name} | ${got?.status ?? '-'} | ${want?.status ?? '-'} | ${detail.slice(0, 240)} |`,
    );
  }
  const passed = names.filter((n) => verdicts.get(n)?.status === 'pass').length;
  lines.push('', `${passed} of ${names.length} scenarios pass.`);
  return lines.join('\n');
}

/** Scenarios that pass in `c` and do not in `b`. */
export function passInNotIn(c: Verdicts, b: Verdicts): string[] {
  return [...c.keys()].filter((n) => c.get(n)?.status === 'pass' && b.get(n)?.status !== 'pass');
}
