/**
 * The checks that run the plugin, in order: the in-process runs under the
 * ambient-state recorders, then the checks that read them (ambient state,
 * resources, serializable, determinism, sample results), then the forked
 * hosts, once each per suite (lifecycle, orchestration neutrality, fallback),
 * side by side — all inside the cleanup of this process.
 *
 * Owns: that sequence, installing and restoring the recorders around the
 * in-process runs, and which checks are skipped when the plugin cannot load
 * or its setup() fails. The verdicts belong to `checks/*`; it may not word or
 * locate a failure itself.
 */

import type { Logger } from '@dagstack/plugin-api';
import { checkAmbient } from './checks/ambient-state.js';
import { checkDeterminism } from './checks/determinism.js';
import { checkFallback } from './checks/fallback.js';
import {
  checkLifecycle,
  checkSamples,
  reportLoadFailure,
  reportSetupFailure,
} from './checks/lifecycle.js';
import { checkNeutrality } from './checks/orchestration-neutrality.js';
import { checkResources } from './checks/resources.js';
import { checkSerializable } from './checks/serializable.js';
import { CHECKS } from './checks.js';
import type { AmbientRecord, InProcessRuns, RecorderLookup, Target } from './context.js';
import { runInstrumented } from './in-process.js';
import { instrument } from './instrument.js';
import { withProcessCleanup } from './process-cleanup.js';

/**
 * Run every selected check that runs the plugin. Child processes and timers
 * the plugin leaves in this process are killed and cleared afterwards.
 */
export async function runPluginChecks(
  target: Target,
  rec: RecorderLookup,
  logger: Logger,
): Promise<void> {
  await withProcessCleanup(target.pluginDir, rec(CHECKS.lifecycle), () =>
    pluginChecks(target, rec, logger),
  );
}

async function pluginChecks(target: Target, rec: RecorderLookup, logger: Logger): Promise<void> {
  const { manifest, options } = target;
  const determinismActive =
    options.determinism === 'always' || manifest.unit_of_work.idempotency_mode === 'output_hash';
  const idempotent = manifest.unit_of_work.idempotency_mode === 'input_hash';
  const needInProcess = [
    CHECKS.ambientState,
    CHECKS.serializable,
    CHECKS.determinism,
    CHECKS.resources,
    CHECKS.lifecycle,
    CHECKS.orchestrationNeutrality,
  ].some((id) => rec(id) !== undefined);

  let runs: InProcessRuns | undefined;
  let ambient: AmbientRecord | undefined;
  if (needInProcess) {
    const recorder = instrument({
      pluginDir: target.pluginDir,
      allowedPaths: target.options.allowedPaths ?? [],
    });
    try {
      ({ runs, ambient } = await runInstrumented(
        target,
        recorder,
        idempotent && rec(CHECKS.resources) !== undefined,
      ));
    } catch (error) {
      // Importing or instantiating failed: the plugin cannot run at all.
      for (const id of [
        CHECKS.ambientState,
        CHECKS.serializable,
        CHECKS.determinism,
        CHECKS.resources,
      ]) {
        rec(id)?.skip('the plugin could not be loaded (see lifecycle)');
      }
      reportLoadFailure(rec(CHECKS.lifecycle), target, error);
      rec(CHECKS.orchestrationNeutrality)?.skip('the plugin could not be loaded');
      rec(CHECKS.fallback)?.skip('the plugin could not be loaded');
      return;
    } finally {
      recorder.restore();
    }
  }

  const setupFailed = runs !== undefined && !runs.a.setup.ok;
  if (runs !== undefined && setupFailed) {
    const error = (runs.a.setup as { error: unknown }).error;
    for (const id of [
      CHECKS.serializable,
      CHECKS.determinism,
      CHECKS.orchestrationNeutrality,
      CHECKS.fallback,
    ]) {
      rec(id)?.skip('setup() failed (see lifecycle)');
    }
    reportSetupFailure(rec(CHECKS.lifecycle), target, error);
  }

  if (runs !== undefined && ambient !== undefined) {
    checkAmbient(rec(CHECKS.ambientState), target, runs, ambient);
    checkResources(rec(CHECKS.resources), target, runs, idempotent);
    if (!setupFailed) {
      checkSerializable(rec(CHECKS.serializable), target, runs.a);
      checkDeterminism(rec(CHECKS.determinism), target, runs, determinismActive, ambient.events);
      checkSamples(rec(CHECKS.lifecycle), target, runs.a);
    }
  }

  // --- forked hosts: once each per suite --------------------------------------------
  const forked: Promise<void>[] = [];
  const lifecycleRec = rec(CHECKS.lifecycle);
  if (lifecycleRec !== undefined && !setupFailed) {
    forked.push(checkLifecycle(lifecycleRec, target, logger));
  }
  const neutralRec = rec(CHECKS.orchestrationNeutrality);
  if (neutralRec !== undefined && !setupFailed && runs !== undefined) {
    forked.push(checkNeutrality(neutralRec, target, runs.a, logger));
  }
  const fallbackRec = rec(CHECKS.fallback);
  if (fallbackRec !== undefined && !setupFailed) {
    forked.push(checkFallback(fallbackRec, target, logger));
  }
  await Promise.all(forked);
}
