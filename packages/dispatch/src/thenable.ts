// The thenable check shared by the in-flight list and the hot path. A leaf:
// it imports nothing from the rest of the package.

/** A value that is not a native promise but has a `then` method (adopted like `await` would). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
