// The lock file behind FileCheckpointStore's writes (an internal module):
// mutual exclusion, the heartbeat that keeps a slow live holder's lock from
// looking stale, release only by the holder.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FileLockSettings, withFileLock } from '../src/file-lock.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dagstack-lock-test-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const settings = (over: Partial<FileLockSettings> = {}): FileLockSettings => ({
  timeoutMs: 5_000,
  staleMs: 10_000,
  resource: 'checkpoint',
  subject: 'key "k"',
  ...over,
});

describe('withFileLock', () => {
  it('runs tasks on one lock one at a time, and removes the lock after', async () => {
    const lock = join(dir, 'nested', '.lock-k');
    let inside = 0;
    let most = 0;
    const task = async (): Promise<void> => {
      inside += 1;
      most = Math.max(most, inside);
      expect(existsSync(lock)).toBe(true);
      await sleep(20);
      inside -= 1;
    };
    await Promise.all(Array.from({ length: 5 }, () => withFileLock(lock, settings(), task)));
    expect(most).toBe(1);
    expect(existsSync(lock)).toBe(false);
  });

  it('a live holder slower than staleMs keeps its lock (heartbeat)', async () => {
    const lock = join(dir, '.lock-k');
    const events: string[] = [];
    const slow = withFileLock(lock, settings({ staleMs: 500 }), async () => {
      events.push('slow in');
      await sleep(1_600); // over three times staleMs
      events.push('slow out');
    });
    await sleep(20);
    const next = withFileLock(lock, settings({ staleMs: 500 }), async () => {
      events.push('next in');
    });
    await Promise.all([slow, next]);
    expect(events).toEqual(['slow in', 'slow out', 'next in']);
  });

  it('releases the lock when the task throws', async () => {
    const lock = join(dir, '.lock-k');
    await expect(
      withFileLock(lock, settings(), async () => {
        throw new Error('task failed');
      }),
    ).rejects.toThrow('task failed');
    expect(existsSync(lock)).toBe(false);
  });

  it('does not remove a lock that is no longer its own', async () => {
    const lock = join(dir, '.lock-k');
    const other = JSON.stringify({ pid: 1, host: 'h', token: 'someone-else' });
    await withFileLock(lock, settings(), async () => {
      const mine = JSON.parse(await readFile(lock, 'utf8')) as { pid: number; token: string };
      expect(mine.pid).toBe(process.pid);
      expect(mine.token).toMatch(/^[0-9a-f]{24}$/);
      // Broken under a stalled holder and taken by another writer.
      await writeFile(lock, other);
    });
    expect(await readFile(lock, 'utf8')).toBe(other);
  });
});
