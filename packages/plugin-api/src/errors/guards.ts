/**
 * The `is<Name>()` type guards, one per class of the error hierarchy, and
 * their type ({@link ErrorGuard}). Each matches by error code, so it also
 * recognises errors made by another copy of this package. Imports the base
 * module and every family module; nothing imports it but the barrel.
 */

import { isPluginError, PluginRegistryError } from './base.js';
import {
  BroadcastErrors,
  DispatchMismatch,
  FunctionNotFound,
  HookCancelled,
  HookTimeout,
  NoCapabilityMatch,
  PluginInvocationError,
  TeardownErrors,
  ToolCallFailed,
} from './calls.js';
import {
  AmbientStateViolation,
  DeterminismError,
  LeakDetected,
  SerializationError,
} from './contract.js';
import { DiscoveryError } from './discovery.js';
import {
  AmbiguousPlugin,
  ConfigInvalid,
  DependencyCycle,
  KindUnknown,
  ManifestInvalid,
  MissingDependency,
  VersionIncompatible,
} from './registration.js';
import { PluginLoadError, PluginUnavailable, RuntimeNotSupported } from './runtime.js';

/**
 * A type guard for one class of the error hierarchy: true for an instance of
 * it (or of a subclass), also across copies of this package, by `code`.
 * @since 0.2.0
 */
export type ErrorGuard<T> = (value: unknown) => value is T;

function guard<T extends PluginRegistryError>(ctor: { code: string }): ErrorGuard<T> {
  return (value: unknown): value is T => isPluginError(value, ctor.code);
}

/** @since 0.1.0 */
export const isPluginRegistryError: ErrorGuard<PluginRegistryError> = guard(PluginRegistryError);
/** @since 0.1.0 */
export const isManifestInvalid: ErrorGuard<ManifestInvalid> = guard(ManifestInvalid);
/** @since 0.1.0 */
export const isAmbiguousPlugin: ErrorGuard<AmbiguousPlugin> = guard(AmbiguousPlugin);
/** @since 0.1.0 */
export const isVersionIncompatible: ErrorGuard<VersionIncompatible> = guard(VersionIncompatible);
/** @since 0.1.0 */
export const isKindUnknown: ErrorGuard<KindUnknown> = guard(KindUnknown);
/** @since 0.1.0 */
export const isRuntimeNotSupported: ErrorGuard<RuntimeNotSupported> = guard(RuntimeNotSupported);
/** @since 0.1.0 */
export const isDependencyCycle: ErrorGuard<DependencyCycle> = guard(DependencyCycle);
/** @since 0.1.0 */
export const isMissingDependency: ErrorGuard<MissingDependency> = guard(MissingDependency);
/** @since 0.1.0 */
export const isDiscoveryError: ErrorGuard<DiscoveryError> = guard(DiscoveryError);
/** @since 0.1.0 */
export const isPluginLoadError: ErrorGuard<PluginLoadError> = guard(PluginLoadError);
/** @since 0.1.0 */
export const isConfigInvalid: ErrorGuard<ConfigInvalid> = guard(ConfigInvalid);
/** @since 0.1.0 */
export const isTeardownErrors: ErrorGuard<TeardownErrors> = guard(TeardownErrors);
/** @since 0.1.0 */
export const isBroadcastErrors: ErrorGuard<BroadcastErrors> = guard(BroadcastErrors);
/** @since 0.1.0 */
export const isDispatchMismatch: ErrorGuard<DispatchMismatch> = guard(DispatchMismatch);
/** @since 0.1.0 */
export const isNoCapabilityMatch: ErrorGuard<NoCapabilityMatch> = guard(NoCapabilityMatch);
/** @since 0.1.0 */
export const isPluginUnavailable: ErrorGuard<PluginUnavailable> = guard(PluginUnavailable);
/** @since 0.1.0 */
export const isHookTimeout: ErrorGuard<HookTimeout> = guard(HookTimeout);
/** @since 0.1.0 */
export const isHookCancelled: ErrorGuard<HookCancelled> = guard(HookCancelled);
/** @since 0.1.0 */
export const isPluginInvocationError: ErrorGuard<PluginInvocationError> =
  guard(PluginInvocationError);
/** @since 0.2.0 */
export const isFunctionNotFound: ErrorGuard<FunctionNotFound> = guard(FunctionNotFound);
/** @since 0.2.0 */
export const isToolCallFailed: ErrorGuard<ToolCallFailed> = guard(ToolCallFailed);
/** @since 0.1.0 */
export const isLeakDetected: ErrorGuard<LeakDetected> = guard(LeakDetected);
/** @since 0.1.0 */
export const isAmbientStateViolation: ErrorGuard<AmbientStateViolation> =
  guard(AmbientStateViolation);
/** @since 0.1.0 */
export const isSerializationError: ErrorGuard<SerializationError> = guard(SerializationError);
/** @since 0.1.0 */
export const isDeterminismError: ErrorGuard<DeterminismError> = guard(DeterminismError);
