/**
 * The `determinism` check (ADR-0003 §8): for `output_hash` plugins (or
 * `determinism: 'always'`), ambient clock and randomness calls the recorders
 * saw, and two fresh runs with `FrozenClock` + `SeededRng` compared bit for
 * bit.
 *
 * Owns: the determinism verdicts. It reads the in-process runs `a` and `c`
 * and the recorded events only; it writes only to its own recorder and may not
 * run the plugin.
 */

import { DeterminismError } from '@dagstack/plugin-api';
import type { AmbientRecord, InProcessRuns, Target } from '../context.js';
import { compareOutcomes, sampleLabel } from '../findings.js';
import type { CheckRecorder } from '../report.js';

/** Report ambient time/randomness and differences between runs `a` and `c`; skip when not `active`. */
export function checkDeterminism(
  rec: CheckRecorder | undefined,
  target: Target,
  runs: Pick<InProcessRuns, 'a' | 'c'>,
  active: boolean,
  events: AmbientRecord['events'],
): void {
  if (rec === undefined) return;
  if (!active) {
    rec.skip(
      `idempotency_mode is "${target.manifest.unit_of_work.idempotency_mode}", not output_hash; pass determinism: "always" to check anyway`,
    );
    return;
  }
  for (const e of events) {
    if (e.kind !== 'time' && e.kind !== 'random') continue;
    const hook = e.hook ?? e.phase;
    const instead = e.kind === 'time' ? "ctx.resources.get('clock')" : "ctx.resources.get('rng')";
    rec.fail(new DeterminismError({ ...target.where, hook, pointer: '' }), {
      hook,
      location: e.location,
      message: `${e.detail} called at ${e.location} (during ${e.phase}): ambient ${e.kind === 'time' ? 'time' : 'randomness'}; use ${instead}`,
    });
  }
  target.samples.forEach((sample, i) => {
    const diff = compareOutcomes(runs.a.outcomes[i], runs.c.outcomes[i]);
    if (diff === undefined) return;
    rec.fail(new DeterminismError({ ...target.where, hook: sample.hook, pointer: diff.pointer }), {
      hook: sample.hook,
      sample: i,
      location: `${sampleLabel(i, sample)} output ${diff.pointer || '(root)'}`,
      message: `two runs with the same FrozenClock and SeededRng differ at ${diff.pointer || '(root)'}: ${diff.left} vs ${diff.right}`,
    });
  });
  if (target.samples.length === 0) rec.note('no samples: only ambient clock/rng use was watched');
}
