/**
 * Checkpoint stores: {@link InMemoryCheckpointStore} and
 * {@link FileCheckpointStore}. Both refuse states that are not plain JSON
 * (`SerializationError` with a JSON pointer) and hand out copies, so callers
 * can never change stored state by mutating objects.
 *
 * Version ids (spec decision RS8) are `<n>-<12 hex digits>`: `n` grows with
 * every save of a key, so two saves of one state differ; callers treat the
 * id as opaque. A write with `expectedVersion` that does not match is a
 * {@link CheckpointConflict} and writes nothing.
 */

import { createHash, randomBytes } from 'node:crypto';
import { open, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type CheckpointEntry,
  type CheckpointStore,
  type CheckpointWriteOptions,
  type JsonValue,
  type SavedCheckpoint,
  SerializationError,
} from '@dagstack/plugin-api';
import { CheckpointConflict } from './checkpoint-conflict.js';
import { ResourceError } from './errors.js';
import { withFileLock } from './file-lock.js';
import { hasCode, KeyedQueue, readIfExists, unlinkIfExists, writeIntoDir } from './fs-atomic.js';
import { toJsonText } from './json.js';
import { assertValidKey, decodeKey, encodeKey } from './keys.js';

const RESOURCE = 'checkpoint';

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value;
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
 * The `expectedVersion` of `options` (checked), or `undefined` for an
 * unconditional write.
 */
function expectedOf(options: unknown, method: 'save' | 'delete'): string | null | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new ResourceError(
      `${method}(): the options must be an object, got ${describeValue(options)}`,
      { resource: RESOURCE, hint: 'pass { expectedVersion } or nothing' },
    );
  }
  const expected = (options as CheckpointWriteOptions).expectedVersion as unknown;
  if (expected === undefined || expected === null) return expected;
  if (typeof expected !== 'string' || expected === '') {
    throw new ResourceError(
      `${method}(): expectedVersion must be a version id, null or absent, got ${describeValue(expected)}`,
      {
        resource: RESOURCE,
        hint: 'pass the version that save, load or list gave, null for "no checkpoint yet", or leave it out to write unconditionally',
      },
    );
  }
  return expected;
}

function checkExpected(
  key: string,
  expected: string | null | undefined,
  actual: string | undefined,
): void {
  if (expected === undefined || expected === (actual ?? null)) return;
  throw new CheckpointConflict({ key, expectedVersion: expected, actualVersion: actual ?? null });
}

/** The save counter `n` of a version id `<n>-<suffix>`; 0 for any other id. */
function counterOf(version: string | undefined): number {
  const match = version === undefined ? null : /^(\d{1,15})-/.exec(version);
  return match === null ? 0 : Number(match[1]);
}

const hashOf = (data: string | Uint8Array): string =>
  createHash('sha256').update(data).digest('hex').slice(0, 12);

function byKey(a: CheckpointEntry, b: CheckpointEntry): number {
  if (a.key === b.key) return 0;
  return a.key < b.key ? -1 : 1;
}

/**
 * Checkpoints in memory, stored as JSON text: `load` returns a fresh copy
 * each time. For tests and single-process hosts that do not need resume
 * after a crash. Version ids are `<n>-<hash>`: `n` counts the saves of the
 * whole store (so it grows for every key, across deletes too) and `hash` is
 * the start of the SHA-256 of the state's JSON, so a fresh store given the
 * same calls gives the same ids (like `FrozenClock` and `SeededRng`).
 * @since 0.1.0
 */
export class InMemoryCheckpointStore implements CheckpointStore {
  readonly #entries = new Map<string, { readonly text: string; readonly version: string }>();
  #saves = 0;

