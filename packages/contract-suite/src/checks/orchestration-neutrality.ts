/**
 * The `orchestration-neutrality` check (ADR-0003 §1 contract test): the
 * samples give equal results in this process (run `a`), in a worker thread
 * and in a forked child process.
 *
 * Owns: the three-host comparison and its wording. It writes only to its own
 * recorder; it runs the plugin only through the worker and forked hosts, and
 * may not touch the in-process runs (it reads run `a`) or other checks.
 */

import { AmbientStateViolation, type Logger } from '@dagstack/plugin-api';
import { pluginFrames } from '../../host/probes.mjs';
import { outcomeOf, type SamplesRun } from '../../host/session.mjs';
import type { InProcessRun, Target } from '../context.js';
import { compareOutcomes, errorText, noSamples, sampleLabel } from '../findings.js';
import { HostFailure, hostRequest, inChild, inWorker } from '../hosts.js';
import type { CheckRecorder } from '../report.js';

/** Run the samples in a worker thread and a forked process, and compare with run `a`. */
export async function checkNeutrality(
  rec: CheckRecorder,
  target: Target,
  a: InProcessRun,
  logger: Logger,
): Promise<void> {
  if (target.entry === undefined) {
    rec.skip(
      'a plugin object was given: the worker and forked hosts need an entry point to import',
    );
    return;
  }
  if (target.samples.length === 0) {
    rec.skip(noSamples(target, 'nothing to compare across hosts'));
    return;
  }
  const hostOptions = { logger, timeoutMs: target.options.timeouts?.forkMs ?? 30_000 };
  const request = hostRequest(target, 'run');
  const hosts = await Promise.allSettled([
    inWorker<SamplesRun>(request, hostOptions),
    inChild<SamplesRun>(request, hostOptions),
  ]);
  const local: SamplesRun = { setup: outcomeOf(a.setup), outcomes: a.outcomes };
  (['worker thread', 'forked process'] as const).forEach((host, h) => {
    const settled = hosts[h] as PromiseSettledResult<SamplesRun>;
    if (settled.status === 'rejected') {
      const reason = settled.reason;
      const remote = reason instanceof HostFailure ? reason.remote : undefined;
      const text = `the plugin could not run in a ${host}: ${remote === undefined ? errorText(reason) : `${remote.name}: ${remote.message}`}`;
      rec.fail(new AmbientStateViolation({ ...target.where, violations: [text] }), {
        location: pluginFrames(remote?.stack, target.pluginDir)[0] ?? host,
        message: text,
      });
      return;
    }
    const other = settled.value;
    const setupDiff = compareOutcomes(local.setup, other.setup);
    if (setupDiff !== undefined) {
      const text = `setup() gave ${setupDiff.left} in-process and ${setupDiff.right} in a ${host}`;
      rec.fail(new AmbientStateViolation({ ...target.where, violations: [text] }), {
        hook: 'setup',
        location: `setup (${host})`,
        message: text,
      });
      return;
    }
    target.samples.forEach((sample, i) => {
      const diff = compareOutcomes(local.outcomes[i], other.outcomes[i]);
      if (diff === undefined) return;
      const text = `${sampleLabel(i, sample)}: in-process gave ${diff.left}, a ${host} gave ${diff.right} at ${diff.pointer || '(root)'}`;
      rec.fail(new AmbientStateViolation({ ...target.where, violations: [text] }), {
        hook: sample.hook,
        sample: i,
        location: `${sampleLabel(i, sample)} output ${diff.pointer || '(root)'} (${host})`,
        message: text,
      });
    });
  });
  rec.note(
    'hosts: this process, a worker thread, a forked child process (its cwd and TMPDIR a fresh temp folder)',
  );
}
