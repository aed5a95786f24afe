import type { PluginRegistryError } from '@dagstack/plugin-api';
import { CHECK_INFO, type CheckId } from './checks.js';
import type { CheckResult, ContractFailure, ContractReport } from './types.js';

/** Collects the failures and notes of one check while it runs. */
export class CheckRecorder {
  readonly id: CheckId;
  readonly failures: ContractFailure[] = [];
  readonly notes: string[] = [];
  readonly #started = performance.now();
  #skipped: string | undefined;

  constructor(id: CheckId) {
    this.id = id;
  }

  /** Record a violation. */
  fail(
    error: PluginRegistryError,
    where: {
      hook?: string | undefined;
      sample?: number | undefined;
      location?: string | undefined;
      /** A more precise sentence than the error's own message. */
      message?: string | undefined;
    } = {},
  ): void {
    this.failures.push({
      check: this.id,
      errorClass: error.name,
      code: error.code,
      message: where.message ?? error.message,
      ...(where.hook === undefined ? {} : { hook: where.hook }),
      ...(where.sample === undefined ? {} : { sample: where.sample }),
      ...(where.location === undefined ? {} : { location: where.location }),
      error,
    });
  }

  note(text: string): void {
    this.notes.push(text);
  }

  skip(reason: string): void {
    this.#skipped = reason;
  }

  result(): CheckResult {
    const info = CHECK_INFO[this.id];
    const status =
      this.failures.length > 0 ? 'fail' : this.#skipped === undefined ? 'pass' : 'skipped';
    return {
      id: this.id,
      title: info.title,
      invariant: info.invariant,
      status,
      ...(status === 'skipped' ? { reason: this.#skipped } : {}),
      failures: this.failures,
      notes: this.notes,
      durationMs: Math.round(performance.now() - this.#started),
    };
  }
}

function formatFailure(f: ContractFailure): string {
  const where = [
    f.hook === undefined ? undefined : `hook ${f.hook}`,
    f.sample === undefined ? undefined : `sample #${f.sample}`,
    f.location === undefined ? undefined : `at ${f.location}`,
  ]
    .filter((s) => s !== undefined)
    .join(', ');
  return `  - ${f.errorClass}${where === '' ? '' : ` (${where})`}: ${f.message}`;
}

/** Build the report object from the checks' results. */
export function buildReport(options: {
  plugin: string | undefined;
  source: string | undefined;
  checks: readonly CheckResult[];
  durationMs: number;
}): ContractReport {
  const checks = Object.freeze([...options.checks]);
  const failures = Object.freeze(checks.flatMap((c) => c.failures));
  const name = options.plugin === undefined ? 'plugin' : `plugin "${options.plugin}"`;
  const header = (c: CheckResult): string =>
    `${c.status.toUpperCase().padEnd(7)} ${c.id} — ${c.title} [${c.invariant}]${c.reason === undefined ? '' : `: ${c.reason}`}`;
  return Object.freeze({
    ok: failures.length === 0,
    plugin: options.plugin,
    source: options.source,
    checks,
    failures,
    durationMs: options.durationMs,
    check: (id: CheckId) => checks.find((c) => c.id === id),
    formatFailures(): string {
      const failed = checks.filter((c) => c.status === 'fail');
      if (failed.length === 0) return `contract suite: ${name} passes every check it ran`;
      const lines = [
        `contract suite: ${name} (${options.source ?? 'no manifest'}) fails ${failed.length} of ${checks.length} checks`,
      ];
      for (const c of failed) {
        lines.push(header(c));
        for (const f of c.failures) lines.push(formatFailure(f));
      }
      const skipped = checks.filter((c) => c.status === 'skipped');
      if (skipped.length > 0) {
        lines.push(`skipped: ${skipped.map((c) => `${c.id} (${c.reason})`).join('; ')}`);
      }
      return lines.join('\n');
    },
    format(): string {
      const lines = [`contract suite: ${name} (${options.source ?? 'no manifest'})`];
      for (const c of checks) {
        lines.push(header(c));
        for (const f of c.failures) lines.push(formatFailure(f));
        for (const n of c.notes) lines.push(`  · ${n}`);
      }
      lines.push(`${failures.length === 0 ? 'ok' : 'FAILED'} in ${options.durationMs} ms`);
      return lines.join('\n');
    },
  });
}
