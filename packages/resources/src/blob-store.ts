/**
 * Blob stores: {@link InMemoryBlobStore} (alias {@link MemoryBlobStore}) and
 * {@link FileBlobStore}. Both copy bytes in and out (a caller mutating its
 * buffer never changes a stored blob), reject `get` of a missing key with
 * {@link BlobNotFound}, and add `head(key)` to the `BlobStore` protocol so the
 * content type can be read back.
 */

import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BlobStore } from '@dagstack/plugin-api';
import { BlobNotFound, ResourceError } from './errors.js';
import { hasCode, KeyedQueue, readIfExists, unlinkIfExists, writeIntoDir } from './fs-atomic.js';
import { assertValidKey, decodeKey, encodeKey } from './keys.js';

const RESOURCE = 'blob_store';

/**
 * What is known about a stored blob.
 * @since 0.1.0
 */
export interface BlobInfo {
  /** Size in bytes. */
  readonly size: number;
  /** The content type given to `put`, if any. */
  readonly contentType?: string;
}

/** Options of `BlobStore.put`. @since 0.1.0 */
export interface BlobPutOptions {
  /** MIME type kept with the blob and returned by `head`. */
  contentType?: string;
}

function checkData(data: unknown): Uint8Array {
  if (!(data instanceof Uint8Array)) {
    throw new ResourceError(`put: the data must be a Uint8Array, got ${typeof data}`, {
      resource: RESOURCE,
      hint: 'pass bytes, e.g. new TextEncoder().encode(text) or a Buffer',
    });
  }
  return data;
}

function checkContentType(options: BlobPutOptions | undefined): string | undefined {
  const type = options?.contentType;
  if (type !== undefined && typeof type !== 'string') {
    throw new ResourceError('put: contentType must be a string', {
      resource: RESOURCE,
      hint: 'pass a MIME type such as "application/pdf", or leave it out',
    });
  }
  return type;
}

function checkPrefix(prefix: unknown): string {
  if (prefix === undefined) return '';
  if (typeof prefix !== 'string') {
    throw new ResourceError(`list(prefix): the prefix must be a string, got ${typeof prefix}`, {
      resource: RESOURCE,
      hint: 'call list() for every key, or list("some/prefix")',
    });
  }
  return prefix;
}

/**
 * Blobs in memory. For tests and development.
 * @since 0.1.0
 */
export class InMemoryBlobStore implements BlobStore {
  readonly #blobs = new Map<string, { data: Uint8Array; contentType: string | undefined }>();

  /** Store a copy of `data` under `key`. */
  async put(key: string, data: Uint8Array, options?: BlobPutOptions): Promise<void> {
    assertValidKey(key, RESOURCE);
    const bytes = checkData(data);
    const contentType = checkContentType(options);
    this.#blobs.set(key, { data: bytes.slice(), contentType });
  }

  /** A copy of the blob under `key`; {@link BlobNotFound} when there is none. */
  async get(key: string): Promise<Uint8Array> {
    assertValidKey(key, RESOURCE);
    const blob = this.#blobs.get(key);
    if (blob === undefined) throw new BlobNotFound({ key });
    return blob.data.slice();
  }

  /** Size and content type of the blob under `key`, or `undefined`. */
  async head(key: string): Promise<BlobInfo | undefined> {
    assertValidKey(key, RESOURCE);
    const blob = this.#blobs.get(key);
    if (blob === undefined) return undefined;
    return blob.contentType === undefined
      ? { size: blob.data.byteLength }
      : { size: blob.data.byteLength, contentType: blob.contentType };
  }

  /** Whether a blob is stored under `key`. */
  async exists(key: string): Promise<boolean> {
    assertValidKey(key, RESOURCE);
    return this.#blobs.has(key);
  }

  /** Remove `key`; a missing key is not an error. */
  async delete(key: string): Promise<void> {
    assertValidKey(key, RESOURCE);
    this.#blobs.delete(key);
  }

