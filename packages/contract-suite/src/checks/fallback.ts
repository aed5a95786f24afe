/**
 * The `fallback` check (ADR-0002 §Contract test for the fallback): a
 * capability fallback (`fallback = true`, or `fallback: 'always'`) never
 * throws, hangs or returns non-JSON on the edge-case dataset derived from the
 * sample inputs — in a forked child with a per-case time limit, or in this
 * process for a plugin object.
 *
 * Owns: when the check applies, the edge-case run's result shape
 * (`FallbackResult`) and the verdicts. It writes only to its own recorder; it
 * runs the plugin only through the forked host or its own in-process run, and
 * may not touch the in-process runs or other checks.
 */

import {
  HookTimeout,
  type Logger,
  PluginInvocationError,
  SerializationError,
} from '@dagstack/plugin-api';
import { findJsonIssues } from '../../host/json.mjs';
import { edgeCases, pluginFrames } from '../../host/probes.mjs';
import { describeError, type ErrorInfo } from '../../host/session.mjs';
import type { Target } from '../context.js';
import { errorText, noSamples, sampleLabel } from '../findings.js';
import { HostFailure, hostRequest, inChild } from '../hosts.js';
import { openSession } from '../instance.js';
import type { CheckRecorder } from '../report.js';

/** One edge case's result. */
interface FallbackResult {
  sample: number;
  hook: string;
  label: string;
  pointer: string;
  threw?: ErrorInfo;
  malformed?: { pointer: string; type: string; problem: string }[];
}

/** Run the edge-case dataset, or skip when the plugin is no fallback or there are no samples. */
export async function checkFallback(
  rec: CheckRecorder,
  target: Target,
  logger: Logger,
): Promise<void> {
  if (!(target.manifest.fallback || target.options.fallback === 'always')) {
    rec.skip('not a capability fallback (fallback = false); pass fallback: "always" to run it');
    return;
  }
  if (target.samples.length === 0) {
    rec.skip(noSamples(target, 'the edge cases are derived from sample inputs'));
    return;
  }
  let answer: { setupError?: ErrorInfo; results: FallbackResult[] };
  if (target.entry === undefined) {
    answer = await fallbackInProcess(target);
    rec.note('plugin object given: edge cases ran in this process, without a per-case time limit');
  } else {
    try {
      answer = await inChild(hostRequest(target, 'fallback'), {
        logger,
        timeoutMs: target.options.timeouts?.forkMs ?? 60_000,
        progressTimeoutMs: target.options.timeouts?.fallbackCaseMs ?? 10_000,
      });
    } catch (error) {
      const progress = (error instanceof HostFailure ? error.lastProgress : undefined) as
        | { sample: number; label: string; pointer: string }
        | undefined;
      const sample = progress === undefined ? undefined : target.samples[progress.sample];
      const hook = sample?.hook ?? target.samples[0]?.hook ?? 'unknown';
      const where =
        progress === undefined
          ? 'forked host'
          : `${sampleLabel(progress.sample, sample)} case "${progress.label}" at input ${progress.pointer || '(root)'}`;
      const failure =
        error instanceof HostFailure && error.kind === 'timeout'
          ? new HookTimeout({
              ...target.where,
              hook,
              timeoutMs: target.options.timeouts?.fallbackCaseMs ?? 10_000,
            })
          : new PluginInvocationError(errorText(error), { ...target.where, hook, cause: error });
      rec.fail(failure, {
        hook,
        ...(progress === undefined ? {} : { sample: progress.sample }),
        location: where,
        message: `${where}: ${error instanceof HostFailure && error.kind === 'timeout' ? 'did not return (hung); the remaining cases did not run' : errorText(error)}`,
      });
      return;
    }
  }
  if (answer.setupError !== undefined) {
    rec.fail(
      new PluginInvocationError(answer.setupError.message, { ...target.where, hook: 'setup' }),
      { hook: 'setup', location: pluginFrames(answer.setupError.stack, target.pluginDir)[0] },
    );
    return;
  }
  for (const r of answer.results) {
    const where = `${sampleLabel(r.sample, target.samples[r.sample])} case "${r.label}" at input ${r.pointer || '(root)'}`;
    if (r.threw !== undefined) {
      const frame = pluginFrames(r.threw.stack, target.pluginDir)[0];
      rec.fail(
        new PluginInvocationError(r.threw.message, {
          ...target.where,
          hook: r.hook,
          remoteName: r.threw.name,
        }),
        {
          hook: r.hook,
          sample: r.sample,
          location: frame === undefined ? where : `${where}, thrown at ${frame}`,
          message: `${where}: threw ${r.threw.name}: ${r.threw.message}`,
        },
      );
    }
    for (const m of r.malformed ?? []) {
      rec.fail(
        new SerializationError(`${m.type}: ${m.problem}`, {
          ...target.where,
          pointer: m.pointer,
          hook: r.hook,
        }),
        {
          hook: r.hook,
          sample: r.sample,
          location: `${where}, output ${m.pointer || '(root)'}`,
          message: `${where}: output ${m.pointer || '(root)'} is not well-formed: ${m.type}: ${m.problem}`,
        },
      );
    }
  }
  const labels = [...new Set(answer.results.map((r) => r.label))];
  rec.note(`${answer.results.length} edge cases: ${labels.join(', ')}`);
}

/** The edge cases in this process, for a plugin given as an object. */
async function fallbackInProcess(
  target: Target,
): Promise<{ setupError?: ErrorInfo; results: FallbackResult[] }> {
  const session = await openSession(target, undefined);
  const results: FallbackResult[] = [];
  try {
    const setup = await session.setup();
    if (!setup.ok) return { setupError: describeError(setup.error), results };
    for (const [index, sample] of target.samples.entries()) {
      for (const c of edgeCases(sample.input)) {
        const settled = await session.invoke(sample.hook, c.input, sample.metadata);
        const base = { sample: index, hook: sample.hook, label: c.label, pointer: c.pointer };
        if (!settled.ok) results.push({ ...base, threw: describeError(settled.error) });
        else if (settled.value === undefined) {
          results.push({
            ...base,
            malformed: [{ pointer: '', type: 'undefined', problem: 'returned nothing' }],
          });
        } else {
          const issues = findJsonIssues(settled.value, 3);
          results.push(issues.length === 0 ? base : { ...base, malformed: issues });
        }
      }
    }
    await session.teardown();
    return { results };
  } finally {
    await session.close();
  }
}
