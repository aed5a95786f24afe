/**
 * Ready-made sets of the standard resources: real ones for hosts and
 * deterministic doubles for tests and the contract suite.
 */

import type {
  BlobStore,
  CheckpointStore,
  HttpClient,
  Logger,
  ProgressSink,
  StandardResources,
} from '@dagstack/plugin-api';
import { NOOP_LOGGER } from '@dagstack/plugin-api';
import { FileBlobStore, InMemoryBlobStore } from './blob-store.js';
import { FileCheckpointStore, InMemoryCheckpointStore } from './checkpoint-store.js';
import { FrozenClock, SystemClock } from './clock.js';
import type { ResourceRecord } from './container.js';
import { ResourceError } from './errors.js';
import { InMemoryEventBus } from './event-bus.js';
import { FetchHttpClient, type FetchHttpClientOptions } from './http-client.js';
import { LogProgressSink, MemoryProgressSink } from './progress.js';
import { CryptoRng, type RngSeed, SeededRng } from './rng.js';
import { createTmpdir, type Tmpdir } from './tmpdir.js';

/**
 * A set of resources and the way to release what it owns.
 * @since 0.1.0
 */
export interface ResourceSet<T> {
  /**
   * The resources by standard name; pass it as the registry's `resources`.
   * Typed with an index signature too, so it fits `Record<string, unknown>`.
   */
  readonly resources: Readonly<T> & ResourceRecord;
  /** Remove the tmpdir (and every plugin's sub-folder in it). Call after every plugin's teardown. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link createStandardResources}. @since 0.1.0 */
export interface StandardResourcesOptions {
  /** Logger of the progress sink and the event bus. Default: {@link NOOP_LOGGER}. */
  logger?: Logger;
  /** Folder of a {@link FileCheckpointStore}. Default: an {@link InMemoryCheckpointStore}. */
  checkpointDir?: string;
  /** Folder of a {@link FileBlobStore}. Default: an {@link InMemoryBlobStore}. */
  blobDir?: string;
  /** Options of the {@link FetchHttpClient}. */
  http?: FetchHttpClientOptions;
  /** Prefix of the tmpdir under `os.tmpdir()`. Default `dagstack-`. */
  tmpdirPrefix?: string;
}

/**
 * The standard resources a host hands to plugins: `SystemClock`,
 * `CryptoRng`, a `LogProgressSink` on the logger, file or in-memory
 * checkpoint and blob stores, a `FetchHttpClient`, an `InMemoryEventBus`
 * and a fresh {@link Tmpdir} (the registry gives each plugin its own
 * sub-folder of it, removed at the plugin's teardown; `close()` removes it all).
 * @since 0.1.0
 */
export function createStandardResources(
  options: StandardResourcesOptions = {},
): ResourceSet<StandardResources> {
  const logger = options.logger ?? NOOP_LOGGER;
  const checkpoint: CheckpointStore =
    options.checkpointDir === undefined
      ? new InMemoryCheckpointStore()
      : new FileCheckpointStore(options.checkpointDir);
  const blobStore: BlobStore =
    options.blobDir === undefined ? new InMemoryBlobStore() : new FileBlobStore(options.blobDir);
  const httpClient = new FetchHttpClient(options.http);
  const tmp = createTmpdir(options.tmpdirPrefix);
  const progress: ProgressSink = new LogProgressSink(logger);
  const resources: StandardResources = {
    clock: new SystemClock(),
    rng: new CryptoRng(),
    progress,
    checkpoint,
    blob_store: blobStore,
    http_client: httpClient,
    event_bus: new InMemoryEventBus({ logger }),
    tmpdir: tmp,
  };
  return Object.freeze({
    resources: Object.freeze(resources) as Readonly<StandardResources> & ResourceRecord,
    close: () => tmp.cleanup(),
  });
}

/**
 * The deterministic doubles of the standard resources, typed by their
 * classes so a test can drive them (`resources.clock.advance(1000)`,
 * `resources.progress.events`).
 * @since 0.1.0
 */
export interface TestResources extends StandardResources {
  /** A clock that only moves when the test advances it. */
  clock: FrozenClock;
  /** A random generator that gives the same sequence for the same seed. */
  rng: SeededRng;
  /** A progress sink that records every report, for assertions. */
  progress: MemoryProgressSink;
  /** A checkpoint store kept in memory. */
  checkpoint: InMemoryCheckpointStore;
  /** A blob store kept in memory. */
  blob_store: InMemoryBlobStore;
  /** An event bus that delivers in memory. */
  event_bus: InMemoryEventBus;
  /** A fresh temporary folder, with a sub-folder per plugin. @since 0.2.1 */
  tmpdir: Tmpdir;
}

/** Options of {@link createTestResources}. @since 0.1.0 */
export interface TestResourcesOptions {
  /** Seed of the `SeededRng`. Default `0`. */
  seed?: RngSeed;
  /** Initial time of the `FrozenClock` (ms since the epoch or a Date). Default `0`. */
  now?: number | Date;
  /** Logger of the event bus (handler failures). Default: {@link NOOP_LOGGER}. */
  logger?: Logger;
  /**
   * The `http_client`. Default: a client that rejects every request with a
   * `ResourceError`, so a test never reaches the network by accident.
   */
  httpClient?: HttpClient;
  /** Prefix of the tmpdir under `os.tmpdir()`. Default `dagstack-test-`. */
  tmpdirPrefix?: string;
}

/**
 * Deterministic resources for tests and the contract suite: `FrozenClock`,
 * `SeededRng(seed)`, `MemoryProgressSink`, `InMemoryCheckpointStore`,
 * `InMemoryBlobStore`, `InMemoryEventBus`, an offline `http_client` unless
 * one is given, and a fresh {@link Tmpdir} (removed by `close()`).
 * @since 0.1.0
 */
export function createTestResources(
  options: TestResourcesOptions = {},
): ResourceSet<TestResources> {
  const httpClient =
    options.httpClient ??
    new FetchHttpClient({
      fetch: (input) =>
        Promise.reject(
          new ResourceError(
            `outbound HTTP is off in test resources (request to ${String(input)})`,
            {
              resource: 'http_client',
              hint: 'pass createTestResources({ httpClient }) with a client for a local test server',
            },
          ),
        ),
    });
  const tmp = createTmpdir(options.tmpdirPrefix ?? 'dagstack-test-');
  const resources: TestResources = {
    clock: new FrozenClock(options.now === undefined ? {} : { now: options.now }),
    rng: new SeededRng(options.seed ?? 0),
    progress: new MemoryProgressSink(),
    checkpoint: new InMemoryCheckpointStore(),
    blob_store: new InMemoryBlobStore(),
    http_client: httpClient,
    event_bus: new InMemoryEventBus(options.logger === undefined ? {} : { logger: options.logger }),
    tmpdir: tmp,
  };
  return Object.freeze({
    resources: Object.freeze(resources) as Readonly<TestResources> & ResourceRecord,
    close: () => tmp.cleanup(),
  });
}
