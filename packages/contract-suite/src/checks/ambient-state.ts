/**
 * The `ambient-state` check (ADR-0003 §1): what the recorders saw the
 * plugin's own code do (environment, working directory, file-system paths,
 * globals) and module-level state (two instances of one module that answer
 * differently while a fresh module does not).
 *
 * Owns: the wording of ambient violations (`AMBIENT_TEXT`). It reads the
 * in-process runs and the recorded events only; it writes only to its own
 * recorder and may not run the plugin or touch the recorders (`instrument.ts`).
 */

import { AmbientStateViolation } from '@dagstack/plugin-api';
import type { AmbientRecord, InProcessRuns, Target } from '../context.js';
import { compareOutcomes, sampleLabel } from '../findings.js';
import type { CheckRecorder } from '../report.js';

const AMBIENT_TEXT: Record<string, (detail: string) => string> = {
  'env-read': (d) =>
    `environment variable ${d} read outside setup(); read it in setup() and keep it`,
  'env-write': (d) => `environment variable ${d} written: process-wide state`,
  cwd: () => 'process.cwd() relied upon; take paths from ctx (resources.tmpdir, config)',
  chdir: (d) => `${d} changes the working directory of the whole process`,
  'fs-relative': (d) => `${d}: a relative path depends on the working directory`,
  'fs-outside': (d) => `${d}; use ctx.resources tmpdir or a configured path`,
  'global-write': (d) => `${d} written: a process-wide global`,
};

/** Report the ambient accesses, changed globals and module-level state. */
export function checkAmbient(
  rec: CheckRecorder | undefined,
  target: Target,
  runs: Pick<InProcessRuns, 'a' | 'b' | 'c'>,
  ambient: AmbientRecord,
): void {
  if (rec === undefined) return;
  const violation = (
    text: string,
    where: { hook?: string | undefined; sample?: number; location?: string },
  ) =>
    rec.fail(new AmbientStateViolation({ ...target.where, violations: [text] }), {
      ...where,
      message: text,
    });
  const located = new Set<string>();
  for (const e of ambient.events) {
    const text = AMBIENT_TEXT[e.kind];
    if (text === undefined) continue;
    if (e.kind === 'global-write') located.add(e.detail);
    violation(`${text(e.detail)} (during ${e.phase})`, { hook: e.hook, location: e.location });
  }
  for (const g of ambient.globals) {
    if (located.has(`globalThis.${g.key}`)) continue;
    violation(`globalThis.${g.key} ${g.change} by the plugin: a process-wide global`, {
      location: `globalThis.${g.key}`,
    });
  }
  // Module-level state: a second instance of the same module must behave like
  // the first, as long as a fresh module does (else it is plain nondeterminism).
  target.samples.forEach((sample, i) => {
    const ab = compareOutcomes(runs.a.outcomes[i], runs.b.outcomes[i]);
    const ac = compareOutcomes(runs.a.outcomes[i], runs.c.outcomes[i]);
    if (ab !== undefined && ac === undefined) {
      violation(
        `module-level state: a second instance of the same module returned ${ab.right} at ${ab.pointer || '(root)'} where the first returned ${ab.left}; keep state on the instance or in ctx.resources`,
        {
          hook: sample.hook,
          sample: i,
          location: `${sampleLabel(i, sample)} output ${ab.pointer || '(root)'}`,
        },
      );
    }
  });
  rec.note(
    'watched: process.env outside setup, process.cwd/chdir, node:fs paths, globalThis, and two instances of one module',
  );
}
