/**
 * `runContractSuite`: options -> context -> the selected checks in order ->
 * report. The manifest checks come first, then the checks that run the plugin
 * (in process under the ambient-state recorders, then the forked hosts, once
 * each per suite, not per sample; see `plugin-run.ts`), then the stdio
 * session.
 *
 * Owns: the recorders of the selected checks, the order of the phases, and
 * the skip reasons of a phase that cannot start. It may not decide or word a
 * check's verdict: that belongs to `checks/*` and `stdio.ts`.
 */

import { NOOP_LOGGER } from '@dagstack/plugin-api';
import { readManifest, resolveEntry } from './checks/manifest.js';
import { checkBand } from './checks/middleware-band.js';
import { ALL_CHECKS, CHECKS, type CheckId } from './checks.js';
import { createTarget, type RecorderLookup, type Target } from './context.js';
import { runPluginChecks } from './plugin-run.js';
import { buildReport, CheckRecorder } from './report.js';
import { checkStdioPurity } from './stdio.js';
import type { ContractReport, ContractSuiteOptions } from './types.js';

/** The checks that need the plugin running in this process (and the forked hosts). */
const IN_PROCESS_CHECKS: readonly CheckId[] = [
  CHECKS.ambientState,
  CHECKS.serializable,
  CHECKS.determinism,
  CHECKS.resources,
  CHECKS.lifecycle,
  CHECKS.orchestrationNeutrality,
  CHECKS.fallback,
];

/**
 * Check a plugin against the spec's invariants and return a structured report.
 *
 * ```ts
 * const report = await runContractSuite({ manifest: 'plugins/fixed-chunker', samples });
 * expect(report.ok, report.formatFailures()).toBe(true);
 * ```
 * @since 0.1.0
 */
export async function runContractSuite(options: ContractSuiteOptions): Promise<ContractReport> {
  const started = performance.now();
  const selected = new Set<CheckId>(options.checks ?? ALL_CHECKS);
  const recs = new Map<CheckId, CheckRecorder>();
  for (const id of ALL_CHECKS) if (selected.has(id)) recs.set(id, new CheckRecorder(id));
  const rec: RecorderLookup = (id) => recs.get(id);
  const logger = options.logger ?? NOOP_LOGGER;

  // --- the manifest -------------------------------------------------------------
  const reading = await readManifest(options, rec(CHECKS.manifest));
  const { manifest, source, dir } = reading;
  checkBand(rec(CHECKS.middlewareBand), manifest, reading.problems);
  const entry = await resolveEntry(reading, options, rec(CHECKS.manifest));
  const target: Target | undefined =
    manifest === undefined ? undefined : createTarget(manifest, dir, entry, options);

  // --- the plugin, in process and in the forked hosts ---------------------------
  const runnable =
    target !== undefined && (target.entry !== undefined || target.plugin !== undefined);
  if (!runnable) {
    const why =
      manifest === undefined
        ? 'the manifest could not be read'
        : !manifest.runtime.includes('in_process')
          ? `not an in-process plugin (runtime ${manifest.runtime.join(', ')})`
          : 'no loadable entry point (see the manifest check)';
    for (const id of IN_PROCESS_CHECKS) rec(id)?.skip(why);
  } else {
    await runPluginChecks(target, rec, logger);
  }

  // --- the stdio session ----------------------------------------------------------
  const stdioRec = rec(CHECKS.stdioPurity);
  if (stdioRec !== undefined) {
    if (manifest === undefined) stdioRec.skip('the manifest could not be read');
    else if (!manifest.runtime.includes('mcp_stdio')) stdioRec.skip('not an mcp_stdio plugin');
    else {
      await checkStdioPurity({
        manifest,
        dir: dir ?? process.cwd(),
        samples: options.samples ?? [],
        logger,
        timeoutMs: options.timeouts?.stdioMs ?? 10_000,
        rec: stdioRec,
      });
    }
  }

  return buildReport({
    plugin: manifest?.name,
    source,
    checks: [...recs.values()].map((r) => r.result()),
    durationMs: Math.round(performance.now() - started),
  });
}
