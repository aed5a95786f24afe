import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isPluginError,
  isSerializationError,
  type JsonValue,
  PluginRegistryError,
  SerializationError,
} from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CheckpointConflict,
  encodeKey,
  FileCheckpointStore,
  type FileCheckpointStore as FileStore,
  InMemoryCheckpointStore,
  InvalidResourceKey,
  isCheckpointConflict,
  isInvalidResourceKey,
  isResourceError,
  ResourceError,
} from '../src/index.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dagstack-checkpoint-test-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const HOSTILE_KEYS = [
  '../escape',
  '../../etc/passwd',
  '/absolute/path',
  'C:\\windows\\system32',
  'nul\0byte',
  '.',
  '..',
  '.hidden',
  'a/b/c',
  'UPPER',
  'upper',
  'ключ',
  '🙂 emoji',
  '%2E%2E',
  'x'.repeat(5000),
  `${'ü'.repeat(300)}tail`,
];

const VERSION = /^[1-9]\d*-[0-9a-f]{12}$/;

/** The save counter of a version id of these stores. */
const counter = (version: string): number => Number(version.split('-')[0]);

/** What a rejected promise rejected with. */
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );

type Store = InMemoryCheckpointStore | FileStore;

describe.each([
  ['InMemoryCheckpointStore', (): Store => new InMemoryCheckpointStore()],
  ['FileCheckpointStore', (): Store => new FileCheckpointStore(join(dir, 'store'))],
])('%s', (_name, make) => {
  it('saves, loads, lists and deletes', async () => {
    const store = make();
    expect(await store.load('a')).toBeUndefined();
    expect(await store.list()).toEqual([]);
    const v1 = await store.save('job/1', { step: 1, done: ['a'] });
    const v2 = await store.save('job/2', [1, 'two', null, true, { nested: { x: 1.5 } }]);
    const v3 = await store.save('other', 'text');
    expect(await store.load('job/1')).toEqual({ state: { step: 1, done: ['a'] }, version: v1 });
    expect(await store.load('job/2')).toEqual({
      state: [1, 'two', null, true, { nested: { x: 1.5 } }],
      version: v2,
    });
    expect(await store.list()).toEqual([
      { key: 'job/1', version: v1 },
      { key: 'job/2', version: v2 },
      { key: 'other', version: v3 },
    ]);
    expect(await store.list('job/')).toEqual([
      { key: 'job/1', version: v1 },
      { key: 'job/2', version: v2 },
    ]);
    const v4 = await store.save('job/1', { step: 2 });
    expect(await store.load('job/1')).toEqual({ state: { step: 2 }, version: v4 });
    await store.delete('job/1');
    await store.delete('job/1');
    expect(await store.load('job/1')).toBeUndefined();
    expect(await store.list('job/')).toEqual([{ key: 'job/2', version: v2 }]);
  });

  it('a stored null is a checkpoint, not a missing one', async () => {
    const store = make();
    const version = await store.save('nothing', null);
    expect(await store.load('nothing')).toEqual({ state: null, version });
    expect(await store.load('missing')).toBeUndefined();
  });

  it('gives every save a new version id, growing per key, even for the same state', async () => {
    const store = make();
    const versions: string[] = [];
    for (let i = 0; i < 5; i++) versions.push(await store.save('k', { same: true }));
    expect(new Set(versions).size).toBe(5);
    for (const v of versions) expect(v).toMatch(VERSION);
    const counters = versions.map(counter);
    expect(counters).toEqual([...counters].sort((a, b) => a - b));
    expect(new Set(counters).size).toBe(5);
    expect((await store.load('k'))?.version).toBe(versions[4]);
  });

  it('never gives a key an id it had before, across a delete', async () => {
    const store = make();
    const before = [await store.save('k', 1), await store.save('k', 2)];
    await store.delete('k');
    const after = [await store.save('k', 1), await store.save('k', 2)];
    for (const v of after) expect(before).not.toContain(v);
    // A version read before the delete no longer matches.
    await expect(store.save('k', 3, { expectedVersion: before[1] })).rejects.toSatisfy(
      isCheckpointConflict,
    );
  });

  it('expectedVersion null creates a key only when it has no checkpoint', async () => {
    const store = make();
    const v1 = await store.save('job', { n: 1 }, { expectedVersion: null });
    const error = await rejection(store.save('job', { n: 2 }, { expectedVersion: null }));
    expect(error).toBeInstanceOf(CheckpointConflict);
    expect(error).toMatchObject({
      code: 'CHECKPOINT_CONFLICT',
      name: 'CheckpointConflict',
      key: 'job',
      expectedVersion: null,
      actualVersion: v1,
      resource: 'checkpoint',
    });
    expect((error as Error).message).toBe(
      `checkpoint: key "job" is at version "${v1}", not the expected none Hint: another writer got there first: load the checkpoint again and retry with its version`,
    );
    expect(await store.load('job')).toEqual({ state: { n: 1 }, version: v1 });
  });

  it('expectedVersion writes only over that version; a stale one is a typed conflict', async () => {
    const store = make();
    const v1 = await store.save('job', { n: 1 });
    const v2 = await store.save('job', { n: 2 }, { expectedVersion: v1 });
    expect(v2).not.toBe(v1);
    const error = await rejection(store.save('job', { n: 3 }, { expectedVersion: v1 }));
    expect(isCheckpointConflict(error)).toBe(true);
    expect(isResourceError(error)).toBe(true);
    expect(isPluginError(error, 'CHECKPOINT_CONFLICT')).toBe(true);
    expect(error).toBeInstanceOf(ResourceError);
    expect(error).toBeInstanceOf(PluginRegistryError);
    expect((error as CheckpointConflict).toJSON()).toMatchObject({
      name: 'CheckpointConflict',
      code: 'CHECKPOINT_CONFLICT',
      details: { resource: 'checkpoint', key: 'job', expectedVersion: v1, actualVersion: v2 },
    });
    expect(await store.load('job')).toEqual({ state: { n: 2 }, version: v2 });
    // A version for a key that has no checkpoint.
    await expect(store.save('fresh', 1, { expectedVersion: v1 })).rejects.toMatchObject({
      key: 'fresh',
      expectedVersion: v1,
      actualVersion: null,
    });
    expect(await store.load('fresh')).toBeUndefined();
  });

  it('delete with expectedVersion removes only that version', async () => {
    const store = make();
    const v1 = await store.save('job', 1);
    const v2 = await store.save('job', 2);
    await expect(store.delete('job', { expectedVersion: v1 })).rejects.toMatchObject({
      code: 'CHECKPOINT_CONFLICT',
      key: 'job',
      expectedVersion: v1,
      actualVersion: v2,
    });
    await expect(store.delete('job', { expectedVersion: null })).rejects.toMatchObject({
      expectedVersion: null,
      actualVersion: v2,
    });
    expect((await store.load('job'))?.version).toBe(v2);
    await store.delete('job', { expectedVersion: v2 });
    expect(await store.load('job')).toBeUndefined();
    await expect(store.delete('job', { expectedVersion: v2 })).rejects.toMatchObject({
      expectedVersion: v2,
      actualVersion: null,
    });
    await store.delete('job', { expectedVersion: null });
    await store.delete('job', {});
  });

  it('lists keys sorted in code-unit order, each with its current version', async () => {
    const store = make();
    const keys = ['b', 'a/2', 'a/10', 'B', '\uFF5E', '\u{1F642}', 'a', 'ab'];
    const versions = new Map<string, string>();
    for (const key of keys) versions.set(key, await store.save(key, key));
    versions.set('a', await store.save('a', 'again'));
    const listed = await store.list();
    expect(listed.map((e) => e.key)).toEqual([...keys].sort());
    for (const entry of listed) expect(entry.version).toBe(versions.get(entry.key));
    expect((await store.list('a')).map((e) => e.key)).toEqual(['a', 'a/10', 'a/2', 'ab']);
    expect(await store.list('zzz')).toEqual([]);
  });

  it('of concurrent saves with one expectedVersion, exactly one succeeds', async () => {
    const store = make();
    const base = await store.save('hot', { writer: -1 });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, writer) =>
        store.save('hot', { writer }, { expectedVersion: base }),
      ),
    );
    const won = results.flatMap((r, writer) =>
      r.status === 'fulfilled' ? [{ writer, version: r.value }] : [],
    );
    expect(won).toHaveLength(1);
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(lost).toHaveLength(9);
    for (const error of lost) {
      expect(error).toMatchObject({
        code: 'CHECKPOINT_CONFLICT',
        expectedVersion: base,
        actualVersion: won[0]?.version,
      });
    }
    expect(await store.load('hot')).toEqual({
      state: { writer: won[0]?.writer },
      version: won[0]?.version,
    });
  });

  it.each([
    ['a number', { expectedVersion: 42 }, /expectedVersion must be a version id.*got number/],
    ['an empty string', { expectedVersion: '' }, /expectedVersion must be a version id.*got ""/],
    ['options that are not an object', 'v1', /the options must be an object, got "v1"/],
  ])('refuses %s as write options with a ResourceError', async (_what, options, message) => {
    const store = make();
    await store.save('k', 1);
    const bad = options as unknown as { expectedVersion: string };
    await expect(store.save('k', 2, bad)).rejects.toThrow(message);
    await expect(store.delete('k', bad)).rejects.toSatisfy(isResourceError);
    expect((await store.load('k'))?.state).toBe(1);
  });

  it('stores copies: mutating the saved or loaded object changes nothing', async () => {
    const store = make();
    const value = { items: [1, 2], meta: { ok: true } };
    await store.save('k', value);
    value.items.push(3);
    value.meta.ok = false;
    const loaded = (await store.load('k'))?.state as { items: number[]; meta: { ok: boolean } };
    expect(loaded).toEqual({ items: [1, 2], meta: { ok: true } });
    loaded.items.push(99);
    expect((await store.load('k'))?.state).toEqual({ items: [1, 2], meta: { ok: true } });
  });

  it('keeps a __proto__ key as data', async () => {
    const store = make();
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as JsonValue;
    await store.save('proto', value);
    const loaded = (await store.load('proto'))?.state as Record<string, unknown>;
    expect(Object.keys(loaded)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['undefined at the root', undefined, ''],
    ['a function', { a: { b: () => 1 } }, '/a/b'],
    ['NaN', { list: [1, Number.NaN] }, '/list/1'],
    ['Infinity', { 'a/b~c': Number.POSITIVE_INFINITY }, '/a~1b~0c'],
    ['a bigint', [10n], '/0'],
    ['a Date', { when: new Date(0) }, '/when'],
    ['a Map', { m: new Map() }, '/m'],
    ['undefined in an object', { x: undefined }, '/x'],
    ['a symbol', { s: Symbol('s') }, '/s'],
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    ['a sparse array', [1, , 3], '/1'],
  ])('refuses %s with SerializationError at the JSON pointer', async (_what, value, pointer) => {
    const store = make();
    const error: unknown = await store.save('bad', value as JsonValue).catch((e: unknown) => e);
    expect(isSerializationError(error)).toBe(true);
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as SerializationError).pointer).toBe(pointer);
    expect((error as Error).message).toContain(pointer === '' ? '(root)' : pointer);
    expect(await store.load('bad')).toBeUndefined();
  });

  it('refuses circular values with the pointer of the cycle', async () => {
    const store = make();
    const b: Record<string, unknown> = {};
    const value: Record<string, unknown> = { a: { b } };
    b.back = value;
    await expect(store.save('cycle', value as JsonValue)).rejects.toMatchObject({
      pointer: '/a/b/back',
      message: expect.stringMatching(/circular/),
    });
  });

  it('accepts the same object twice (not a cycle)', async () => {
    const store = make();
    const shared = { x: 1 };
    await store.save('dag', { a: shared, b: shared, c: [shared, shared] });
    expect((await store.load('dag'))?.state).toEqual({
      a: { x: 1 },
      b: { x: 1 },
      c: [{ x: 1 }, { x: 1 }],
    });
  });

  it('refuses empty and non-string keys and lone surrogates with InvalidResourceKey', async () => {
    const store = make();
    await expect(store.save('', 1)).rejects.toBeInstanceOf(InvalidResourceKey);
    await expect(store.load(42 as unknown as string)).rejects.toSatisfy(isInvalidResourceKey);
    await expect(store.save('bad\uD800key', 1)).rejects.toThrow(/lone UTF-16 surrogate/);
    await expect(store.delete('')).rejects.toThrow(/the key is empty/);
  });

  it('round-trips hostile keys: they list as given and never collide', async () => {
    const store = make();
    for (const [i, key] of HOSTILE_KEYS.entries()) await store.save(key, { i });
    for (const [i, key] of HOSTILE_KEYS.entries()) {
      expect((await store.load(key))?.state).toEqual({ i });
    }
    expect((await store.list()).map((e) => e.key)).toEqual([...HOSTILE_KEYS].sort());
    expect((await store.list('..')).map((e) => e.key)).toEqual([
      '..',
      '../../etc/passwd',
      '../escape',
    ]);
    expect((await store.list('x'.repeat(4000))).map((e) => e.key)).toEqual(['x'.repeat(5000)]);
  });
});

