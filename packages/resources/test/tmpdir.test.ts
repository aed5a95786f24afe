import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTmpdir, isEmptyDir, isResourceError } from '../src/index.js';

let parent: string;

beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), 'dagstack-tmpdir-test-'));
});

afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

describe('createTmpdir', () => {
  it('creates a fresh empty folder with the prefix', async () => {
    const a = createTmpdir('my-plugin-', { parent });
    const b = createTmpdir('my-plugin-', { parent });
    expect(a.path).not.toBe(b.path);
    expect(dirname(a.path)).toBe(parent);
    expect(basename(a.path)).toMatch(/^my-plugin-.{6}$/);
    expect(await isEmptyDir(a.path)).toBe(true);
  });

  it('defaults to os.tmpdir() and the dagstack- prefix', async () => {
    const t = createTmpdir();
    try {
      expect(dirname(t.path)).toBe(tmpdir());
      expect(basename(t.path).startsWith('dagstack-')).toBe(true);
    } finally {
      await t.cleanup();
    }
    expect(existsSync(t.path)).toBe(false);
  });

  it('cleanup removes the folder and everything in it; twice is fine', async () => {
    const t = createTmpdir('x-', { parent });
    await mkdir(join(t.path, 'a', 'b'), { recursive: true });
    await writeFile(join(t.path, 'a', 'b', 'f.txt'), 'data');
    await Promise.all([t.cleanup(), t.cleanup()]);
    expect(existsSync(t.path)).toBe(false);
    await t.cleanup();
    expect(await isEmptyDir(parent)).toBe(true);
  });

  it('refuses prefixes that are paths', () => {
    for (const prefix of ['../x', 'a/b', 'a\\b', '..', 'nul\0']) {
      let caught: unknown;
      try {
        createTmpdir(prefix, { parent });
      } catch (error) {
        caught = error;
      }
      expect(isResourceError(caught), prefix).toBe(true);
    }
  });
});

describe('isEmptyDir', () => {
  it('tells empty, non-empty and missing folders apart', async () => {
    expect(await isEmptyDir(parent)).toBe(true);
    await writeFile(join(parent, 'f'), '');
    expect(await isEmptyDir(parent)).toBe(false);
    expect(await isEmptyDir(join(parent, 'missing'))).toBe(false);
    await expect(isEmptyDir(join(parent, 'f'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});
