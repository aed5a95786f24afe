// The listener interface shared by `hooks.ts` (`HookCall.watchAbort`) and
// `call-abort.ts` (`CallAbortListeners`, `watchCall`). A leaf: it imports
// nothing from the rest of the package.

/**
 * Told once when the call it watches aborts (timeout, the caller's
 * cancellation, a fail-fast failure, or the registry stopping the plugin).
 * @since 0.2.0
 */
export interface CallAbortListener {
  /** Called with the abort reason when the watched call aborts. */
  callAborted(reason: unknown): void;
}
