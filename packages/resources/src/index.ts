/**
 * @dagstack/plugin-resources — reference implementations and test doubles of
 * the resource protocols of `@dagstack/plugin-api`.
 *
 * Any export added here becomes public API: use explicit named exports only,
 * with `export type` for types.
 */

export type { BlobInfo, BlobPutOptions } from './blob-store.js';
export { FileBlobStore, InMemoryBlobStore, MemoryBlobStore } from './blob-store.js';
export type { CheckpointConflictOptions } from './checkpoint-conflict.js';
export { CheckpointConflict, isCheckpointConflict } from './checkpoint-conflict.js';
export type { FileCheckpointStoreOptions } from './checkpoint-store.js';
export { FileCheckpointStore, InMemoryCheckpointStore } from './checkpoint-store.js';
export type { FrozenClockOptions } from './clock.js';
export { FrozenClock, SystemClock } from './clock.js';
export type {
  AvailableResources,
  DeclaredResources,
  ResourceContainerOptions,
  ResourceRecord,
} from './container.js';
export { createResourceContainer, missingRequired, releasePluginResources } from './container.js';
export type { NextCall, ResourceWrapper } from './decorate.js';
export { decorate } from './decorate.js';
export type { ResourceErrorOptions } from './errors.js';
export {
  BlobNotFound,
  InvalidResourceKey,
  InvalidTempDirName,
  isBlobNotFound,
  isInvalidResourceKey,
  isInvalidTempDirName,
  isResourceAlreadyRegistered,
  isResourceError,
  isUndeclaredResource,
  ResourceAlreadyRegistered,
  ResourceError,
  UndeclaredResource,
} from './errors.js';
export type { EventHandler, InMemoryEventBusOptions } from './event-bus.js';
export { InMemoryEventBus, WILDCARD_TOPIC } from './event-bus.js';
export type { FetchFunction, FetchHttpClientOptions } from './http-client.js';
export { FetchHttpClient } from './http-client.js';
export { assertJsonValue } from './json.js';
export { assertValidKey, decodeKey, encodeKey, MAX_PLAIN_NAME } from './keys.js';
export type {
  LogProgressSinkOptions,
  ProgressHandlers,
  RecordedProgressEvent,
} from './progress.js';
export {
  createProgressSink,
  LogProgressSink,
  MemoryProgressSink,
  NoopProgressSink,
  toProgressUpdate,
} from './progress.js';
export type { RegisterResourceOptions } from './resource-registry.js';
export { ResourceRegistry } from './resource-registry.js';
export type { RngSeed, SeededRngOptions } from './rng.js';
export {
  CryptoRng,
  DeterministicRng,
  SeededRng,
  seedToUint64,
  splitMix64,
} from './rng.js';
export type {
  ResourceSet,
  StandardResourcesOptions,
  TestResources,
  TestResourcesOptions,
} from './standard.js';
export { createStandardResources, createTestResources } from './standard.js';
export type { Tmpdir, TmpdirOptions } from './tmpdir.js';
export { createTmpdir, isEmptyDir } from './tmpdir.js';
