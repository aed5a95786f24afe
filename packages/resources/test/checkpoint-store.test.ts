import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSerializationError, type JsonValue, SerializationError } from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FileCheckpointStore,
  type FileCheckpointStore as FileStore,
  InMemoryCheckpointStore,
  InvalidResourceKey,
  isInvalidResourceKey,
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

type Store = InMemoryCheckpointStore | FileStore;

describe.each([
  ['InMemoryCheckpointStore', (): Store => new InMemoryCheckpointStore()],
  ['FileCheckpointStore', (): Store => new FileCheckpointStore(join(dir, 'store'))],
])('%s', (_name, make) => {
  it('saves, loads, lists and deletes', async () => {
    const store = make();
    expect(await store.load('a')).toBeUndefined();
    expect(await store.list()).toEqual([]);
    await store.save('job/1', { step: 1, done: ['a'] });
    await store.save('job/2', [1, 'two', null, true, { nested: { x: 1.5 } }]);
    await store.save('other', 'text');
    expect(await store.load('job/1')).toEqual({ step: 1, done: ['a'] });
    expect(await store.load('job/2')).toEqual([1, 'two', null, true, { nested: { x: 1.5 } }]);
    expect(await store.list()).toEqual(['job/1', 'job/2', 'other']);
    expect(await store.list('job/')).toEqual(['job/1', 'job/2']);
    await store.save('job/1', { step: 2 });
    expect(await store.load('job/1')).toEqual({ step: 2 });
    await store.delete('job/1');
    await store.delete('job/1');
    expect(await store.load('job/1')).toBeUndefined();
    expect(await store.list('job/')).toEqual(['job/2']);
  });

  it('stores copies: mutating the saved or loaded object changes nothing', async () => {
    const store = make();
    const value = { items: [1, 2], meta: { ok: true } };
    await store.save('k', value);
    value.items.push(3);
    value.meta.ok = false;
    const loaded = (await store.load('k')) as { items: number[]; meta: { ok: boolean } };
    expect(loaded).toEqual({ items: [1, 2], meta: { ok: true } });
    loaded.items.push(99);
    expect(await store.load('k')).toEqual({ items: [1, 2], meta: { ok: true } });
  });

  it('keeps a __proto__ key as data', async () => {
    const store = make();
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as JsonValue;
    await store.save('proto', value);
    const loaded = (await store.load('proto')) as Record<string, unknown>;
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
    expect(await store.load('dag')).toEqual({ a: { x: 1 }, b: { x: 1 }, c: [{ x: 1 }, { x: 1 }] });
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
    for (const [i, key] of HOSTILE_KEYS.entries()) expect(await store.load(key)).toEqual({ i });
    expect(await store.list()).toEqual([...HOSTILE_KEYS].sort());
    expect(await store.list('..')).toEqual(['..', '../../etc/passwd', '../escape']);
    expect(await store.list('x'.repeat(4000))).toEqual(['x'.repeat(5000)]);
  });
});

describe('FileCheckpointStore on disk', () => {
  it('keeps every file inside its folder, one JSON file per key', async () => {
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
    expect(sample).toEqual({ key: 'upper', value: 5 });
  });

  it('a second store on the same folder reads what the first wrote', async () => {
    await new FileCheckpointStore(dir).save('shared', { v: 1 });
    expect(await new FileCheckpointStore(dir).load('shared')).toEqual({ v: 1 });
    expect(await new FileCheckpointStore(dir).list()).toEqual(['shared']);
  });

  it('many concurrent saves of one key leave one whole value and no temp files', async () => {
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
          const v = (await store.load('hot')) as { writer: number; payload: string };
          reads++;
          if (v.payload !== String(v.writer % 10).repeat(1_500_000)) problems.push('mixed');
        } catch (error) {
          problems.push(error);
        }
      }
    });
    await Promise.all(Array.from({ length: 24 }, (_, i) => store.save('hot', big(i + 1)))).finally(
      () => {
        writing = false;
      },
    );
    await Promise.all(readers);
    expect(problems).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    const final = (await store.load('hot')) as { writer: number; payload: string };
    expect(final.payload).toBe(String(final.writer % 10).repeat(1_500_000));
    expect(await readdir(dir)).toEqual(['hot.json']);
  });

  it('reads after a completed write see the write', async () => {
    const store = new FileCheckpointStore(dir);
    for (let i = 0; i < 50; i++) {
      await store.save('counter', i);
      expect(await store.load('counter')).toBe(i);
    }
  });

  it('ignores files it did not write and reports a corrupt checkpoint as SerializationError', async () => {
    const store = new FileCheckpointStore(dir);
    await store.save('ok', 1);
    await writeFile(join(dir, 'notes.txt'), 'x');
    await writeFile(join(dir, '%61.json'), '{"key":"a","value":1}'); // not how "a" is encoded
    await writeFile(join(dir, '.tmp-123-leftover'), 'partial');
    expect(await store.list()).toEqual(['ok']);
    await writeFile(join(dir, 'broken.json'), '{"key":"broken","val');
    const error: unknown = await store.load('broken').catch((e: unknown) => e);
    expect(isSerializationError(error)).toBe(true);
    expect((error as SerializationError).path).toBe(join(dir, 'broken.json'));
  });

  it('creates its folder on the first save, and again if it was removed', async () => {
    const storeDir = join(dir, 'later');
    const store = new FileCheckpointStore(storeDir);
    expect(await store.list()).toEqual([]);
    expect(await store.load('x')).toBeUndefined();
    await store.save('x', 1);
    await rm(storeDir, { recursive: true });
    await store.save('y', 2);
    expect(await store.list()).toEqual(['y']);
  });
});
