/**
 * The `lifecycle` check (ADR-0001 §Leak detection; ADR-0003 §3): the plugin
 * loads, setup/samples/teardown do not throw, samples give their `expected`
 * output, and nothing outlives teardown — measured once per suite in a forked
 * child with `--expose-gc` (or in this process for a plugin object).
 *
 * Owns: the lifecycle verdicts and the leak probe's answer shape
 * (`LifecycleAnswer`). It writes only to its own recorder; it runs the plugin
 * only through the forked host or its own in-process leak probe, and may not
 * touch the in-process runs' recorders or other checks.
 */

import {
  LeakDetected,
  type Logger,
  PluginInvocationError,
  PluginLoadError,
} from '@dagstack/plugin-api';
import {
  diffSnapshots,
  type Leak,
  listTree,
  settle,
  snapshot,
  trackAsyncResources,
} from '../../host/probes.mjs';
import { describeError, type ErrorInfo, outcomeOf } from '../../host/session.mjs';
import type { InProcessRun, Target } from '../context.js';
import { UnexpectedOutput } from '../errors.js';
import { compareOutcomes, errorText, locate, sampleLabel } from '../findings.js';
import { hostRequest, inChild } from '../hosts.js';
import { openSession } from '../instance.js';
import type { CheckRecorder } from '../report.js';

/** What the leak probe answers, in a forked host or in this process. */
interface LifecycleAnswer {
  leaks: Leak[];
  collect: { status: 'collected' | 'retained' | 'skipped'; reason?: string };
  setupError?: ErrorInfo;
  teardownError?: ErrorInfo;
  fdsSupported: boolean;
  childrenSupported: boolean;
}

/** Importing or instantiating the plugin failed: it cannot run at all. */
export function reportLoadFailure(
  rec: CheckRecorder | undefined,
  target: Target,
  error: unknown,
): void {
  const failure = new PluginLoadError(`loading the plugin failed: ${errorText(error)}`, {
    ...target.where,
    cause: error,
  });
  rec?.fail(failure, { location: locate(error, target) });
}

/** `setup()` threw in the primary in-process run. */
export function reportSetupFailure(
  rec: CheckRecorder | undefined,
  target: Target,
  error: unknown,
): void {
  rec?.fail(
    new PluginInvocationError(errorText(error), { ...target.where, hook: 'setup', cause: error }),
    { hook: 'setup', location: locate(error, target) },
  );
}

/** Sample errors and `expected` mismatches of the primary run. */
export function checkSamples(
  rec: CheckRecorder | undefined,
  target: Target,
  a: InProcessRun,
): void {
  if (rec === undefined) return;
  target.samples.forEach((sample, i) => {
    const result = a.results[i];
    if (result === undefined) return;
    if (!result.ok) {
      const info = describeError(result.error);
      rec.fail(
        new PluginInvocationError(info.message, {
          ...target.where,
          hook: sample.hook,
          remoteName: info.name,
          cause: result.error,
        }),
        {
          hook: sample.hook,
          sample: i,
          location: locate(result.error, target) ?? sampleLabel(i, sample),
        },
      );
      return;
    }
    if (!('expected' in sample)) return;
    const outcome = outcomeOf(result);
    const diff = compareOutcomes(
      { ok: true, json: JSON.stringify(sample.expected), unserializable: false },
      outcome,
    );
    if (diff === undefined) return;
    rec.fail(
      new UnexpectedOutput({
        ...target.where,
        hook: sample.hook,
        pointer: diff.pointer,
        expected: diff.left,
        actual: diff.right,
      }),
      {
        hook: sample.hook,
        sample: i,
        location: `${sampleLabel(i, sample)} output ${diff.pointer || '(root)'}`,
      },
    );
  });
  if (a.teardown !== undefined && !a.teardown.ok) {
    const error = a.teardown.error;
    rec.fail(
      new PluginInvocationError(errorText(error), {
        ...target.where,
        hook: 'teardown',
        cause: error,
      }),
      { hook: 'teardown', location: locate(error, target) },
    );
  }
}

/** The leak probe: in a forked child for an entry point, in this process for a plugin object. */
export async function checkLifecycle(
  rec: CheckRecorder,
  target: Target,
  logger: Logger,
): Promise<void> {
  let answer: LifecycleAnswer;
  if (target.entry === undefined) {
    answer = await lifecycleInProcess(target);
    rec.note(
      'plugin object given: leaks measured in this process; the collectable-instance probe needs an entry point',
    );
  } else {
    try {
      answer = await inChild<LifecycleAnswer>(hostRequest(target, 'lifecycle'), {
        logger,
        timeoutMs: target.options.timeouts?.forkMs ?? 30_000,
        execArgv: ['--expose-gc'],
      });
    } catch (error) {
      rec.fail(
        new LeakDetected({
          ...target.where,
          leaks: [`the lifecycle did not finish in a child process: ${errorText(error)}`],
        }),
        { location: 'forked host' },
      );
      return;
    }
  }
  for (const leak of answer.leaks) {
    rec.fail(new LeakDetected({ ...target.where, leaks: [`${leak.what} (${leak.detail})`] }), {
      location: leak.location,
      message: `${leak.what} after teardown at ${leak.location}: ${leak.detail}`,
    });
  }
  if (answer.collect.status === 'retained') {
    rec.fail(new LeakDetected({ ...target.where, leaks: ['plugin instance not collectable'] }), {
      location: `${target.entry?.file ?? 'plugin'}${target.entry?.exportName === undefined ? '' : `#${target.entry.exportName}`}`,
      message: answer.collect.reason ?? 'the plugin instance is not collectable',
    });
  } else if (answer.collect.status === 'skipped') {
    rec.note(`instance collectability not checked: ${answer.collect.reason}`);
  } else {
    rec.note('instance collected after teardown (WeakRef + FinalizationRegistry, --expose-gc)');
  }
  if (!answer.fdsSupported)
    rec.note('open file descriptors not checked: no /proc/self/fd on this platform');
  if (!answer.childrenSupported) rec.note('child processes not checked: no /proc on this platform');
  if (answer.teardownError !== undefined && target.entry !== undefined) {
    rec.note(`teardown() threw in the forked host: ${answer.teardownError.message}`);
  }
}

/** The leak probe in this process, for a plugin given as an object. */
async function lifecycleInProcess(target: Target): Promise<LifecycleAnswer> {
  const before = snapshot();
  const tracker = trackAsyncResources();
  let tmpdirEntries: string[] = [];
  let after: ReturnType<typeof snapshot> | undefined;
  try {
    const session = await openSession(target, undefined);
    try {
      if ((await session.setup()).ok) {
        for (const s of target.samples) await session.invoke(s.hook, s.input, s.metadata);
        await session.teardown();
      }
      await settle();
      after = snapshot();
      tmpdirEntries = listTree(session.tmpdir);
    } finally {
      await session.close();
    }
  } finally {
    tracker.stop();
  }
  return {
    leaks: diffSnapshots({
      before,
      after: after ?? snapshot(),
      tracked: tracker.live,
      pluginDir: target.pluginDir,
      tmpdirEntries,
    }),
    collect: { status: 'skipped', reason: 'a plugin object was given, not an entry point to fork' },
    fdsSupported: before.fds !== undefined,
    childrenSupported: before.children !== undefined,
  };
}