  /** Store a JSON copy of `state` under `key`; resolves its new version id. */
  async save(key: string, state: JsonValue, options?: CheckpointWriteOptions): Promise<string> {
    assertValidKey(key, RESOURCE);
    const expected = expectedOf(options, 'save');
    const text = toJsonText(state, RESOURCE);
    checkExpected(key, expected, this.#entries.get(key)?.version);
    this.#saves += 1;
    const version = `${this.#saves}-${hashOf(text)}`;
    this.#entries.set(key, { text, version });
    return version;
  }

  /** A fresh copy of the state under `key` with its version, or `undefined`. */
  async load(key: string): Promise<SavedCheckpoint | undefined> {
    assertValidKey(key, RESOURCE);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    return { state: JSON.parse(entry.text) as JsonValue, version: entry.version };
  }

  /** Remove `key`; a missing key is not an error (unless a version is expected). */
  async delete(key: string, options?: CheckpointWriteOptions): Promise<void> {
    assertValidKey(key, RESOURCE);
    const expected = expectedOf(options, 'delete');
    checkExpected(key, expected, this.#entries.get(key)?.version);
    this.#entries.delete(key);
  }

  /** Keys starting with `prefix` (all keys without one) with their versions, sorted by key. */
  async list(prefix?: string): Promise<CheckpointEntry[]> {
    const p = checkPrefix(prefix);
    const out: CheckpointEntry[] = [];
    for (const [key, { version }] of this.#entries) {
      if (key.startsWith(p)) out.push({ key, version });
    }
    return out.sort(byKey);
  }

  /** Number of stored checkpoints. */
  get size(): number {
    return this.#entries.size;
  }
}

/** Options of {@link FileCheckpointStore}. @since 0.2.1 */
export interface FileCheckpointStoreOptions {
  /**
   * How long a `save` or `delete` waits for the lock of its key while
   * another process holds it, before it fails with a `ResourceError`.
   * @default 30000
   */
  lockTimeoutMs?: number;
  /**
   * A key's lock file whose holder has not touched it for this long is taken
   * as left by a process that died mid-write, and broken. A live holder
   * touches it every third of this time.
   * @default 10000
   */
  staleLockMs?: number;
}

/** What a checkpoint file holds; files written before 0.2.1 lack `version`. */
interface CheckpointFile {
  key: string;
  version?: string;
  value: JsonValue;
}

const SUFFIX = '.json';
const LOCK_PREFIX = '.lock-';

/** How much of a file {@link readHead} reads. */
const HEAD_BYTES = 64 * 1024;
/** The start of a file this store writes: `{"key":<JSON string>,"version":<JSON string>,"value":`. */
const HEAD = /^\{"key":("(?:[^"\\]|\\.)*"),"version":("(?:[^"\\]|\\.)+"),"value":/;

/**
 * The key and version at the start of a checkpoint file, without reading
 * the state: `undefined` when the file does not exist, `null` when its start
 * is not what this store writes (a file from before 0.2.1, a key too long
 * for the first {@link HEAD_BYTES}, a damaged file): read it whole then.
 */
async function readHead(
  path: string,
): Promise<{ key: string; version: string } | null | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    const buffer = Buffer.allocUnsafe(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    const match = HEAD.exec(buffer.toString('utf8', 0, bytesRead));
    if (match === null) return null;
    const key: unknown = JSON.parse(match[1] as string);
    const version: unknown = JSON.parse(match[2] as string);
    return typeof key === 'string' && typeof version === 'string' && version !== ''
      ? { key, version }
      : null;
  } finally {
    await handle.close();
  }
}

function positiveMs(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ResourceError(
      `FileCheckpointStore: ${name} must be a positive number of milliseconds, got ${describeValue(value)}`,
      { resource: RESOURCE, hint: `leave ${name} out for ${fallback} ms` },
    );
  }
  return value;
}

/**
 * Checkpoints as files: one `<encoded key>.json` per key in `dir`, holding
 * `{"key": <original key>, "version": <version id>, "value": <state>}`.
 *
 * - Atomic: a write goes to a unique temp file, is fsynced and renamed over
 *   the key's file, then the folder is fsynced. The state and its version
 *   are one file, so a reader — in this process or another — sees a whole
 *   old or a whole new checkpoint, never a torn one or a mismatched version,
 *   and a crash at any point leaves one of the two. A `load` after a
 *   completed `save` sees that save.
 * - Versions are `<n>-<12 random hex digits>`, `n` being one more than the
 *   key's previous `n` (1 for a new key). After a delete `n` starts again at
 *   1, and the random part keeps the new ids apart from the old ones.
 * - One writer at a time per key: within a store object `save` and `delete`
 *   of one key run in call order; across objects and processes sharing the
 *   folder, each takes the key's lock file `.lock-<encoded key>` (created
 *   with O_EXCL) for its read–compare–write. Of writers racing with the same
 *   `expectedVersion`, exactly one succeeds and the others get
 *   {@link CheckpointConflict}. A process that dies holding a lock leaves it
 *   behind for `staleLockMs` (its holder refreshes it while alive), after
 *   which the next writer breaks it. A holder stalled longer than that
 *   mid-write can lose its lock; reads take no lock.
 * - Keys are encoded (see `encodeKey`) so no key can name a file outside
 *   `dir`; the folder is created on the first save. Files written before
 *   0.2.1 (without a version) load with the version `0-<hash of the file>`.
 * @since 0.1.0
 */
export class FileCheckpointStore implements CheckpointStore {
  /** The folder holding the checkpoint files (absolute). */
  readonly dir: string;
  readonly #queue = new KeyedQueue();
  readonly #lockTimeoutMs: number;
  readonly #staleLockMs: number;

