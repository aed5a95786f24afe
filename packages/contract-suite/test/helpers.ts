// Shared bits of the contract suite's own tests.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckId, ContractFailure, ContractReport } from '../src/index.js';

export const FIXTURES: string = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const EXAMPLES: string = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../examples/plugins',
);

/** Folder of a fixture plugin. */
export const fixture = (name: string): string => join(FIXTURES, name);

/** `plugin.js:<line>:` of the first line of a fixture's plugin.js containing `needle`. */
export function lineOf(name: string, needle: string, file = 'plugin.js'): string {
  const lines = readFileSync(join(FIXTURES, name, file), 'utf8').split('\n');
  const index = lines.findIndex((l) => l.includes(needle));
  if (index === -1) throw new Error(`"${needle}" not in ${name}/${file}`);
  return `${file}:${index + 1}:`;
}

/** The failures of one check, as `[errorClass, location]` pairs. */
export function failuresOf(report: ContractReport, id: CheckId): ContractFailure[] {
  const result = report.check(id);
  if (result === undefined) throw new Error(`check ${id} did not run`);
  return [...result.failures];
}

/** Status of every check, for a one-line assertion. */
export function statuses(report: ContractReport): Record<string, string> {
  return Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
}
