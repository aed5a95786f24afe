/**
 * @dagstack/plugin-system — the umbrella package of the dagstack plugin system:
 * the in-process stack (@dagstack/plugin-api, -manifest, -discovery, -dispatch,
 * -resources, -registry), the generated standard kinds and the in-tree
 * `LocalExecutorOrchestrator`, from one import.
 *
 * The root entry imports nothing of the MCP runtimes (a test walks the built
 * import graph). Explicit named exports only, `export type` for types: any
 * export added here becomes public API. The six packages export disjoint
 * names today; a clash must be resolved here by name (a test lists every
 * package's exports and fails on a name exported by two of them).
 */

export type {
  AccessDecision,
  AmbiguousPluginOptions,
  BlobStore,
  CallAbortListener,
  CallMetadata,
  CallWatch,
  CandidateFilter,
  CandidateFilterCall,
  ChainWrapSpec,
  CheckpointEntry,
  CheckpointStore,
  CheckpointWriteOptions,
  Clock,
  DependencyRef,
  DiscoveryFailureReason,
  DispatchClass,
  ErrorGuard,
  ErrorPolicy,
  EventBus,
  ExecutionModel,
  FilterCandidate,
  FunctionNotFoundOptions,
  HealthState,
  HealthStatus,
  HookCall,
  HookImplementation,
  HookSpec,
  HttpClient,
  HttpHeaders,
  HttpResponse,
  IdempotencyMode,
  InFlightOperation,
  JsonObject,
  JsonValue,
  KindConstants,
  KindSpec,
  LogFields,
  Logger,
  LogMethod,
  ManifestInvalidOptions,
  ManifestProblem,
  MaybePromise,
  McpHttpAuth,
  McpHttpSpec,
  McpStdioSpec,
  Metrics,
  Plugin,
  PluginContext,
  PluginErrorOptions,
  PluginFailure,
  PluginHandle,
  PluginInfo,
  PluginManifest,
  PluginState,
  ProgressEvent,
  ProgressSink,
  ProgressUpdate,
  RegistryCallOptions,
  RegistryView,
  ResourceCall,
  ResourceCallDeniedOptions,
  ResourceContainer,
  ResourceDecoration,
  ResourceDecorator,
  ResourcesSpec,
  Rng,
  Runtime,
  RuntimeAdapter,
  RuntimeLoadOptions,
  RuntimeNotSupportedOptions,
  RuntimeReportedState,
  SavedCheckpoint,
  SerializedPluginError,
  Span,
  StandardResources,
  StopChain,
  StopChainWith,
  Subscription,
  TempDir,
  TenantContext,
  Tracer,
  UnitOfWorkSpec,
  VersionIncompatibleOptions,
} from '@dagstack/plugin-api';
export {
  AmbientStateViolation,
  AmbiguousPlugin,
  BroadcastErrors,
  CallAbortListeners,
  ConfigInvalid,
  closestName,
  DEFAULT_ERROR_POLICY,
  DEFAULT_TOOL_NAME_TEMPLATE,
  DependencyCycle,
  DeterminismError,
  DISPATCH_BROADCAST_COLLECT,
  DISPATCH_BROADCAST_NOTIFY,
  DISPATCH_CAPABILITY,
  DISPATCH_CHAIN,
  DISPATCH_CLASSES,
  DISPATCH_SINGLETON,
  DiscoveryError,
  DispatchMismatch,
  ERROR_POLICIES,
  EXECUTION_MODELS,
  envKindSuffix,
  FunctionNotFound,
  HEALTH,
  HookCancelled,
  HookTimeout,
  IDEMPOTENCY_MODES,
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
  isPluginError,
  isPluginInvocationError,
  isPluginLoadError,
  isPluginRegistryError,
  isPluginUnavailable,
  isResourceCallDenied,
  isRuntimeNotSupported,
  isSerializationError,
  isStopChain,
  isTeardownErrors,
  isToolCallFailed,
  isVersionIncompatible,
  KIND_AUDIT_LOGGER,
  KIND_AUTH_PROVIDER,
  KIND_CHUNKER,
  KIND_EMBEDDER,
  KIND_EVENT_LISTENER,
  KIND_LLM,
  KIND_METRIC_EXPORTER,
  KIND_NOTIFIER,
  KIND_ORCHESTRATOR,
  KIND_PAYMENT_PROVIDER,
  KIND_PIPELINE,
  KIND_PRICING_STRATEGY,
  KIND_PROCESSOR,
  KIND_RATE_LIMITER,
  KIND_RERANKER,
  KIND_SINK,
  KIND_SOURCE,
  KIND_TAX_CALCULATOR,
  KIND_TOOL,
  KIND_TOOL_PROVIDER,
  KIND_VECTOR_STORE,
  KIND_WEBHOOK_HANDLER,
  KINDS,
  KindUnknown,
  LeakDetected,
  MANIFEST_SCHEMA_VERSION,
  ManifestInvalid,
  MIDDLEWARE_PRIORITY_FLOOR,
  MissingDependency,
  NOOP_LOGGER,
  NOOP_TENANT,
  NoCapabilityMatch,
  PLUGIN_STATES,
  PluginInvocationError,
  PluginLoadError,
  PluginRegistryError,
  PluginUnavailable,
  ResourceCallDenied,
  RUNTIME_IN_PROCESS,
  RUNTIME_MCP_HTTP,
  RUNTIME_MCP_STDIO,
  RUNTIME_START_ORDER,
  RUNTIMES,
  RuntimeNotSupported,
  SerializationError,
  STANDARD_RESOURCE_NAMES,
  STOP_CHAIN,
  stopChain,
  TeardownErrors,
  ToolCallFailed,
  unwatchCall,
  VersionIncompatible,
  watchCall,
} from '@dagstack/plugin-api';
export type {
  DiscoverOptions,
  DiscoverPackagesOptions,
  DiscoverRemoteOptions,
  DiscoveryEntry,
  DiscoveryFailure,
  DiscoveryResult,
  DiscoverySource,
  DiscoveryTarget,
} from '@dagstack/plugin-discovery';
export {
  DEFAULT_IGNORE,
  discover,
  discoverPackages,
  discoverRemote,
  REMOTE_PLUGINS_ENV,
} from '@dagstack/plugin-discovery';
export type {
  BestEffortResult,
  CapabilityInput,
  CapabilityRequest,
  CapabilitySelector,
  CollectEntry,
  DispatchCandidate,
  DispatchEngineOptions,
  DispatcherOptions,
  DispatchOptions,
  DispatchResult,
  DispatchRoute,
  DispatchRouteConflictOptions,
  DispatchRouteConflictReason,
  DispatchRouteOptions,
  HookValidationErrorOptions,
  JsonProblem,
  Middleware,
  NormalizedSelector,
  PolicyCall,
  RouteCall,
  Validator,
} from '@dagstack/plugin-dispatch';
export {
  BroadcastCollectDispatcher,
  BroadcastNotifyDispatcher,
  CapabilityDispatcher,
  CapabilityIndex,
  ChainDispatcher,
  compareCandidates,
  compileSchema,
  createDispatchRoute,
  DispatchEngine,
  Dispatcher,
  DispatchRouteConflict,
  findJsonProblem,
  HookValidationError,
  InFlightCalls,
  isDispatchRouteConflict,
  isHookValidationError,
  linkCandidate,
  normalizeExtension,
  normalizeMimeType,
  normalizeSelector,
  SingletonDispatcher,
  selectorFromInput,
  sortCandidates,
} from '@dagstack/plugin-dispatch';
export type {
  CoreVersionOptions,
  EntryPoint,
  EntryPointResult,
  EntryPointStyle,
  ManifestFormat,
  ManifestParseResult,
  ManifestResult,
  ManifestSchema,
  ParsedVersionSpec,
  Pep440Version,
  ValidateManifestOptions,
  VersionSpecResult,
  VersionSpecSyntax,
} from '@dagstack/plugin-manifest';
export {
  assertManifestValid,
  checkCoreVersion,
  comparePep440,
  findManifestFile,
  formatOf,
  isSecretKey,
  loadManifest,
  loadManifestOrThrow,
  MANIFEST_FILE_NAMES,
  MASK,
  manifestJsonSchema,
  maskSecrets,
  PluginManifestSchema,
  parseEntryPoint,
  parseManifest,
  parsePep440Version,
  parseVersionSpec,
  satisfiesVersionSpec,
  unwrapManifest,
  validateManifest,
} from '@dagstack/plugin-manifest';
export type {
  ConfigSource,
  HostResources,
  IsolatedHandleOptions,
  LogFormat,
  LogLevel,
  PlanNode,
  PluginRegistryOptions,
  PluginStatus,
  ResourceLookup,
  SetupOptions,
  SetupReport,
  StateChange,
  StderrLoggerOptions,
} from '@dagstack/plugin-registry';
export {
  bindLogger,
  CORE_VERSION,
  configFromObject,
  contentHash,
  createInProcessHandle,
  createInProcessRuntime,
  createIsolatedHandle,
  createStderrLogger,
  instantiateEntryPoint,
  PluginRegistry,
  planStartGroups,
  resolveEntryPoint,
  resolvePluginConfig,
  topoSort,
} from '@dagstack/plugin-registry';
export type {
  AvailableResources,
  BlobInfo,
  BlobPutOptions,
  CheckpointConflictOptions,
  DeclaredResources,
  EventHandler,
  FetchFunction,
  FetchHttpClientOptions,
  FileCheckpointStoreOptions,
  FrozenClockOptions,
  InMemoryEventBusOptions,
  LogProgressSinkOptions,
  NextCall,
  ProgressHandlers,
  RecordedProgressEvent,
  RegisterResourceOptions,
  ResourceContainerOptions,
  ResourceErrorOptions,
  ResourceRecord,
  ResourceSet,
  ResourceWrapper,
  RngSeed,
  SeededRngOptions,
  StandardResourcesOptions,
  TestResources,
  TestResourcesOptions,
  Tmpdir,
  TmpdirOptions,
} from '@dagstack/plugin-resources';
export {
  assertJsonValue,
  assertValidKey,
  BlobNotFound,
  CheckpointConflict,
  CryptoRng,
  createProgressSink,
  createResourceContainer,
  createStandardResources,
  createTestResources,
  createTmpdir,
  DeterministicRng,
  decodeKey,
  decorate,
  encodeKey,
  FetchHttpClient,
  FileBlobStore,
  FileCheckpointStore,
  FrozenClock,
  InMemoryBlobStore,
  InMemoryCheckpointStore,
  InMemoryEventBus,
  InvalidResourceKey,
  InvalidTempDirName,
  isBlobNotFound,
  isCheckpointConflict,
  isEmptyDir,
  isInvalidResourceKey,
  isInvalidTempDirName,
  isResourceAlreadyRegistered,
  isResourceError,
  isUndeclaredResource,
  LogProgressSink,
  MAX_PLAIN_NAME,
  MemoryBlobStore,
  MemoryProgressSink,
  missingRequired,
  NoopProgressSink,
  ResourceAlreadyRegistered,
  ResourceError,
  ResourceRegistry,
  releasePluginResources,
  SeededRng,
  SystemClock,
  seedToUint64,
  splitMix64,
  toProgressUpdate,
  UndeclaredResource,
  WILDCARD_TOPIC,
} from '@dagstack/plugin-resources';

