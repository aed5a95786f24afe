// One vitest test per conformance case: the test name is
// `<category> › <fixture file> › <case id>`, and a failure message starts with
// the fixture file and the case id. Prints the count per category at the end.
import { afterAll, describe, expect, it } from 'vitest';
import {
  CATEGORIES,
  type Category,
  type ConformanceCase,
  FORMAT,
  loadCases,
  runCase,
} from '../runner/suite.js';

const cases = loadCases();

interface Tally {
  passed: number;
  expectedFailures: number;
  failed: number;
  notRun: number;
}

const tally = new Map<Category, Tally>(
  (Object.keys(CATEGORIES) as Category[]).map((c) => [
    c,
    { passed: 0, expectedFailures: 0, failed: 0, notRun: 0 },
  ]),
);
const count = (c: ConformanceCase): Tally => tally.get(c.category) as Tally;

async function execute(c: ConformanceCase): Promise<void> {
  if (c.knownFailure === undefined) {
    try {
      await runCase(c);
    } catch (error) {
      count(c).failed += 1;
      throw error;
    }
    count(c).passed += 1;
    return;
  }
  let failure: unknown;
  try {
    await runCase(c);
  } catch (error) {
    failure = error;
  }
  if (failure === undefined) {
    count(c).failed += 1;
    throw new Error(
      `${c.file} [${c.id}]: listed in known-failures.yaml (${c.knownFailure}) but passed; remove it from the list`,
    );
  }
  count(c).expectedFailures += 1;
}

describe(`conformance fixtures (format ${FORMAT})`, () => {
  it('has at least 250 cases and every category', () => {
    expect(cases.length).toBeGreaterThanOrEqual(250);
    for (const category of Object.keys(CATEGORIES)) {
      expect(cases.some((c) => c.category === category)).toBe(true);
    }
  });

  for (const category of Object.keys(CATEGORIES) as Category[]) {
    describe(category, () => {
      for (const c of cases.filter((x) => x.category === category)) {
        const name = `${c.file} › ${c.id}`;
        if (c.notRunnable !== undefined) {
          count(c).notRun += 1;
          it.todo(`${name} (not run: ${c.notRunnable})`);
        } else if (c.knownFailure !== undefined) {
          it(`${name} [expected failure: ${c.knownFailure}]`, () => execute(c));
        } else {
          it(name, () => execute(c));
        }
      }
    });
  }
});

afterAll(() => {
  const parts: string[] = [];
  let total = 0;
  let passed = 0;
  let expected = 0;
  let failed = 0;
  for (const [category, t] of tally) {
    const ran = t.passed + t.expectedFailures + t.failed;
    total += ran;
    passed += t.passed;
    expected += t.expectedFailures;
    failed += t.failed;
    const extra = [
      t.expectedFailures > 0 ? `${t.expectedFailures} expected failure(s)` : '',
      t.failed > 0 ? `${t.failed} FAILED` : '',
      t.notRun > 0 ? `${t.notRun} not run` : '',
    ].filter((s) => s !== '');
    parts.push(
      `  ${category.padEnd(13)} ${String(ran).padStart(4)}${extra.length > 0 ? `  (${extra.join(', ')})` : ''}`,
    );
  }
  process.stderr.write(
    `\nconformance (format ${FORMAT}), cases per category:\n${parts.join('\n')}\n  ${'total'.padEnd(13)} ${String(total).padStart(4)}  (${passed} passed, ${expected} expected failure(s), ${failed} failed)\n`,
  );
});
