/**
 * Temporary folders that are removed at teardown.
 */

import { mkdtempSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ResourceError } from './errors.js';
import { hasCode } from './fs-atomic.js';

/**
 * A temporary folder and the way to remove it.
 * @since 0.1.0
 */
export interface Tmpdir {
  /** Absolute path of the folder. */
  readonly path: string;
  /** Remove the folder and everything in it. Idempotent; safe to call concurrently. */
  cleanup(): Promise<void>;
}

/** Options of {@link createTmpdir}. @since 0.1.0 */
export interface TmpdirOptions {
  /** Parent folder. Default `os.tmpdir()`. */
  parent?: string;
}

/**
 * Create a fresh, empty folder `<parent>/<prefix><random>` (`mkdtemp`) and
 * return it with a `cleanup` that removes it recursively. The prefix may not
 * contain path separators or `..`. Default prefix `dagstack-`.
 * @since 0.1.0
 */
export function createTmpdir(prefix = 'dagstack-', options: TmpdirOptions = {}): Tmpdir {
  if (typeof prefix !== 'string' || /[/\\\0]/.test(prefix) || prefix.includes('..')) {
    throw new ResourceError(`tmpdir prefix ${JSON.stringify(String(prefix))} is not a plain name`, {
      resource: 'tmpdir',
      hint: 'use a prefix without "/", "\\", ".." or NUL, e.g. "my-plugin-"',
    });
  }
  const parent = resolve(options.parent ?? tmpdir());
  const path = mkdtempSync(join(parent, prefix));
  let removal: Promise<void> | undefined;
  return Object.freeze({
    path,
    cleanup(): Promise<void> {
      removal ??= rm(path, { recursive: true, force: true, maxRetries: 3 }).catch(
        (error: unknown) => {
          removal = undefined; // let a later call retry
          throw error;
        },
      );
      return removal;
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
