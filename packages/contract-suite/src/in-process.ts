/**
 * The in-process runs: setup -> samples -> teardown through fresh instances in
 * this process, under the ambient-state recorders (`instrument.ts`), whose
 * phase and hook it keeps current.
 *
 * Owns: the order of the runs and of the imports (`a`, `b` on one module,
 * `c` and `d` on fresh imports) and the trapping of the globals seen after
 * `a`. It may not install or restore the recorders (its caller does, around
 * it), judge the runs or record results.
 */

import { listTree } from '../host/probes.mjs';
import { importEntry, outcomeOf, type Settled } from '../host/session.mjs';
import type { AmbientRecord, InProcessRun, InProcessRuns, Target } from './context.js';
import { openSession } from './instance.js';
import type { Instrumentation } from './instrument.js';

/** One run of the samples through a fresh instance; `defaults` selects the production resources. */
async function runInProcess(
  target: Target,
  namespace: Record<string, unknown> | undefined,
  recorder: Instrumentation,
  defaults: boolean,
): Promise<InProcessRun> {
  recorder.phase = 'import';
  const session = await openSession(target, namespace, {
    ...(target.options.logger === undefined ? {} : { logger: target.options.logger }),
    ...(target.options.resources === undefined ? {} : { extraResources: target.options.resources }),
    defaults,
  });
  recorder.allow(session.tmpdir);
  try {
    recorder.phase = 'setup';
    recorder.hook = 'setup';
    const setup = await session.setup();
    const results: Settled[] = [];
    let teardown: Settled | undefined;
    if (setup.ok) {
      recorder.phase = 'hooks';
      for (const sample of target.samples) {
        recorder.hook = sample.hook;
        results.push(await session.invoke(sample.hook, sample.input, sample.metadata));
      }
      recorder.phase = 'teardown';
      recorder.hook = 'teardown';
      teardown = await session.teardown();
    }
    recorder.phase = 'idle';
    recorder.hook = undefined;
    return {
      setup,
      results,
      teardown,
      outcomes: results.map(outcomeOf),
      undeclared: session.undeclared,
      tmpdirEntries: listTree(session.tmpdir),
    };
  } finally {
    recorder.phase = 'idle';
    await session.close();
  }
}

/**
 * Run the samples in process: `a`, then `b` (a second instance of the same
 * module, with the globals `a` left trapped), `c` (a fresh import) and, when
 * `productionRun`, `d` (a fresh import with the production resources).
 * Throws when importing or instantiating the plugin fails.
 */
export async function runInstrumented(
  target: Target,
  recorder: Instrumentation,
  productionRun: boolean,
): Promise<{ runs: InProcessRuns; ambient: AmbientRecord }> {
  recorder.phase = 'import';
  const m1 = target.entry === undefined ? undefined : await importEntry(target.entry.file, 'a');
  const a = await runInProcess(target, m1, recorder, false);
  const globals = recorder.globalChanges();
  recorder.trapGlobals(globals.filter((g) => g.change !== 'deleted').map((g) => g.key));
  const b = await runInProcess(target, m1, recorder, false);
  recorder.phase = 'import';
  const m2 = target.entry === undefined ? undefined : await importEntry(target.entry.file, 'c');
  const c = await runInProcess(target, m2, recorder, false);
  let d: InProcessRun | undefined;
  if (productionRun) {
    recorder.phase = 'import';
    const m3 = target.entry === undefined ? undefined : await importEntry(target.entry.file, 'd');
    d = await runInProcess(target, m3, recorder, true);
  }
  return { runs: { a, b, c, d }, ambient: { events: [...recorder.events], globals } };
}
