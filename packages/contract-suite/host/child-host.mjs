// Entry of the contract suite's out-of-process hosts: a worker thread
// (orchestration neutrality) or a forked child process (neutrality, the leak
// probe with --expose-gc, the fallback dataset). It answers one request and
// stays until the parent disconnects or terminates it.

import { isMainThread, parentPort } from 'node:worker_threads';
import { findJsonIssues } from './json.mjs';
import {
  childProcesses,
  diffSnapshots,
  edgeCases,
  listTree,
  settle,
  snapshot,
  trackAsyncResources,
} from './probes.mjs';
import {
  createSession,
  describeError,
  importEntry,
  instantiate,
  outcomeOf,
  runSamples,
} from './session.mjs';

// Node creates the stdio streams on first use; create them now so they are
// part of the leak probe's baseline, not counted as the plugin's.
if (isMainThread) {
  void process.stdout;
  void process.stderr;
}

const send = isMainThread ? (m) => process.send?.(m) : (m) => parentPort?.postMessage(m);

/** Log records go to the parent, which hands them to its logger. */
const logger = {};
for (const level of ['debug', 'info', 'warn', 'error']) {
  logger[level] = (msg, fields) => send({ log: level, msg: String(msg), fields: fields ?? {} });
}
logger.child = () => logger;

const sessionOptions = (request) => ({
  seed: request.seed,
  now: request.now,
  config: request.config,
  logger,
});

const ops = {
  /** Samples through one fresh instance: the neutrality host. */
  async run(request) {
    const namespace = await importEntry(request.file, 'host');
    return runSamples({
      namespace,
      exportName: request.exportName,
      manifest: request.manifest,
      samples: request.samples,
      sessionOptions: sessionOptions(request),
    });
  },

  /** setup -> samples -> teardown, then what is left, and whether the instance is collectable. */
  async lifecycle(request) {
    const before = snapshot();
    const tracker = trackAsyncResources();
    const outcomes = [];
    let setupError;
    let teardownError;
    let collect = { status: 'skipped', reason: 'run without --expose-gc' };
    let tmpdirEntries = [];
    let after;
    let session;
    try {
      const namespace = await importEntry(request.file, 'lifecycle');
      let made = await instantiate(namespace, request.exportName);
      const ref = new WeakRef(made.instance);
      let finalized = false;
      const registry = new FinalizationRegistry(() => {
        finalized = true;
      });
      registry.register(made.instance, 'plugin');
      session = createSession({
        ...sessionOptions(request),
        manifest: request.manifest,
        instance: made.instance,
      });
      const style = made.style;
      const setup = await session.setup();
      if (!setup.ok) setupError = describeError(setup.error);
      else {
        for (const sample of request.samples) {
          outcomes.push(
            outcomeOf(await session.invoke(sample.hook, sample.input, sample.metadata)),
          );
        }
      }
      const teardown = await session.teardown();
      if (!teardown.ok) teardownError = describeError(teardown.error);
      await settle();
      tracker.stop();
      after = snapshot();
      tmpdirEntries = listTree(session.tmpdir);
      // Drop every reference the host holds (the session's closures hold the
      // instance, so the tmpdir goes first), then let the collector try.
      await session.close();
      session = undefined;
      made = undefined;
      if (style === 'object') {
        collect = {
          status: 'skipped',
          reason: 'the export is a plain object, held by its module for the life of the process',
        };
      } else if (typeof globalThis.gc === 'function') {
        const gcOnce = () => /** @type {() => void} */ (globalThis.gc)();
        for (let i = 0; i < 6 && !(finalized && ref.deref() === undefined); i += 1) {
          gcOnce();
          await settle(2);
        }
        collect =
          ref.deref() === undefined
            ? { status: 'collected' }
            : {
                status: 'retained',
                reason:
                  'the plugin instance is still reachable after teardown and a full GC (a module-level reference, a pending timer or listener, or a closure held elsewhere)',
              };
      }
    } finally {
      tracker.stop();
      if (session !== undefined) await session.close();
    }
    const leaks = diffSnapshots({
      before,
      after: after ?? snapshot(),
      tracked: tracker.live,
      pluginDir: request.pluginDir,
      tmpdirEntries,
    });
    // Reap what the plugin left running, now that it has been reported.
    for (const child of childProcesses() ?? []) {
      if (!before.children?.some((c) => c.pid === child.pid)) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    return {
      leaks,
      collect,
      outcomes,
      setupError,
      teardownError,
      fdsSupported: before.fds !== undefined,
      childrenSupported: before.children !== undefined,
    };
  },

  /** Every edge case of every sample through one instance; a progress message before each. */
  async fallback(request) {
    const namespace = await importEntry(request.file, 'fallback');
    const { instance } = await instantiate(namespace, request.exportName);
    const session = createSession({
      ...sessionOptions(request),
      manifest: request.manifest,
      instance,
    });
    const results = [];
    try {
      const setup = await session.setup();
      if (!setup.ok) return { setupError: describeError(setup.error), results };
      for (const [index, sample] of request.samples.entries()) {
        for (const c of edgeCases(sample.input)) {
          send({ progress: { sample: index, label: c.label, pointer: c.pointer } });
          const settled = await session.invoke(sample.hook, c.input, sample.metadata);
          const base = { sample: index, hook: sample.hook, label: c.label, pointer: c.pointer };
          if (!settled.ok) {
            results.push({ ...base, threw: describeError(settled.error) });
          } else if (settled.value === undefined) {
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
  },
};

const handle = async (message) => {
  const { id, op } = message;
  if (op === undefined || !(op in ops)) return;
  try {
    send({ id, ok: true, value: await ops[op](message) });
  } catch (error) {
    send({ id, ok: false, error: describeError(error) });
  }
};

if (isMainThread) {
  process.on('message', handle);
  process.on('disconnect', () => process.exit(0));
} else {
  parentPort?.on('message', handle);
}
send({ ready: true });
