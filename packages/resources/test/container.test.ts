import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type Clock,
  isPluginError,
  PluginRegistryError,
  type ProgressSink,
  type TempDir,
} from '@dagstack/plugin-api';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createResourceContainer,
  createTmpdir,
  FrozenClock,
  isUndeclaredResource,
  MemoryProgressSink,
  missingRequired,
  ResourceRegistry,
  releasePluginResources,
  UndeclaredResource,
} from '../src/index.js';

describe('createResourceContainer', () => {
  const clock = new FrozenClock();
  const pool = { query: () => [] };

  it('without a declaration exposes every provided resource', () => {
    const c = createResourceContainer({ clock, postgres: pool, rng: undefined });
    expect(c.get('clock')).toBe(clock);
    expect(c.get('postgres')).toBe(pool);
    expect(c.has('rng')).toBe(false);
    expect(c.get('rng')).toBeUndefined();
    expect(c.names()).toEqual(['clock', 'postgres']);
  });

  it('with a declaration exposes only the declared names', () => {
    const c = createResourceContainer(
      { clock, postgres: pool, tmpdir: '/tmp/x' },
      { declared: { required: ['clock'], optional: ['blob_store', 'tmpdir'] }, plugin: 'indexer' },
    );
    expect(c.get('clock')).toBe(clock);
    expect(c.get('tmpdir')).toBe('/tmp/x');
    expect(c.get('blob_store')).toBeUndefined(); // optional and not provided
    expect(c.has('blob_store')).toBe(false);
    expect(c.has('postgres')).toBe(false); // provided but not declared
    expect(c.names()).toEqual(['clock', 'tmpdir']);
  });

  it('get of an undeclared name throws UndeclaredResource naming the plugin and the fix', () => {
    const c = createResourceContainer(
      { clock, postgres: pool },
      { declared: { required: ['clock'], optional: [] }, plugin: 'indexer' },
    );
    let caught: unknown;
    try {
      c.get('postgres');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UndeclaredResource);
    expect(caught).toBeInstanceOf(PluginRegistryError);
    expect(isUndeclaredResource(caught)).toBe(true);
    expect(isPluginError(caught)).toBe(true);
    const error = caught as UndeclaredResource;
    expect(error.plugin).toBe('indexer');
    expect(error.resourceName).toBe('postgres');
    expect(error.code).toBe('UNDECLARED_RESOURCE');
    expect(error.message).toContain('plugin "indexer"');
    expect(error.message).toContain('resource "postgres" is not declared in [plugin.resources]');
    expect(error.message).toContain('add "postgres" to required or optional of [plugin.resources]');
    expect(error.toJSON()).toMatchObject({
      code: 'UNDECLARED_RESOURCE',
      details: { resource: 'postgres', declared: ['clock'] },
    });
  });

  it('reads a ResourceRegistry (or another container) by its names', () => {
    const registry = new ResourceRegistry().register('clock', clock).register('postgres', pool);
    const c = createResourceContainer(registry, {
      declared: { required: ['clock'], optional: [] },
      plugin: 'p',
    });
    expect(c.get('clock')).toBe(clock);
    expect(c.names()).toEqual(['clock']);
    expect(() => c.get('postgres')).toThrow(UndeclaredResource);
    expect(createResourceContainer(c).names()).toEqual(['clock']);
  });

  it('the set of resources is fixed when the container is made', () => {
    const resources: Record<string, unknown> = { clock };
    const c = createResourceContainer(resources);
    resources.rng = {};
    expect(c.has('rng')).toBe(false);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('refuses a malformed declaration', () => {
    expect(() =>
      createResourceContainer({}, { declared: { required: 'clock' } as unknown as never }),
    ).toThrow(/required: string\[\]/);
  });
});

describe('get<T>(name)', () => {
  interface DBClient {
    query(sql: string): unknown[];
  }

  class GoodPlugin {
    db!: DBClient;
    progress!: ProgressSink;
    setup(ctx: { resources: ReturnType<typeof createResourceContainer> }): void {
      this.db = ctx.resources.get<DBClient>('postgres');
      this.progress = ctx.resources.get<ProgressSink>('progress');
    }
  }

  it('types the value as the caller names it and returns the resource', () => {
    const postgres: DBClient = { query: () => [] };
    const progress = new MemoryProgressSink();
    const resources = createResourceContainer(
      { postgres, progress, clock: new FrozenClock() },
      { declared: { required: ['postgres', 'progress'], optional: ['clock'] }, plugin: 'p' },
    );
    const plugin = new GoodPlugin();
    plugin.setup({ resources });
    expect(plugin.db).toBe(postgres);
    expect(plugin.progress).toBe(progress);
    expectTypeOf(resources.get('clock')).toEqualTypeOf<Clock | undefined>();
    expectTypeOf(resources.get('postgres')).toEqualTypeOf<unknown>();
    expectTypeOf(resources.get<DBClient>('postgres')).toEqualTypeOf<DBClient>();
    expectTypeOf(resources.get<Clock>('clock')).toEqualTypeOf<Clock>();
  });

  it('is the same call at run time: an optional resource not provided is undefined, an undeclared one throws', () => {
    const resources = createResourceContainer(
      { postgres: {} },
      { declared: { required: ['postgres'], optional: ['blob_store'] }, plugin: 'p' },
    );
    expect(resources.get<{ put(): void } | undefined>('blob_store')).toBeUndefined();
    expect(resources.has('blob_store')).toBe(false);
    expect(() => resources.get<DBClient>('mysql')).toThrow(UndeclaredResource);
  });
});

describe('the tmpdir of a container with an owner', () => {
  it("is the owner's own sub-folder, made on first get and removed by releasePluginResources", async () => {
    const parent = await mkdtemp(join(tmpdir(), 'dagstack-container-test-'));
    try {
      const root = createTmpdir('host-', { parent });
      const provided = { tmpdir: root, clock: new FrozenClock() };
      const declared = { required: ['tmpdir'], optional: [] };
      const a = createResourceContainer(provided, { declared, plugin: 'a', owner: 'tool/a' });
      const b = createResourceContainer(provided, { declared, plugin: 'b', owner: 'tool/b' });
      const mine = a.get('tmpdir') as TempDir;
      expect(dirname(mine.path)).toBe(root.path);
      expect(a.get('tmpdir')).toBe(mine);
      expect((b.get('tmpdir') as TempDir).path).not.toBe(mine.path);
      expect('cleanup' in mine).toBe(false);
      await mine.createFile('left', '.txt');
      await releasePluginResources(provided, 'tool/a');
      expect(existsSync(mine.path)).toBe(false);
      expect(existsSync((b.get('tmpdir') as TempDir).path)).toBe(true);
      // Without an owner the container hands out what the host gave.
      expect(createResourceContainer(provided).get('tmpdir')).toBe(root);
      // A tmpdir of another shape (a path) is passed as it is, and release is a no-op.
      const legacy = createResourceContainer({ tmpdir: '/tmp/x' }, { owner: 'tool/a' });
      expect(legacy.get('tmpdir')).toBe('/tmp/x');
      await releasePluginResources({ tmpdir: '/tmp/x' }, 'tool/a');
      await releasePluginResources({}, 'tool/a');
      await root.cleanup();
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('releasePluginResources reads a ResourceRegistry too', async () => {
    const root = createTmpdir('host-');
    try {
      const registry = new ResourceRegistry().register('tmpdir', root);
      const c = createResourceContainer(registry, {
        declared: { required: [], optional: ['tmpdir'] },
        owner: 'k/n',
      });
      const path = (c.get('tmpdir') as TempDir).path;
      expect(existsSync(path)).toBe(true);
      await releasePluginResources(registry, 'k/n');
      expect(existsSync(path)).toBe(false);
    } finally {
      await root.cleanup();
    }
  });
});

describe('missingRequired', () => {
  const declared = { required: ['clock', 'http_client', 'clock', 'postgres'], optional: ['rng'] };

  it('lists the required names a record does not provide, in order, once', () => {
    expect(missingRequired(declared, { clock: 1, postgres: undefined })).toEqual([
      'http_client',
      'postgres',
    ]);
    expect(missingRequired(declared, { clock: 1, http_client: 2, postgres: 3 })).toEqual([]);
  });

  it('accepts a container or a list of names', () => {
    expect(
      missingRequired(declared, createResourceContainer({ clock: 1, http_client: 2 })),
    ).toEqual(['postgres']);
    expect(missingRequired(declared, ['postgres', 'http_client'])).toEqual(['clock']);
    expect(missingRequired(declared, new Set(['clock', 'http_client', 'postgres']))).toEqual([]);
  });

  it('ignores optional names and inherited properties', () => {
    const record = Object.create({ postgres: 1 }) as Record<string, unknown>;
    record.clock = 1;
    record.http_client = 1;
    expect(missingRequired(declared, record)).toEqual(['postgres']);
    expect(missingRequired({ required: [] }, {})).toEqual([]);
  });
});
