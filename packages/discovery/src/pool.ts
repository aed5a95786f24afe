/**
 * Run `worker` over a growing queue of tasks with at most `limit` running at
 * once. Workers may enqueue more tasks. Resolves when the queue is drained and
 * every worker is idle; rejects on the first worker error (after in-flight
 * workers settle) or when `signal` aborts.
 */
export async function drainQueue<TTask>(
  initial: readonly TTask[],
  limit: number,
  worker: (task: TTask, enqueue: (next: TTask) => void) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const queue: TTask[] = [...initial];
  let active = 0;
  let failure: unknown;
  let failed = false;

  await new Promise<void>((resolve, reject) => {
    const finish = (): void => {
      if (active > 0) return;
      if (failed) reject(failure);
      else if (queue.length === 0) resolve();
    };
    const pump = (): void => {
      if (signal?.aborted && !failed) {
        failed = true;
        failure = signal.reason;
      }
      while (!failed && active < limit && queue.length > 0) {
        const task = queue.shift() as TTask;
        active += 1;
        worker(task, (next) => queue.push(next)).then(
          () => {
            active -= 1;
            pump();
          },
          (error: unknown) => {
            active -= 1;
            if (!failed) {
              failed = true;
              failure = error;
            }
            pump();
          },
        );
      }
      finish();
    };
    pump();
  });
}
