import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LogFields, STANDARD_RESOURCE_NAMES } from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CryptoRng,
  createResourceContainer,
  createStandardResources,
  createTestResources,
  FetchHttpClient,
  FileBlobStore,
  FileCheckpointStore,
  FrozenClock,
  InMemoryBlobStore,
  InMemoryCheckpointStore,
  InMemoryEventBus,
  isEmptyDir,
  isResourceError,
  LogProgressSink,
  MemoryProgressSink,
  SeededRng,
  SystemClock,
  type Tmpdir,
} from '../src/index.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dagstack-standard-test-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createStandardResources', () => {
  it('provides every standard name with the real implementations', async () => {
    const set = createStandardResources();
    const r = set.resources;
    expect(Object.keys(r).sort()).toEqual([...STANDARD_RESOURCE_NAMES].sort());
    expect(r.clock).toBeInstanceOf(SystemClock);
    expect(r.rng).toBeInstanceOf(CryptoRng);
    expect(r.progress).toBeInstanceOf(LogProgressSink);
    expect(r.checkpoint).toBeInstanceOf(InMemoryCheckpointStore);
    expect(r.blob_store).toBeInstanceOf(InMemoryBlobStore);
    expect(r.http_client).toBeInstanceOf(FetchHttpClient);
    expect(r.event_bus).toBeInstanceOf(InMemoryEventBus);
    expect(await isEmptyDir(r.tmpdir.path)).toBe(true);
    const plugin = (r.tmpdir as Tmpdir).forPlugin('tool/a');
    await plugin.createFile('x');
    await set.close();
    expect(existsSync(r.tmpdir.path)).toBe(false);
    expect(existsSync(plugin.path)).toBe(false);
  });

  it('uses file stores when given folders, and the logger for progress', async () => {
    const records: LogFields[] = [];
    const log = (_m: string, fields?: LogFields): void => {
      if (fields !== undefined) records.push(fields);
    };
    const set = createStandardResources({
      checkpointDir: join(dir, 'cp'),
      blobDir: join(dir, 'blobs'),
      logger: { debug: log, info: log, warn: log, error: log },
      tmpdirPrefix: 'host-',
    });
    try {
      expect(set.resources.checkpoint).toBeInstanceOf(FileCheckpointStore);
      expect(set.resources.blob_store).toBeInstanceOf(FileBlobStore);
      await set.resources.checkpoint.save('k', 1);
      await set.resources.blob_store.put('b', new Uint8Array([1]));
      expect((await readdir(dir)).sort()).toEqual(['blobs', 'cp']);
      set.resources.progress.update({ percent: 0.25, message: 'step' });
      expect(records).toEqual([{ percent: 0.25, progress_message: 'step' }]);
    } finally {
      await set.close();
    }
  });
});

describe('createTestResources', () => {
  it('provides the deterministic doubles, typed by class', async () => {
    const set = createTestResources({ seed: 'contract', now: new Date('2026-01-01T00:00:00Z') });
    const r = set.resources;
    try {
      expect(Object.keys(r).sort()).toEqual([...STANDARD_RESOURCE_NAMES].sort());
      expect(r.clock).toBeInstanceOf(FrozenClock);
      expect(r.rng).toBeInstanceOf(SeededRng);
      expect(r.progress).toBeInstanceOf(MemoryProgressSink);
      expect(r.checkpoint).toBeInstanceOf(InMemoryCheckpointStore);
      expect(r.blob_store).toBeInstanceOf(InMemoryBlobStore);
      expect(r.event_bus).toBeInstanceOf(InMemoryEventBus);
      expect(r.clock.now()).toEqual(new Date(Date.UTC(2026, 0, 1)));
      r.clock.advance(1000);
      expect(r.clock.now().toISOString()).toBe('2026-01-01T00:00:01.000Z');
      expect(r.rng.uuid4()).toBe(new SeededRng('contract').uuid4());
      expect(await isEmptyDir(r.tmpdir.path)).toBe(true);
      expect(await r.tmpdir.createSubdir('scratch')).toBe(join(r.tmpdir.path, 'scratch'));
    } finally {
      await set.close();
    }
    expect(existsSync(r.tmpdir.path)).toBe(false);
  });

  it('two sets with the same seed give the same randomness', async () => {
    const a = createTestResources({ seed: 7 });
    const b = createTestResources({ seed: 7 });
    try {
      expect(a.resources.rng.bytes(32)).toEqual(b.resources.rng.bytes(32));
      expect(a.resources.tmpdir.path).not.toBe(b.resources.tmpdir.path);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('refuses outbound HTTP unless a client is given', async () => {
    const offline = createTestResources();
    const stub = new FetchHttpClient({ fetch: async () => new Response('stubbed') });
    const online = createTestResources({ httpClient: stub });
    try {
      await expect(offline.resources.http_client.fetch('https://example.com/')).rejects.toSatisfy(
        isResourceError,
      );
      await expect(offline.resources.http_client.fetch('https://example.com/')).rejects.toThrow(
        /outbound HTTP is off/,
      );
      expect(await (await online.resources.http_client.fetch('https://x.test/')).text()).toBe(
        'stubbed',
      );
      await expect(offline.resources.http_client.post('https://example.com/', {})).rejects.toThrow(
        /outbound HTTP is off/,
      );
    } finally {
      await Promise.all([offline.close(), online.close()]);
    }
  });

  it('plugs into a scoped container', async () => {
    const set = createTestResources();
    try {
      const c = createResourceContainer(set.resources, {
        declared: { required: ['clock'], optional: ['rng'] },
        plugin: 'p',
      });
      expect(c.get('clock')).toBe(set.resources.clock);
      expect(c.names()).toEqual(['clock', 'rng']);
    } finally {
      await set.close();
    }
  });
});