describe('InMemoryCheckpointStore versions', () => {
  it('a fresh store given the same calls gives the same ids (a deterministic test double)', async () => {
    const run = async (): Promise<string[]> => {
      const store = new InMemoryCheckpointStore();
      return [
        await store.save('a', { n: 1 }),
        await store.save('b', { n: 1 }),
        await store.save('a', { n: 2 }),
      ];
    };
    const first = await run();
    expect(await run()).toEqual(first);
    // The same state under two keys: different counters, the same state hash.
    expect(first[0]?.split('-')[1]).toBe(first[1]?.split('-')[1]);
    expect(first[0]).not.toBe(first[1]);
  });
});

describe('FileCheckpointStore on disk', () => {
  it('keeps every file inside its folder, one JSON file per key, version beside the state', async () => {
    const storeDir = join(dir, 'inner', 'store');
    const store = new FileCheckpointStore(storeDir);
    for (const key of HOSTILE_KEYS) await store.save(key, key.length);
    expect(await readdir(dir)).toEqual(['inner']);
    expect(await readdir(join(dir, 'inner'))).toEqual(['store']);
    const files = await readdir(storeDir);
    expect(files).toHaveLength(HOSTILE_KEYS.length);
    for (const file of files) {
      expect(file).toMatch(/^(?:[a-z0-9_-]|%[0-9A-F]{2})+(?:~[0-9a-f]{64})?\.json$/);
      expect(Buffer.byteLength(file)).toBeLessThan(255);
    }
    const sample = JSON.parse(await readFile(join(storeDir, 'upper.json'), 'utf8')) as unknown;
    const version = (await store.load('upper'))?.version;
    expect(version).toMatch(/^1-[0-9a-f]{12}$/);
    expect(sample).toEqual({ key: 'upper', version, value: 5 });
  });

  it('a second store on the same folder reads what the first wrote', async () => {
    const version = await new FileCheckpointStore(dir).save('shared', { v: 1 });
    expect(await new FileCheckpointStore(dir).load('shared')).toEqual({
      state: { v: 1 },
      version,
    });
    expect(await new FileCheckpointStore(dir).list()).toEqual([{ key: 'shared', version }]);
    const next = await new FileCheckpointStore(dir).save('shared', 2, { expectedVersion: version });
    expect(counter(next)).toBe(2);
  });

  it('stores on one folder share the lock: of concurrent conditional saves, one wins', async () => {
    const stores = Array.from({ length: 4 }, () => new FileCheckpointStore(dir));
    const base = await stores[0]?.save('hot', 0);
    const results = await Promise.allSettled(
      stores.flatMap((store, s) =>
        [0, 1, 2].map((i) => store.save('hot', s * 10 + i, { expectedVersion: base })),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const reasons = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(reasons).toHaveLength(11);
    for (const reason of reasons) expect(isCheckpointConflict(reason)).toBe(true);
    expect(await readdir(dir)).toEqual(['hot.json']);
  });

  it('loads a file written before 0.2.1 (no version) with a stable version, and saves over it', async () => {
    await writeFile(join(dir, 'old.json'), '{"key":"old","value":{"n":1}}\n');
    const store = new FileCheckpointStore(dir);
    const loaded = await store.load('old');
    expect(loaded?.state).toEqual({ n: 1 });
    expect(loaded?.version).toMatch(/^0-[0-9a-f]{12}$/);
    expect((await store.load('old'))?.version).toBe(loaded?.version);
    expect(await store.list()).toEqual([{ key: 'old', version: loaded?.version }]);
    await expect(store.save('old', 2, { expectedVersion: '0-000000000000' })).rejects.toSatisfy(
      isCheckpointConflict,
    );
    const next = await store.save('old', { n: 2 }, { expectedVersion: loaded?.version ?? null });
    expect(next).toMatch(/^1-[0-9a-f]{12}$/);
  });

  it('keys too long for the head of the file still get their versions (read whole)', async () => {
    const store = new FileCheckpointStore(dir);
    const long = `${'k'.repeat(70_000)}"\\`;
    const v1 = await store.save(long, { n: 1 });
    const v2 = await store.save(long, { n: 2 }, { expectedVersion: v1 });
    expect(counter(v2)).toBe(2);
    await expect(store.save(long, 3, { expectedVersion: v1 })).rejects.toMatchObject({
      actualVersion: v2,
    });
    expect(await store.list()).toEqual([{ key: long, version: v2 }]);
    await store.delete(long, { expectedVersion: v2 });
    expect(await store.list()).toEqual([]);
  });

  it('many concurrent saves of one key leave one whole value and no temp or lock files', async () => {
    const store = new FileCheckpointStore(dir);
    // Large enough that a plain writeFile needs several write calls.
    const big = (i: number): JsonValue => ({
      writer: i,
      payload: String(i % 10).repeat(1_500_000),
    });
    await store.save('hot', big(0));
    let writing = true;
    const problems: unknown[] = [];
    let reads = 0;
    // Readers racing the writers must see a whole value every time, never a torn file.
    const readers = Array.from({ length: 3 }, async () => {
      while (writing) {
        try {
          const v = (await store.load('hot'))?.state as { writer: number; payload: string };
          reads++;
          if (v.payload !== String(v.writer % 10).repeat(1_500_000)) problems.push('mixed');
        } catch (error) {
          problems.push(error);
        }
        // Let the writers' (now serialised) steps in between reads.
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    const versions = await Promise.all(
      Array.from({ length: 24 }, (_, i) => store.save('hot', big(i + 1))),
    ).finally(() => {
      writing = false;
    });
    await Promise.all(readers);
    expect(problems).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    // Unconditional saves of one key run one after another: counters 2..25.
    expect(versions.map(counter)).toEqual(Array.from({ length: 24 }, (_, i) => i + 2));
    const final = await store.load('hot');
    const state = final?.state as { writer: number; payload: string };
    expect(state.payload).toBe(String(state.writer % 10).repeat(1_500_000));
    expect(final?.version).toBe(versions[23]);
    expect(await readdir(dir)).toEqual(['hot.json']);
  });

  it('reads after a completed write see the write', async () => {
    const store = new FileCheckpointStore(dir);
    for (let i = 0; i < 50; i++) {
      const version = await store.save('counter', i);
      expect(await store.load('counter')).toEqual({ state: i, version });
    }
  });

  it('ignores files it did not write and reports a corrupt checkpoint as SerializationError', async () => {
    const store = new FileCheckpointStore(dir);
    const version = await store.save('ok', 1);
    await writeFile(join(dir, 'notes.txt'), 'x');
    await writeFile(join(dir, '%61.json'), '{"key":"a","value":1}'); // not how "a" is encoded
    await writeFile(join(dir, 'b.json'), '{"key":"not-b","value":1}'); // another key's content
    await writeFile(join(dir, '.tmp-123-leftover'), 'partial');
    await writeFile(join(dir, '.lock-zzz.broken-abc'), '{}');
    expect(await store.list()).toEqual([{ key: 'ok', version }]);
    await writeFile(join(dir, 'broken.json'), '{"key":"broken","val');
    const error: unknown = await store.load('broken').catch((e: unknown) => e);
    expect(isSerializationError(error)).toBe(true);
    expect((error as SerializationError).path).toBe(join(dir, 'broken.json'));
    await expect(store.list()).rejects.toSatisfy(isSerializationError);
    await writeFile(join(dir, 'badversion.json'), '{"key":"badversion","version":7,"value":1}');
    await expect(store.load('badversion')).rejects.toMatchObject({ pointer: '/version' });
  });

  it('a damaged file: an unconditional save or delete replaces it, a conditional one reports it', async () => {
    const store = new FileCheckpointStore(dir);
    await writeFile(join(dir, 'broken.json'), '{"key":"broken","val');
    await expect(store.save('broken', 1, { expectedVersion: null })).rejects.toSatisfy(
      isSerializationError,
    );
    await expect(store.delete('broken', { expectedVersion: null })).rejects.toSatisfy(
      isSerializationError,
    );
    const version = await store.save('broken', 1);
    expect(version).toMatch(/^1-/);
    expect(await store.load('broken')).toEqual({ state: 1, version });
    await writeFile(join(dir, 'broken.json'), 'garbage');
    await store.delete('broken');
    expect(await readdir(dir)).toEqual([]);
  });

  it('creates its folder on the first save, and again if it was removed', async () => {
    const storeDir = join(dir, 'later');
    const store = new FileCheckpointStore(storeDir);
    expect(await store.list()).toEqual([]);
    expect(await store.load('x')).toBeUndefined();
    await store.save('x', 1);
    await rm(storeDir, { recursive: true });
    const version = await store.save('y', 2);
    expect(await store.list()).toEqual([{ key: 'y', version }]);
  });

  it('waits for a lock another writer holds, then fails naming the holder', async () => {
    const store = new FileCheckpointStore(dir, { lockTimeoutMs: 150, staleLockMs: 60_000 });
    await store.save('k', 1);
    const lock = join(dir, `.lock-${encodeKey('k')}`);
    await writeFile(
      lock,
      JSON.stringify({ pid: 424242, host: 'elsewhere', token: 't', since: '2026-01-01T00:00:00Z' }),
    );
    const started = Date.now();
    const error = await rejection(store.save('k', 2));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(isResourceError(error)).toBe(true);
    expect(isCheckpointConflict(error)).toBe(false);
    expect((error as ResourceError).path).toBe(lock);
    expect((error as Error).message).toContain(
      'checkpoint: key "k" is locked by another writer (pid 424242 on elsewhere since 2026-01-01T00:00:00Z); gave up after 150 ms',
    );
    await expect(store.delete('k')).rejects.toThrow(/is locked by another writer/);
    // Reads take no lock.
    expect((await store.load('k'))?.state).toBe(1);
    await rm(lock);
    expect(counter(await store.save('k', 2))).toBe(2);
  });

  it('breaks a lock left behind by a writer that died (older than staleLockMs)', async () => {
    const store = new FileCheckpointStore(dir, { lockTimeoutMs: 5_000, staleLockMs: 1_000 });
    const v1 = await store.save('k', 1);
    const lock = join(dir, `.lock-${encodeKey('k')}`);
    await writeFile(lock, JSON.stringify({ pid: 424242, host: 'elsewhere', token: 't' }));
    const old = new Date(Date.now() - 5_000);
    await utimes(lock, old, old);
    const started = Date.now();
    const v2 = await store.save('k', 2, { expectedVersion: v1 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await store.load('k')).toEqual({ state: 2, version: v2 });
    expect(await readdir(dir)).toEqual(['k.json']);
  });

  it('refuses lock timings that are not positive numbers', () => {
    expect(() => new FileCheckpointStore(dir, { lockTimeoutMs: 0 })).toThrow(
      /lockTimeoutMs must be a positive number of milliseconds, got number/,
    );
    expect(() => new FileCheckpointStore(dir, { staleLockMs: Number.NaN })).toThrow(ResourceError);
  });
});