import { createRequire } from 'node:module';
import { type KindSpec, PluginRegistryError } from '@dagstack/plugin-api';
import type { ContractReport, ContractSuiteOptions } from '@dagstack/plugin-contract-suite';
import * as OrchestratorV1 from './generated/kinds/orchestrator/v1.js';
import * as ToolV1 from './generated/kinds/tool/v1.js';

export {
  /** The generated `orchestrator` kind, API v1: payload types, `OrchestratorPlugin`, `KIND_SPEC`. */
  OrchestratorV1,
  /** The generated `tool` kind, API v1: payload types, `ToolPlugin`, `KIND_SPEC`. */
  ToolV1,
};

/**
 * Runtime hookspecs of the standard kinds, for `registerKind()`.
 * @since 0.1.0
 */
export const STANDARD_KINDS: readonly KindSpec[] = [ToolV1.KIND_SPEC, OrchestratorV1.KIND_SPEC];

export { isUnitNotFound, UnitNotFound } from './orchestrator/errors.js';
export type {
  LocalExecutorOptions,
  UnitOfWorkCall,
  UnitRegistry,
  UnitSnapshot,
} from './orchestrator/local-executor.js';
export {
  LocalExecutorOrchestrator,
  UNIT_METADATA_KEY,
  unitOfWorkOf,
} from './orchestrator/local-executor.js';
export {
  DEFAULT_UNIT_HOOK,
  LOCAL_EXECUTOR_NAME,
  localExecutorManifest,
} from './orchestrator/manifest.js';

