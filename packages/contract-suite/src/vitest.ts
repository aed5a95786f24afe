/**
 * @dagstack/plugin-contract-suite/vitest — the contract suite as vitest
 * assertions. Import from this subpath only in test files; vitest is an
 * optional peer dependency.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { ALL_CHECKS } from './checks.js';
import { runContractSuite } from './run.js';
import type { ContractReport, ContractSuiteOptions } from './types.js';

/**
 * Run the suite and fail the current test with the readable list of failures
 * when any check fails. Returns the report for further assertions.
 *
 * ```ts
 * it('honours the plugin contract', async () => {
 *   await expectContract({ manifest: 'plugins/fixed-chunker', samples });
 * });
 * ```
 * @since 0.1.0
 */
export async function expectContract(options: ContractSuiteOptions): Promise<ContractReport> {
  const report = await runContractSuite(options);
  expect(report.ok, report.formatFailures()).toBe(true);
  return report;
}

/** Options of {@link describeContract}: the suite's options plus a block name. @since 0.1.0 */
export interface DescribeContractOptions extends ContractSuiteOptions {
  /** Name of the describe block. Default: `contract: <manifest or plugin>`. */
  readonly name?: string;
  /** Time limit of the suite run (the block's `beforeAll`), ms. @default 60000 */
  readonly timeoutMs?: number;
}

/**
 * A describe block with one test per check: the suite runs once (in
 * `beforeAll`), each check is its own test, and a skipped check is a skipped
 * test with its reason as the note.
 *
 * ```ts
 * describeContract({ manifest: 'plugins/fixed-chunker', samples });
 * ```
 * @since 0.1.0
 */
export function describeContract(options: DescribeContractOptions): void {
  const { name, timeoutMs = 60_000, ...suite } = options;
  const title =
    name ?? `contract: ${typeof suite.manifest === 'string' ? suite.manifest : 'plugin'}`;
  describe(title, () => {
    let report: ContractReport | undefined;
    beforeAll(async () => {
      report = await runContractSuite(suite);
    }, timeoutMs);
    for (const id of suite.checks ?? ALL_CHECKS) {
      it(id, (context) => {
        const result = report?.check(id);
        if (result === undefined) throw new Error('the contract suite did not run');
        if (result.status === 'skipped') {
          context.skip(result.reason);
          return;
        }
        expect(
          result.failures.map((f) => `${f.errorClass} at ${f.location ?? '?'}: ${f.message}`),
          `${id}: ${result.title} [${result.invariant}]`,
        ).toEqual([]);
      });
    }
  });
}
