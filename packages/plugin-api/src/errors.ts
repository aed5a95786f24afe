/**
 * The error hierarchy of the plugin system, rooted at {@link PluginRegistryError}.
 *
 * Every class has a stable string `code`, structured fields, a native `cause`
 * and an `is<Name>()` guard. Guards and `instanceof` work across duplicated
 * copies of this package: each instance carries the codes of its class chain
 * under a `Symbol.for` key, and `Symbol.hasInstance` reads them.
 *
 * This module only re-exports, by name: the base class lives in
 * `errors/base.ts`, each family in its own module under `errors/`, and the
 * guards in `errors/guards.ts`.
 */

export type { PluginErrorOptions, SerializedPluginError } from './errors/base.js';
export { isPluginError, PluginRegistryError } from './errors/base.js';
export type { FunctionNotFoundOptions, PluginFailure } from './errors/calls.js';
export {
  BroadcastErrors,
  DispatchMismatch,
  FunctionNotFound,
  HookCancelled,
  HookTimeout,
  NoCapabilityMatch,
  PluginInvocationError,
  TeardownErrors,
  ToolCallFailed,
} from './errors/calls.js';
export {
  AmbientStateViolation,
  DeterminismError,
  LeakDetected,
  SerializationError,
} from './errors/contract.js';
export type { DiscoveryFailureReason } from './errors/discovery.js';
export { DiscoveryError } from './errors/discovery.js';
export type { ErrorGuard } from './errors/guards.js';
export {
  isAmbientStateViolation,
  isAmbiguousPlugin,
  isBroadcastErrors,
  isConfigInvalid,
  isDependencyCycle,
  isDeterminismError,
  isDiscoveryError,
  isDispatchMismatch,
  isFunctionNotFound,
  isHookCancelled,
  isHookTimeout,
  isKindUnknown,
  isLeakDetected,
  isManifestInvalid,
  isMissingDependency,
  isNoCapabilityMatch,
  isPluginInvocationError,
  isPluginLoadError,
  isPluginRegistryError,
  isPluginUnavailable,
  isRuntimeNotSupported,
  isSerializationError,
  isTeardownErrors,
  isToolCallFailed,
  isVersionIncompatible,
} from './errors/guards.js';
export type {
  AmbiguousPluginOptions,
  ManifestInvalidOptions,
  ManifestProblem,
  VersionIncompatibleOptions,
} from './errors/registration.js';
export {
  AmbiguousPlugin,
  ConfigInvalid,
  DependencyCycle,
  envKindSuffix,
  KindUnknown,
  ManifestInvalid,
  MissingDependency,
  VersionIncompatible,
} from './errors/registration.js';
export type { RuntimeNotSupportedOptions } from './errors/runtime.js';
export { PluginLoadError, PluginUnavailable, RuntimeNotSupported } from './errors/runtime.js';