/**
 * The version of this package, which every `@dagstack/plugin-*` package
 * shares (they are released as one group): the same as `CORE_VERSION`, the
 * version manifests' `core_version` is checked against.
 * @since 0.2.0
 */
export const VERSION: string = (
  createRequire(import.meta.url)('../package.json') as { version: string }
).version;

export type {
  ContractReport,
  ContractSuiteOptions,
} from '@dagstack/plugin-contract-suite';

/**
 * Run the plugin contract suite (`@dagstack/plugin-contract-suite`) on one
 * plugin and return its report. The suite is an optional peer of this
 * package, for the projects that test plugins (`npm install --save-dev
 * @dagstack/plugin-contract-suite`): loaded on the first call, so a host that
 * never runs it neither installs nor loads it (nor the MCP client it uses for
 * the stdio checks). Without it installed the call rejects with a
 * `PluginRegistryError` saying what to install.
 *
 * ```ts
 * const report = await runContractSuite({ manifest: 'plugins/fixed-chunker', samples });
 * expect(report.ok, report.formatFailures()).toBe(true);
 * ```
 * @since 0.2.0
 */
export async function runContractSuite(options: ContractSuiteOptions): Promise<ContractReport> {
  let suite: typeof import('@dagstack/plugin-contract-suite');
  try {
    suite = await import('@dagstack/plugin-contract-suite');
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new PluginRegistryError('runContractSuite needs @dagstack/plugin-contract-suite', {
      hint: 'install it next to @dagstack/plugin-system: npm install --save-dev @dagstack/plugin-contract-suite',
      cause: error,
    });
  }
  return suite.runContractSuite(options);
}
