import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore } from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BlobNotFound,
  FileBlobStore,
  InMemoryBlobStore,
  isBlobNotFound,
  isInvalidResourceKey,
  isResourceError,
  MemoryBlobStore,
} from '../src/index.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dagstack-blob-test-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (data: Uint8Array): string => new TextDecoder().decode(data);

type Store = InMemoryBlobStore | FileBlobStore;

describe.each([
  ['InMemoryBlobStore', (): Store => new InMemoryBlobStore()],
  ['FileBlobStore', (): Store => new FileBlobStore(join(dir, 'blobs'))],
])('%s', (_name, make) => {
  it('puts, gets, lists, heads and deletes', async () => {
    const store = make();
    await expect(store.get('a')).rejects.toSatisfy(isBlobNotFound);
    expect(await store.head('a')).toBeUndefined();
    expect(await store.exists('a')).toBe(false);
    await store.put('docs/a.pdf', bytes('%PDF-1.7'), { contentType: 'application/pdf' });
    await store.put('docs/b.txt', bytes('hello'));
    await store.put('img/c.png', new Uint8Array([0, 255, 10, 13]), { contentType: 'image/png' });
    expect(text(await store.get('docs/b.txt'))).toBe('hello');
    expect(Array.from(await store.get('img/c.png'))).toEqual([0, 255, 10, 13]);
    expect(await store.head('docs/a.pdf')).toEqual({ size: 8, contentType: 'application/pdf' });
    expect(await store.head('docs/b.txt')).toEqual({ size: 5 });
    expect(await store.exists('img/c.png')).toBe(true);
    expect(await store.list()).toEqual(['docs/a.pdf', 'docs/b.txt', 'img/c.png']);
    expect(await store.list('docs/')).toEqual(['docs/a.pdf', 'docs/b.txt']);
    await store.put('docs/a.pdf', bytes('v2'));
    expect(await store.head('docs/a.pdf')).toEqual({ size: 2 });
    await store.delete('docs/a.pdf');
    await store.delete('docs/a.pdf');
    expect(await store.exists('docs/a.pdf')).toBe(false);
    await expect(store.get('docs/a.pdf')).rejects.toSatisfy(isBlobNotFound);
    expect(await store.list()).toEqual(['docs/b.txt', 'img/c.png']);
  });

  it('copies bytes in and out', async () => {
    const store = make();
    const data = bytes('abc');
    await store.put('k', data);
    data[0] = 0x7a;
    const out = await store.get('k');
    expect(text(out)).toBe('abc');
    out[1] = 0x7a;
    expect(text(await store.get('k'))).toBe('abc');
  });

  it('get of a missing key rejects with BlobNotFound naming the key and the fix', async () => {
    const store: BlobStore = make();
    let caught: unknown;
    try {
      await store.get('reports/missing.pdf');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BlobNotFound);
    expect(isResourceError(caught)).toBe(true);
    const error = caught as BlobNotFound;
    expect(error.code).toBe('BLOB_NOT_FOUND');
    expect(error.key).toBe('reports/missing.pdf');
    expect(error.message).toContain(
      'blob_store: no blob is stored under key "reports/missing.pdf"',
    );
    expect(error.message).toContain('exists(key)');
    expect(error.toJSON()).toMatchObject({
      details: { resource: 'blob_store', key: 'reports/missing.pdf' },
    });
  });

  it('stores empty blobs and Buffers', async () => {
    const store = make();
    await store.put('empty', new Uint8Array(0));
    await store.put('buf', Buffer.from('buffer'));
    expect(await store.get('empty')).toEqual(new Uint8Array(0));
    expect(await store.head('empty')).toEqual({ size: 0 });
    expect(text(await store.get('buf'))).toBe('buffer');
  });

  it('refuses bad keys, data and content types with typed errors', async () => {
    const store = make();
    await expect(store.put('', bytes('x'))).rejects.toSatisfy(isInvalidResourceKey);
    await expect(store.get('\uDC00')).rejects.toSatisfy(isInvalidResourceKey);
    await expect(store.put('k', 'text' as unknown as Uint8Array)).rejects.toThrow(
      /must be a Uint8Array/,
    );
    await expect(
      store.put('k', bytes('x'), { contentType: 5 as unknown as string }),
    ).rejects.toSatisfy(isResourceError);
    expect(await store.list()).toEqual([]);
  });

  it('round-trips keys that try to escape the folder', async () => {
    const store = make();
    const keys = ['../up', '/abs', 'nul\0', '..', 'k'.repeat(3000), 'Mixed/Case'];
    for (const key of keys) await store.put(key, bytes(key), { contentType: 'text/plain' });
    for (const key of keys) {
      expect(text(await store.get(key))).toBe(key);
      expect((await store.head(key))?.contentType).toBe('text/plain');
    }
    expect(await store.list()).toEqual([...keys].sort());
  });
});

describe('MemoryBlobStore', () => {
  it("is InMemoryBlobStore under the docs' other name", async () => {
    expect(MemoryBlobStore).toBe(InMemoryBlobStore);
    const store: MemoryBlobStore = new MemoryBlobStore();
    await store.put('k', bytes('v'));
    expect(store).toBeInstanceOf(InMemoryBlobStore);
    expect(text(await store.get('k'))).toBe('v');
  });
});

describe('FileBlobStore on disk', () => {
  it('keeps raw bytes in <name>.blob and the content type in a sidecar, inside its folder', async () => {
    const store = new FileBlobStore(dir);
    await store.put('../report.pdf', bytes('%PDF'), { contentType: 'application/pdf' });
    expect((await readdir(dir)).sort()).toEqual([
      '%2E%2E%2Freport%2Epdf.blob',
      '%2E%2E%2Freport%2Epdf.meta.json',
    ]);
    expect(await readFile(join(dir, '%2E%2E%2Freport%2Epdf.blob'), 'utf8')).toBe('%PDF');
    expect(
      JSON.parse(await readFile(join(dir, '%2E%2E%2Freport%2Epdf.meta.json'), 'utf8')) as unknown,
    ).toEqual({ key: '../report.pdf', size: 4, contentType: 'application/pdf' });
  });

  it('does not report a content type whose sidecar does not match the bytes', async () => {
    const store = new FileBlobStore(dir);
    await store.put('k', bytes('four'), { contentType: 'text/plain' });
    await writeFile(join(dir, 'k.blob'), 'changed outside the store');
    expect(await store.head('k')).toEqual({ size: 25 });
  });

  it('many concurrent puts of one key leave one whole blob with its own content type', async () => {
    const store = new FileBlobStore(dir);
    const blob = (i: number): Uint8Array => bytes(String(i).padStart(3, '0').repeat(30_000));
    await Promise.all(
      Array.from({ length: 48 }, (_, i) => store.put('hot', blob(i), { contentType: `type/${i}` })),
    );
    const data = text(await store.get('hot'));
    const writer = Number(data.slice(0, 3));
    expect(data).toBe(String(writer).padStart(3, '0').repeat(30_000));
    expect(await store.head('hot')).toEqual({ size: 90_000, contentType: `type/${writer}` });
    expect((await readdir(dir)).sort()).toEqual(['hot.blob', 'hot.meta.json']);
  });

  it('a second store on the same folder lists and reads what the first wrote', async () => {
    await new FileBlobStore(dir).put('x'.repeat(400), bytes('long'), { contentType: 'a/b' });
    const other = new FileBlobStore(dir);
    expect(await other.list()).toEqual(['x'.repeat(400)]);
    expect(await other.head('x'.repeat(400))).toEqual({ size: 4, contentType: 'a/b' });
  });
});
