/**
 * Checkpoint stores: {@link InMemoryCheckpointStore} and
 * {@link FileCheckpointStore}. Both refuse values that are not plain JSON
 * (`SerializationError` with a JSON pointer) and hand out copies, so callers
 * can never change stored state by mutating objects.
 */

import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type CheckpointStore, type JsonValue, SerializationError } from '@dagstack/plugin-api';
import { ResourceError } from './errors.js';
import { hasCode, readIfExists, unlinkIfExists, writeIntoDir } from './fs-atomic.js';
import { toJsonText } from './json.js';
import { assertValidKey, decodeKey, encodeKey } from './keys.js';

const RESOURCE = 'checkpoint';

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
 * Checkpoints in memory, stored as JSON text: `load` returns a fresh copy
 * each time. For tests and single-process hosts that do not need resume
 * after a crash.
 * @since 0.1.0
 */
export class InMemoryCheckpointStore implements CheckpointStore {
  readonly #entries = new Map<string, string>();

  /** Store a JSON copy of `value` under `key`. */
  async save(key: string, value: JsonValue): Promise<void> {
    assertValidKey(key, RESOURCE);
    this.#entries.set(key, toJsonText(value, RESOURCE));
  }

  /** A fresh copy of the value under `key`, or `undefined`. */
  async load(key: string): Promise<JsonValue | undefined> {
    assertValidKey(key, RESOURCE);
    const text = this.#entries.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
  }

  /** Remove `key`; a missing key is not an error. */
  async delete(key: string): Promise<void> {
    assertValidKey(key, RESOURCE);
    this.#entries.delete(key);
  }

  /** Keys starting with `prefix` (all keys without one), sorted. */
  async list(prefix?: string): Promise<string[]> {
    const p = checkPrefix(prefix);
    return [...this.#entries.keys()].filter((k) => k.startsWith(p)).sort();
  }

  /** Number of stored checkpoints. */
  get size(): number {
    return this.#entries.size;
  }
}

/** What a checkpoint file holds. */
interface CheckpointFile {
  key: string;
  value: JsonValue;
}

const SUFFIX = '.json';

/**
 * Checkpoints as files: one `<encoded key>.json` per key in `dir`, holding
 * `{"key": <original key>, "value": <value>}`. Writes are atomic
 * (unique temp file, fsync, rename, fsync of the folder): a reader — in this
 * process or another — sees a whole old or whole new file, never a torn one,
 * and a `load` after a completed `save` sees that save. Of concurrent saves
 * of one key, one wins whole. Keys are encoded (see `encodeKey`) so no key can
 * name a file outside `dir`. The folder is created on the first save.
 * @since 0.1.0
 */
export class FileCheckpointStore implements CheckpointStore {
  /** The folder holding the checkpoint files (absolute). */
  readonly dir: string;

  constructor(dir: string) {
    if (typeof dir !== 'string' || dir === '') {
      throw new ResourceError('FileCheckpointStore needs the folder to keep checkpoints in', {
        resource: RESOURCE,
        hint: 'pass a folder path, e.g. new FileCheckpointStore("/var/lib/app/checkpoints")',
      });
    }
    this.dir = resolve(dir);
  }

  #file(key: string): string {
    return join(this.dir, `${encodeKey(key)}${SUFFIX}`);
  }

  /** Atomically replace the checkpoint under `key` with `value`. */
  async save(key: string, value: JsonValue): Promise<void> {
    assertValidKey(key, RESOURCE);
    const text = toJsonText(value, RESOURCE);
    await writeIntoDir(
      this.dir,
      this.#file(key),
      `{"key":${JSON.stringify(key)},"value":${text}}\n`,
    );
  }

  /** The value under `key`, or `undefined` when there is none. */
  async load(key: string): Promise<JsonValue | undefined> {
    assertValidKey(key, RESOURCE);
    const path = this.#file(key);
    const data = await readIfExists(path);
    if (data === undefined) return undefined;
    const file = parseFile(data, path);
    // A hashed name shared by two keys is astronomically unlikely; a file
    // holding another key is not this key's checkpoint.
    return file.key === key ? file.value : undefined;
  }

  /** Remove the checkpoint under `key`; a missing key is not an error. */
  async delete(key: string): Promise<void> {
    assertValidKey(key, RESOURCE);
    await unlinkIfExists(this.#file(key));
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
      if (name.startsWith('.') || !name.endsWith(SUFFIX)) continue;
      const stem = name.slice(0, -SUFFIX.length);
      let key = decodeKey(stem);
      if (key !== undefined && encodeKey(key) !== stem) continue; // not a name this store writes
      if (key === undefined) {
        if (!stem.includes('~')) continue;
        const data = await readIfExists(join(this.dir, name));
        if (data === undefined) continue; // deleted meanwhile
        key = parseFile(data, join(this.dir, name)).key;
        if (encodeKey(key) !== stem) continue;
      }
      if (key.startsWith(p)) keys.push(key);
    }
    return keys.sort();
  }
}

function parseFile(data: Buffer, path: string): CheckpointFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw new SerializationError('the checkpoint file is not valid JSON', {
      pointer: '',
      path,
      cause: error,
      hint: 'the file was changed outside the store; delete it or restore it from a backup',
    });
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof (parsed as { key?: unknown }).key !== 'string' ||
    !('value' in parsed)
  ) {
    throw new SerializationError('the checkpoint file lacks the "key" and "value" fields', {
      pointer: '',
      path,
      hint: 'the file was changed outside the store; delete it or restore it from a backup',
    });
  }
  return parsed as CheckpointFile;
}
