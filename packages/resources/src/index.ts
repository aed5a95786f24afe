/**
 * @dagstack/plugin-resources — reference implementations and test doubles of
 * the resource protocols of `@dagstack/plugin-api`.
 *
 * Any export added here becomes public API: use explicit named exports only,
 * with `export type` for types.
 */

export type { BlobInfo, BlobPutOptions } from './blob-store.js';
export { FileBlobStore, InMemoryBlobStore } from './blob-store.js';
export { FileCheckpointStore, InMemoryCheckpointStore } from './checkpoint-store.js';
export type { FrozenClockOptions } from './clock.js';
export { FrozenClock, SystemClock } from './clock.js';
export type {
  AvailableResources,
  DeclaredResources,
  ResourceContainerOptions,
  ResourceRecord,
} from './container.js';
export { createResourceContainer, missingRequired } from './container.js';
export type { NextCall, ResourceWrapper } from './decorate.js';
export { decorate } from './decorate.js';
export type { ResourceErrorOptions } from './errors.js';
export {
  InvalidResourceKey,
  isInvalidResourceKey,
  isResourceError,
  isUndeclaredResource,
  ResourceError,
  UndeclaredResource,
} from './errors.js';
export type { EventHandler, InMemoryEventBusOptions } from './event-bus.js';
export { InMemoryEventBus, WILDCARD_TOPIC } from './event-bus.js';
export type { FetchFunction, FetchHttpClientOptions } from './http-client.js';
export { FetchHttpClient } from './http-client.js';
export { assertJsonValue } from './json.js';
export { assertValidKey, decodeKey, encodeKey, MAX_PLAIN_NAME } from './keys.js';
export type { LogProgressSinkOptions } from './progress.js';
export { LogProgressSink, MemoryProgressSink, NoopProgressSink } from './progress.js';
export type { RngSeed } from './rng.js';
export { CryptoRng, SeededRng, seedToUint64, splitMix64 } from './rng.js';
export type {
  ResourceSet,
  StandardResourcesOptions,
  TestResources,
  TestResourcesOptions,
} from './standard.js';
export { createStandardResources, createTestResources } from './standard.js';
export type { Tmpdir, TmpdirOptions } from './tmpdir.js';
export { createTmpdir, isEmptyDir } from './tmpdir.js';
