/**
 * The `resources` check (ADR-0003 §3): lookups of undeclared resources,
 * required resources the suite cannot provide, and, for `input_hash` plugins,
 * the same result with the test doubles (run `a`) as with the production
 * resources (run `d`).
 *
 * Owns: the resource verdicts. It reads the manifest and the in-process runs
 * only; it writes only to its own recorder and may not run the plugin.
 */

import { DeterminismError, STANDARD_RESOURCE_NAMES } from '@dagstack/plugin-api';
import { ResourceError, UndeclaredResource } from '@dagstack/plugin-resources';
import { callerInPlugin, pluginFrames } from '../../host/probes.mjs';
import type { InProcessRuns, Target } from '../context.js';
import { compareOutcomes, sampleLabel } from '../findings.js';
import type { CheckRecorder } from '../report.js';

/** Report undeclared lookups, unprovidable requirements and doubles-vs-production differences. */
export function checkResources(
  rec: CheckRecorder | undefined,
  target: Target,
  runs: Pick<InProcessRuns, 'a' | 'd'>,
  idempotent: boolean,
): void {
  if (rec === undefined) return;
  const { manifest } = target;
  const declared = [...manifest.resources.required, ...manifest.resources.optional];
  const seen = new Set<string>();
  for (const u of runs.a.undeclared) {
    if (seen.has(u.name)) continue;
    seen.add(u.name);
    const location =
      callerInPlugin(u.stack, target.pluginDir) ?? pluginFrames(u.stack, target.pluginDir)[0];
    rec.fail(new UndeclaredResource({ ...target.where, name: u.name, declared }), {
      location: location ?? `${manifest.source}#/resources`,
    });
  }
  const provided = new Set<string>([
    ...STANDARD_RESOURCE_NAMES,
    ...Object.keys(target.options.resources ?? {}),
  ]);
  for (const name of manifest.resources.required) {
    if (provided.has(name)) continue;
    rec.fail(
      new ResourceError(`requires resource "${name}", which the contract suite cannot provide`, {
        ...target.where,
        resource: name,
        hint: `pass runContractSuite({ resources: { ${name}: ... } }) with a test double`,
      }),
      { location: `${manifest.source}#/resources/required` },
    );
  }
  rec.note(
    `ran against the test doubles (FrozenClock, SeededRng, in-memory blob/checkpoint stores, offline http_client, empty tmpdir); declared: ${declared.join(', ') || 'none'}`,
  );
  if (!idempotent || runs.d === undefined) {
    rec.note(
      `doubles-vs-production comparison not applicable (idempotency_mode "${manifest.unit_of_work.idempotency_mode}", not input_hash)`,
    );
    return;
  }
  const d = runs.d;
  target.samples.forEach((sample, i) => {
    const diff = compareOutcomes(runs.a.outcomes[i], d.outcomes[i]);
    if (diff === undefined) return;
    rec.fail(new DeterminismError({ ...target.where, hook: sample.hook, pointer: diff.pointer }), {
      hook: sample.hook,
      sample: i,
      location: `${sampleLabel(i, sample)} output ${diff.pointer || '(root)'}`,
      message: `an input_hash plugin gave ${diff.left} with the test doubles and ${diff.right} with the production resources at ${diff.pointer || '(root)'}`,
    });
  });
}
