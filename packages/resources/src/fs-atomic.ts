/**
 * Atomic file replacement: write a uniquely named temporary file next to the
 * target, fsync it, rename it over the target, fsync the folder. Readers see
 * the old content or the new one, never a mix.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Prefix of temporary files; encoded key names never start with it. */
export const TEMP_PREFIX = '.tmp-';

let counter = 0;

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;
}

/** Whether `error` is a Node file-system error with `code`. */
export function hasCode(error: unknown, ...codes: string[]): boolean {
  const code = errorCode(error);
  return code !== undefined && codes.includes(code);
}

/** Replace `target` with `data` atomically (see the module documentation). */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(target);
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  const temp = join(
    dir,
    `${TEMP_PREFIX}${process.pid}-${counter}-${randomBytes(6).toString('hex')}-${basename(target).slice(0, 40)}`,
  );
  const handle = await open(temp, 'wx', 0o644);
  let renamed = false;
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    renamed = true;
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
  await syncDir(dir);
}

/**
 * {@link writeFileAtomic} into `dir`, creating `dir` (recursively) when it
 * does not exist yet.
 */
export async function writeIntoDir(
  dir: string,
  target: string,
  data: Uint8Array | string,
): Promise<void> {
  try {
    await writeFileAtomic(target, data);
  } catch (error) {
    if (!hasCode(error, 'ENOENT')) throw error;
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(target, data);
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes the rename durable on POSIX; folders cannot be opened for fsync on
  // every platform (Windows), where this is skipped.
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** The content of `path`, or `undefined` when it does not exist. */
export async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/** Delete `path`; a missing file is not an error. */
export async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (!hasCode(error, 'ENOENT')) throw error;
  }
}

/**
 * Runs tasks one at a time per key (in call order); different keys run in
 * parallel.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Run `task` after every earlier task of `key` has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
