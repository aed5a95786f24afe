/**
 * Calling one candidate, tracked or not. Kept apart from `in-flight.ts`,
 * which must not import the candidate type: `types.ts` imports
 * `InFlightCalls` from it.
 */
import type { SharedCallState } from './call-state.js';
import { PluginCall } from './call-state.js';
import { TrackedCall } from './in-flight.js';
import type { DispatchCandidate } from './types.js';

/**
 * Call `candidate` for `hook`: through a {@link TrackedCall} when the
 * candidate has an in-flight list, else with a plain {@link PluginCall}.
 * Returns what the handle returns (a value or a promise; a throw passes).
 */
export function invokeCandidate(
  candidate: DispatchCandidate,
  state: SharedCallState | undefined,
  kind: string,
  hook: string,
  input: unknown,
): unknown {
  const list = candidate.inFlight;
  if (list === undefined) {
    return candidate.handle.invoke(hook, input, new PluginCall(state, kind, candidate.name, hook));
  }
  return new TrackedCall(state, kind, candidate.name, hook, list, undefined).run(
    candidate.handle,
    input,
  );
}
