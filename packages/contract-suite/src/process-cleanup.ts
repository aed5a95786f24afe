/**
 * Cleaning this process after the plugin ran in it: the in-process and
 * worker-thread runs share it, so whatever child processes the plugin leaves
 * here are killed, and the timers it left pending are cleared, so that the
 * test process can exit. (The forked hosts kill their own process groups.)
 *
 * Owns: the before/after bookkeeping of child processes and async resources.
 * It may not judge the plugin: it only notes how many timers it cleared. It
 * never kills the suite's own host processes (`HOST_SCRIPT`).
 */

import { childProcesses, clearPluginTimers, settle, trackAsyncResources } from '../host/probes.mjs';
import { HOST_SCRIPT } from './hosts.js';
import type { CheckRecorder } from './report.js';

/** Kill the child processes of this process that were not there before, and wait until they are gone. */
async function reapChildren(before: ReadonlySet<number>): Promise<void> {
  const strays = (childProcesses() ?? []).filter(
    (c) => !before.has(c.pid) && !c.cmd.includes(HOST_SCRIPT),
  );
  for (const child of strays) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const pids = new Set(strays.map((c) => c.pid));
  // Node collects its own children once they exit; give it a moment (2 s at most).
  for (let i = 0; i < 100 && pids.size > 0; i += 1) {
    const alive = (childProcesses() ?? []).filter((c) => pids.has(c.pid));
    if (alive.length === 0) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
}

/**
 * Run `body`, then (even when it throws) clear the timers created from
 * `pluginDir` and kill the child processes started meanwhile. The number of
 * cleared timers is noted on `lifecycle` when there were any.
 */
export async function withProcessCleanup(
  pluginDir: string,
  lifecycle: CheckRecorder | undefined,
  body: () => Promise<void>,
): Promise<void> {
  const childrenBefore = new Set((childProcesses() ?? []).map((c) => c.pid));
  const tracker = trackAsyncResources();
  try {
    await body();
  } finally {
    await settle();
    tracker.stop();
    const cleared = clearPluginTimers(tracker, pluginDir);
    if (cleared > 0) {
      lifecycle?.note(
        `cleared ${cleared} timer(s) the plugin left pending in this process (in-process and worker runs)`,
      );
    }
    await reapChildren(childrenBefore);
  }
}
