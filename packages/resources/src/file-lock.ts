/**
 * Write locks shared between processes, one lock file per name: what makes
 * a check-then-write of `FileCheckpointStore` (read the version,
 * compare it, write the next one) happen one writer at a time across every
 * process using the folder.
 *
 * - Take: create the lock file exclusively (`open(..., 'wx')`, O_CREAT|O_EXCL,
 *   which NFSv3+ and local file systems honour) holding `{pid, host, token,
 *   since}`. When it exists, wait (2 ms, doubling to 50 ms, with jitter) and
 *   try again, up to `timeoutMs`, then fail with a `ResourceError` naming the
 *   holder.
 * - Hold: while the task runs, the holder touches the file's mtime every
 *   `staleMs / 3`, so a live holder's lock never looks old.
 * - Stale: a lock whose mtime is older than `staleMs` was left by a process
 *   that died while holding it. It is broken by renaming it aside, checking
 *   that the moved file is the one judged stale (same inode and token), and
 *   removing it; a lock that another process took meanwhile is put back.
 *   Process ids are not used: hosts sharing a folder (containers, NFS) may
 *   repeat them.
 * - Release: the holder removes the file when it still holds its token.
 *
 * What it does not cover: a holder whose event loop stalls for longer than
 * `staleMs` mid-task can have its lock broken under it.
 */

import { randomBytes, randomInt } from 'node:crypto';
import { link, mkdir, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { ResourceError } from './errors.js';
import { hasCode, unlinkIfExists } from './fs-atomic.js';

/** How {@link withFileLock} waits and when it breaks a lock. */
export interface FileLockSettings {
  /** How long to wait for a lock someone else holds before failing. */
  readonly timeoutMs: number;
  /** A lock whose mtime is older than this is broken. */
  readonly staleMs: number;
  /** The resource named in errors (`checkpoint`). */
  readonly resource: string;
  /** What the lock protects, for messages (`key "units/7"`). */
  readonly subject: string;
}

/** What a lock file says about its holder, with the file's identity. */
interface LockInfo {
  readonly ino: bigint;
  readonly mtimeMs: number;
  readonly token: string | undefined;
  readonly pid: number | undefined;
  readonly host: string | undefined;
  readonly since: string | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function readLock(path: string): Promise<LockInfo | undefined> {
  let ino: bigint;
  let mtimeMs: number;
  let text: string;
  try {
    const st = await stat(path, { bigint: true });
    ino = st.ino;
    mtimeMs = Number(st.mtimeMs);
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  // A lock being written may still be empty: its holder is then unknown,
  // and its age alone decides.
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) parsed = value as Record<string, unknown>;
  } catch {
    // unknown holder
  }
  return {
    ino,
    mtimeMs,
    token: typeof parsed.token === 'string' ? parsed.token : undefined,
    pid: typeof parsed.pid === 'number' ? parsed.pid : undefined,
    host: typeof parsed.host === 'string' ? parsed.host : undefined,
    since: typeof parsed.since === 'string' ? parsed.since : undefined,
  };
}

function sameLock(a: LockInfo, b: LockInfo): boolean {
  return a.ino === b.ino && a.token === b.token;
}

/** Create `path` exclusively with `content`; `false` when it exists. */
async function tryCreate(path: string, content: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx', 0o644);
  } catch (error) {
    if (hasCode(error, 'EEXIST')) return false;
    if (!hasCode(error, 'ENOENT')) throw error;
    await mkdir(dirname(path), { recursive: true });
    return tryCreate(path, content);
  }
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  return true;
}

/** Remove the stale lock `judged` at `path`, unless it is no longer that lock. */
async function breakLock(path: string, judged: LockInfo): Promise<void> {
  const aside = `${path}.broken-${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return; // released or broken meanwhile
    throw error;
  }
  const moved = await readLock(aside);
  if (moved !== undefined && !sameLock(moved, judged)) {
    // Between the look and the rename another process took the lock: give
    // it back. `link` fails if a third one took the free name meanwhile.
    await link(aside, path).catch(() => undefined);
  }
  await unlinkIfExists(aside);
}

function describeHolder(info: LockInfo | undefined): string {
  if (info === undefined) return 'another writer';
  const who = [
    info.pid === undefined ? undefined : `pid ${info.pid}`,
    info.host === undefined ? undefined : `on ${info.host}`,
    info.since === undefined ? undefined : `since ${info.since}`,
  ].filter((part) => part !== undefined);
  return who.length === 0 ? 'another writer' : `another writer (${who.join(' ')})`;
}

/**
 * Run `task` holding the lock file `path` (see the module documentation);
 * the lock is released when the task settles.
 */
export async function withFileLock<T>(
  path: string,
  settings: FileLockSettings,
  task: () => Promise<T>,
): Promise<T> {
  const token = randomBytes(12).toString('hex');
  const content = `${JSON.stringify({
    pid: process.pid,
    host: hostname(),
    token,
    since: new Date().toISOString(),
  })}\n`;
  const deadline = Date.now() + settings.timeoutMs;
  let delay = 2;
  let holder: LockInfo | undefined;
  while (!(await tryCreate(path, content))) {
    holder = await readLock(path);
    if (holder === undefined) continue; // released between the two calls
    if (Date.now() - holder.mtimeMs > settings.staleMs) {
      await breakLock(path, holder);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new ResourceError(
        `${settings.subject} is locked by ${describeHolder(holder)}; gave up after ${settings.timeoutMs} ms`,
        {
          resource: settings.resource,
          path,
          hint: `a lock left by a process that died is broken once it is ${settings.staleMs} ms old; raise lockTimeoutMs if writes of this key take that long`,
        },
      );
    }
    await sleep(delay + randomInt(0, delay + 1));
    delay = Math.min(delay * 2, 50);
  }
  const beat = setInterval(
    () => {
      const now = new Date();
      void utimes(path, now, now).catch(() => undefined);
    },
    Math.max(1, Math.floor(settings.staleMs / 3)),
  );
  beat.unref();
  try {
    return await task();
  } finally {
    clearInterval(beat);
    const mine = await readLock(path).catch(() => undefined);
    if (mine?.token === token) await unlink(path).catch(() => undefined);
  }
}