  /** Keys starting with `prefix` (all keys without one), sorted. */
  async list(prefix?: string): Promise<string[]> {
    const p = checkPrefix(prefix);
    return [...this.#blobs.keys()].filter((k) => k.startsWith(p)).sort();
  }
}

/**
 * The name the dagstack docs also give {@link InMemoryBlobStore}: the same class.
 * @since 0.2.1
 */
export const MemoryBlobStore: typeof InMemoryBlobStore = InMemoryBlobStore;
/** An instance of {@link InMemoryBlobStore}, under its alias. @since 0.2.1 */
export type MemoryBlobStore = InMemoryBlobStore;

const DATA_SUFFIX = '.blob';
const META_SUFFIX = '.meta.json';

interface MetaFile {
  key: string;
  size: number;
  contentType?: string;
}

/**
 * Blobs as files in `dir`: the bytes in `<encoded key>.blob`, and a sidecar
 * `<encoded key>.meta.json` holding `{"key", "size", "contentType"}`. Each
 * file is replaced atomically (unique temp file, fsync, rename), so `get`
 * never sees a torn blob, and a `get` after a completed `put` sees that put.
 * Puts and deletes of one key are serialised inside this object (the sidecar
 * is written first, then the bytes); `head` reports a content type only when
 * the sidecar's size matches the bytes on disk. Keys are encoded (see
 * `encodeKey`) so no key can name a file outside `dir`. The folder is created
 * on the first put.
 * @since 0.1.0
 */
export class FileBlobStore implements BlobStore {
  /** The folder holding the blob files (absolute). */
  readonly dir: string;
  readonly #queue = new KeyedQueue();

  constructor(dir: string) {
    if (typeof dir !== 'string' || dir === '') {
      throw new ResourceError('FileBlobStore needs the folder to keep blobs in', {
        resource: RESOURCE,
        hint: 'pass a folder path, e.g. new FileBlobStore("/var/lib/app/blobs")',
      });
    }
    this.dir = resolve(dir);
  }

  #paths(key: string): { data: string; meta: string } {
    const name = encodeKey(key);
    return {
      data: join(this.dir, `${name}${DATA_SUFFIX}`),
      meta: join(this.dir, `${name}${META_SUFFIX}`),
    };
  }

  /** Atomically replace the blob under `key` with a copy of `data`. */
  async put(key: string, data: Uint8Array, options?: BlobPutOptions): Promise<void> {
    assertValidKey(key, RESOURCE);
    const bytes = checkData(data).slice();
    const contentType = checkContentType(options);
    const meta: MetaFile = { key, size: bytes.byteLength };
    if (contentType !== undefined) meta.contentType = contentType;
    const paths = this.#paths(key);
    await this.#queue.run(key, async () => {
      await writeIntoDir(this.dir, paths.meta, `${JSON.stringify(meta)}\n`);
      await writeIntoDir(this.dir, paths.data, bytes);
    });
  }

  /** The blob under `key`; {@link BlobNotFound} when there is none. */
  async get(key: string): Promise<Uint8Array> {
    assertValidKey(key, RESOURCE);
    const data = await readIfExists(this.#paths(key).data);
    if (data === undefined) throw new BlobNotFound({ key });
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  }

  /** Size and content type of the blob under `key`, or `undefined`. */
  async head(key: string): Promise<BlobInfo | undefined> {
    assertValidKey(key, RESOURCE);
    const paths = this.#paths(key);
    let size: number;
    try {
      size = (await stat(paths.data)).size;
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return undefined;
      throw error;
    }
    const meta = await readMeta(paths.meta);
    if (meta?.key === key && meta.size === size && meta.contentType !== undefined) {
      return { size, contentType: meta.contentType };
    }
    return { size };
  }

  /** Whether a blob is stored under `key`. */
  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  /** Remove the blob under `key` and its sidecar; a missing key is not an error. */
  async delete(key: string): Promise<void> {
    assertValidKey(key, RESOURCE);
    const paths = this.#paths(key);
    await this.#queue.run(key, async () => {
      await unlinkIfExists(paths.data);
      await unlinkIfExists(paths.meta);
    });
  }

  /** Original keys starting with `prefix` (all keys without one), sorted. */
  async list(prefix?: string): Promise<string[]> {
    const p = checkPrefix(prefix);
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return [];
      throw error;
    }
    const keys: string[] = [];
    for (const name of names) {
      if (name.startsWith('.') || !name.endsWith(DATA_SUFFIX)) continue;
      const stem = name.slice(0, -DATA_SUFFIX.length);
      let key = decodeKey(stem);
      if (key !== undefined && encodeKey(key) !== stem) continue; // not a name this store writes
      if (key === undefined) {
        // A name shortened with a hash: the key is in the sidecar.
        const meta = await readMeta(join(this.dir, `${stem}${META_SUFFIX}`));
        if (meta === undefined || encodeKey(meta.key) !== stem) continue;
        key = meta.key;
      }
      if (key.startsWith(p)) keys.push(key);
    }
    return keys.sort();
  }
}

async function readMeta(path: string): Promise<MetaFile | undefined> {
  const data = await readIfExists(path);
  if (data === undefined) return undefined;
  try {
    const parsed = JSON.parse(data.toString('utf8')) as Partial<MetaFile> | null;
    if (typeof parsed?.key !== 'string' || typeof parsed.size !== 'number') return undefined;
    return parsed as MetaFile;
  } catch {
    return undefined;
  }
}
