/**
 * Temporary folders that are removed at teardown: {@link createTmpdir}
 * makes a host's folder, {@link Tmpdir.forPlugin} a sub-folder per plugin
 * (what a plugin gets as its `tmpdir` resource, a `TempDir`), and
 * {@link Tmpdir.release} removes a plugin's sub-folder when it is torn down.
 * Names given to `createFile` / `createSubdir` are single path segments, so
 * nothing is created outside the folder.
 */

import { mkdtempSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TempDir } from '@dagstack/plugin-api';
import { InvalidTempDirName, ResourceError } from './errors.js';
import { hasCode } from './fs-atomic.js';
import { assertValidKey, encodeKey } from './keys.js';

const RESOURCE = 'tmpdir';

/**
 * A temporary folder and the way to remove it. It is a `TempDir` itself, and
 * hands out one sub-folder per plugin.
 * @since 0.1.0
 */
export interface Tmpdir extends TempDir {
  /** Absolute path of the folder. */
  readonly path: string;
  /** Remove the folder and everything in it (plugin sub-folders too). Idempotent; safe to call concurrently. */
  cleanup(): Promise<void>;
  /**
   * The sub-folder of `owner` (a plugin's `kind/name`), as the `TempDir` the
   * plugin gets: created on the first call (`<encoded owner>-<random>`), the
   * same object on later calls until {@link Tmpdir.release}.
   * @since 0.2.1
   */
  forPlugin(owner: string): TempDir;
  /**
   * Remove the sub-folder {@link Tmpdir.forPlugin} made for `owner`, and
   * everything in it; nothing when there is none. A later `forPlugin(owner)`
   * makes a fresh one.
   * @since 0.2.1
   */
  release(owner: string): Promise<void>;
}

/** Options of {@link createTmpdir}. @since 0.1.0 */
export interface TmpdirOptions {
  /** Parent folder. Default `os.tmpdir()`. */
  parent?: string;
}

const UNSAFE = /[/\\\0]/;

/** `name` (plus `suffix`) as one plain path segment, or {@link InvalidTempDirName}. */
function segment(name: unknown, suffix: unknown = ''): string {
  if (typeof name !== 'string' || name === '') {
    throw new InvalidTempDirName({ name, reason: 'names are non-empty strings' });
  }
  if (typeof suffix !== 'string') {
    throw new InvalidTempDirName({ name: suffix, reason: 'a suffix is a string' });
  }
  const full = `${name}${suffix}`;
  if (UNSAFE.test(full)) {
    throw new InvalidTempDirName({
      name: full,
      reason: 'a name is one path segment: no "/", "\\" or NUL',
    });
  }
  if (full === '.' || full === '..') {
    throw new InvalidTempDirName({ name: full, reason: '"." and ".." name no new entry' });
  }
  return full;
}

function fsError(what: string, path: string, error: unknown): ResourceError {
  if (hasCode(error, 'EEXIST')) {
    return new ResourceError(`${what}: ${path} already exists`, {
      resource: RESOURCE,
      hint: 'use another name; each name is created once',
      cause: error,
    });
  }
  return new ResourceError(`${what}: cannot create ${path}`, {
    resource: RESOURCE,
    hint: hasCode(error, 'ENOENT')
      ? 'the temporary folder is gone: it is removed when the plugin is torn down'
      : 'see the cause',
    cause: error,
  });
}

/** The `TempDir` members over the folder at `path`. */
function members(path: string): TempDir {
  return {
    path,
    async createFile(name: string, suffix?: string): Promise<string> {
      const file = join(path, segment(name, suffix));
      try {
        await writeFile(file, '', { flag: 'wx' });
      } catch (error) {
        throw fsError('createFile', file, error);
      }
      return file;
    },
    async createSubdir(name: string): Promise<string> {
      const dir = join(path, segment(name));
      try {
        await mkdir(dir);
      } catch (error) {
        throw fsError('createSubdir', dir, error);
      }
      return dir;
    },
  };
}

const removeTree = (path: string): Promise<void> =>
  rm(path, { recursive: true, force: true, maxRetries: 3 });

/**
 * Create a fresh, empty folder `<parent>/<prefix><random>` (`mkdtemp`) and
 * return it as a {@link Tmpdir}: a `TempDir` with a `cleanup` that removes it
 * recursively, and a sub-folder per plugin. The prefix may not contain path
 * separators or `..`. Default prefix `dagstack-`.
 * @since 0.1.0
 */
export function createTmpdir(prefix = 'dagstack-', options: TmpdirOptions = {}): Tmpdir {
  if (typeof prefix !== 'string' || /[/\\\0]/.test(prefix) || prefix.includes('..')) {
    throw new ResourceError(`tmpdir prefix ${JSON.stringify(String(prefix))} is not a plain name`, {
      resource: RESOURCE,
      hint: 'use a prefix without "/", "\\", ".." or NUL, e.g. "my-plugin-"',
    });
  }
  const parent = resolve(options.parent ?? tmpdir());
  const path = mkdtempSync(join(parent, prefix));
  const plugins = new Map<string, TempDir>();
  let removal: Promise<void> | undefined;
  return Object.freeze({
    ...members(path),
    cleanup(): Promise<void> {
      plugins.clear();
      removal ??= removeTree(path).catch((error: unknown) => {
        removal = undefined; // let a later call retry
        throw error;
      });
      return removal;
    },
    forPlugin(owner: string): TempDir {
      assertValidKey(owner, RESOURCE);
      const known = plugins.get(owner);
      if (known !== undefined) return known;
      let dir: string;
      try {
        dir = mkdtempSync(join(path, `${encodeKey(owner)}-`));
      } catch (error) {
        throw fsError('forPlugin', join(path, encodeKey(owner)), error);
      }
      const made = Object.freeze(members(dir));
      plugins.set(owner, made);
      return made;
    },
    release(owner: string): Promise<void> {
      const made = plugins.get(owner);
      if (made === undefined) return Promise.resolve();
      plugins.delete(owner);
      return removeTree(made.path);
    },
  });
}

/**
 * Whether `path` is an existing, empty folder. A missing path is `false`;
 * a path that is not a folder throws the file-system error.
 * @since 0.1.0
 */
export async function isEmptyDir(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length === 0;
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return false;
    throw error;
  }
}