  constructor(dir: string, options: FileCheckpointStoreOptions = {}) {
    if (typeof dir !== 'string' || dir === '') {
      throw new ResourceError('FileCheckpointStore needs the folder to keep checkpoints in', {
        resource: RESOURCE,
        hint: 'pass a folder path, e.g. new FileCheckpointStore("/var/lib/app/checkpoints")',
      });
    }
    this.dir = resolve(dir);
    this.#lockTimeoutMs = positiveMs(options.lockTimeoutMs, 'lockTimeoutMs', 30_000);
    this.#staleLockMs = positiveMs(options.staleLockMs, 'staleLockMs', 10_000);
  }

  #file(key: string): string {
    return join(this.dir, `${encodeKey(key)}${SUFFIX}`);
  }

  /** Run `task` as the only writer of `key`: first in this object, then across processes. */
  #exclusive<T>(key: string, task: (path: string) => Promise<T>): Promise<T> {
    const path = this.#file(key);
    return this.#queue.run(key, () =>
      withFileLock(
        join(this.dir, `${LOCK_PREFIX}${encodeKey(key)}`),
        {
          timeoutMs: this.#lockTimeoutMs,
          staleMs: this.#staleLockMs,
          resource: RESOURCE,
          subject: `key ${JSON.stringify(key.length > 60 ? `${key.slice(0, 60)}…` : key)}`,
        },
        () => task(path),
      ),
    );
  }

  /**
   * The checkpoint of `key` in the file at `path`, or `undefined`. A file
   * that is not a checkpoint is a `SerializationError`, or, with `lenient`,
   * `undefined`.
   */
  async #read(key: string, path: string, lenient = false): Promise<SavedCheckpoint | undefined> {
    const data = await readIfExists(path);
    if (data === undefined) return undefined;
    let file: CheckpointFile;
    try {
      file = parseFile(data, path);
    } catch (error) {
      if (lenient) return undefined;
      throw error;
    }
    // A hashed name shared by two keys is astronomically unlikely; a file
    // holding another key is not this key's checkpoint.
    if (file.key !== key) return undefined;
    return { state: file.value, version: file.version ?? `0-${hashOf(data)}` };
  }

  /**
   * The current version of `key` (from the file's start when it can), or
   * `undefined` when it has no checkpoint. `lenient`: as in `#read`.
   */
  async #version(key: string, path: string, lenient = false): Promise<string | undefined> {
    const head = await readHead(path);
    if (head === undefined) return undefined;
    if (head !== null) return head.key === key ? head.version : undefined;
    return (await this.#read(key, path, lenient))?.version;
  }

  /**
   * Atomically replace the checkpoint under `key` with `state`; resolves the
   * new version id. With `expectedVersion`, only over that version.
   */
  async save(key: string, state: JsonValue, options?: CheckpointWriteOptions): Promise<string> {
    assertValidKey(key, RESOURCE);
    const expected = expectedOf(options, 'save');
    const text = toJsonText(state, RESOURCE);
    return this.#exclusive(key, async (path) => {
      // An unconditional save replaces even a damaged file; a conditional
      // one must know the current version.
      const current = await this.#version(key, path, expected === undefined);
      checkExpected(key, expected, current);
      const version = `${counterOf(current) + 1}-${randomBytes(6).toString('hex')}`;
      await writeIntoDir(
        this.dir,
        path,
        `{"key":${JSON.stringify(key)},"version":${JSON.stringify(version)},"value":${text}}\n`,
      );
      return version;
    });
  }

  /** The state under `key` with its version, or `undefined` when there is none. */
  async load(key: string): Promise<SavedCheckpoint | undefined> {
    assertValidKey(key, RESOURCE);
    return this.#read(key, this.#file(key));
  }

  /**
   * Remove the checkpoint under `key`; a missing key is not an error. With
   * `expectedVersion`, only when that is the current version.
   */
  async delete(key: string, options?: CheckpointWriteOptions): Promise<void> {
    assertValidKey(key, RESOURCE);
    const expected = expectedOf(options, 'delete');
    await this.#exclusive(key, async (path) => {
      if (expected !== undefined) checkExpected(key, expected, await this.#version(key, path));
      await unlinkIfExists(path);
    });
  }

  /**
   * Original keys starting with `prefix` (all keys without one) with their
   * versions, sorted by key. Reads every matching file.
   */
  async list(prefix?: string): Promise<CheckpointEntry[]> {
    const p = checkPrefix(prefix);
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return [];
      throw error;
    }
    const entries: CheckpointEntry[] = [];
    for (const name of names) {
      // Temp files (`.tmp-`) and locks (`.lock-`) are hidden; keys never are.
      if (name.startsWith('.') || !name.endsWith(SUFFIX)) continue;
      const stem = name.slice(0, -SUFFIX.length);
      const decoded = decodeKey(stem);
      if (decoded !== undefined && encodeKey(decoded) !== stem) continue; // not a name this store writes
      if (decoded === undefined && !stem.includes('~')) continue;
      if (decoded !== undefined && !decoded.startsWith(p)) continue;
      const entry = await entryOf(join(this.dir, name));
      if (entry === undefined) continue; // deleted meanwhile
      if (encodeKey(entry.key) !== stem || !entry.key.startsWith(p)) continue;
      entries.push(entry);
    }
    return entries.sort(byKey);
  }
}

/** The key and version of the checkpoint file at `path`, or `undefined` when it is gone. */
async function entryOf(path: string): Promise<CheckpointEntry | undefined> {
  const head = await readHead(path);
  if (head !== null) return head;
  const data = await readIfExists(path);
  if (data === undefined) return undefined;
  const file = parseFile(data, path);
  return { key: file.key, version: file.version ?? `0-${hashOf(data)}` };
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
  const version = (parsed as { version?: unknown }).version;
  if (version !== undefined && (typeof version !== 'string' || version === '')) {
    throw new SerializationError('the "version" of the checkpoint file is not a version id', {
      pointer: '/version',
      path,
      hint: 'the file was changed outside the store; delete it or restore it from a backup',
    });
  }
  return parsed as CheckpointFile;
}
