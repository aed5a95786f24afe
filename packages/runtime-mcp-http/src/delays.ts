// How the host side waits: exponential backoff with jitter (retries of calls,
// background reconnection) and a sleep a call's signal can cut short. Pure
// timing helpers: no state, no knowledge of handles or sessions.

/** Exponential backoff with "equal jitter": half fixed, half random. */
export function backoff(attempt: number, initialMs: number, maxMs: number): number {
  const ceiling = Math.min(initialMs * 2 ** attempt, maxMs);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Resolve after `ms`; reject with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
