/**
 * @dagstack/plugin-dispatch — the five dispatch classes of ADR-0002 with
 * ADR-0005 middleware, as pure logic over candidate lists.
 *
 * Any export added here becomes public API: use explicit named exports only,
 * with `export type` for types.
 */

export type { NormalizedSelector } from './capability-index.js';
export {
  CapabilityIndex,
  normalizeExtension,
  normalizeMimeType,
  normalizeSelector,
  selectorFromInput,
} from './capability-index.js';
export type { DispatcherOptions } from './dispatchers.js';
export {
  BroadcastCollectDispatcher,
  BroadcastNotifyDispatcher,
  CapabilityDispatcher,
  ChainDispatcher,
  Dispatcher,
  SingletonDispatcher,
} from './dispatchers.js';
export { DispatchEngine } from './engine.js';
export type {
  DispatchRouteConflictOptions,
  DispatchRouteConflictReason,
  HookValidationErrorOptions,
} from './errors.js';
export {
  DispatchRouteConflict,
  HookValidationError,
  isDispatchRouteConflict,
  isHookValidationError,
} from './errors.js';
export { InFlightCalls } from './in-flight.js';
export type { JsonProblem } from './json.js';
export { findJsonProblem } from './json.js';
export { compareCandidates, sortCandidates } from './order.js';
export type { DispatchRoute, DispatchRouteOptions, RouteCall } from './route.js';
export { createDispatchRoute, linkCandidate } from './route.js';
export type {
  BestEffortResult,
  CapabilityInput,
  CapabilityRequest,
  CapabilitySelector,
  CollectEntry,
  DispatchCandidate,
  DispatchEngineOptions,
  DispatchOptions,
  DispatchResult,
  Middleware,
  PolicyCall,
} from './types.js';
export type { Validator } from './validation.js';
export { compileSchema } from './validation.js';
