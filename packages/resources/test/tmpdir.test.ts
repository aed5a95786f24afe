import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { TempDir } from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTmpdir,
  InvalidTempDirName,
  isEmptyDir,
  isInvalidResourceKey,
  isInvalidTempDirName,
  isResourceError,
} from '../src/index.js';

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

describe('TempDir: createFile and createSubdir', () => {
  it('creates an empty file <name><suffix> and a folder, and returns their absolute paths', async () => {
    const t: TempDir = createTmpdir('td-', { parent });
    const file = await t.createFile('chunk-1', '.json');
    expect(file).toBe(join(t.path, 'chunk-1.json'));
    expect(await readFile(file, 'utf8')).toBe('');
    const plain = await t.createFile('notes');
    expect(plain).toBe(join(t.path, 'notes'));
    const sub = await t.createSubdir('work');
    expect(sub).toBe(join(t.path, 'work'));
    expect((await stat(sub)).isDirectory()).toBe(true);
    await writeFile(join(sub, 'inner.txt'), 'x');
    expect((await readdir(t.path)).sort()).toEqual(['chunk-1.json', 'notes', 'work']);
  });

  it('refuses names that are not one plain segment, creating nothing', async () => {
    const t = createTmpdir('td-', { parent });
    const badNames = ['../x', 'a/b', 'a\\b', '..', '.', '', 'nul\0', '/abs'];
    for (const name of badNames) {
      const fileError = await t.createFile(name).catch((e: unknown) => e);
      expect(isInvalidTempDirName(fileError), `createFile(${JSON.stringify(name)})`).toBe(true);
      expect(fileError).toBeInstanceOf(InvalidTempDirName);
      const dirError = await t.createSubdir(name).catch((e: unknown) => e);
      expect(isInvalidTempDirName(dirError), `createSubdir(${JSON.stringify(name)})`).toBe(true);
    }
    // The suffix is part of the name: it cannot smuggle a separator in either.
    for (const [name, suffix] of [
      ['x', '/../../y'],
      ['.', '.'],
      ['report', '\\..'],
    ]) {
      const error = await t.createFile(name as string, suffix).catch((e: unknown) => e);
      expect(isInvalidTempDirName(error), `${name}${suffix}`).toBe(true);
    }
    const error = (await t.createFile('../x').catch((e: unknown) => e)) as InvalidTempDirName;
    expect(error.code).toBe('INVALID_TEMPDIR_NAME');
    expect(error.message).toContain('tmpdir: invalid name "../x"');
    expect(error.toJSON()).toMatchObject({ details: { resource: 'tmpdir', name: '../x' } });
    const notString = await t.createFile(5 as unknown as string).catch((e: unknown) => e);
    expect(isInvalidTempDirName(notString)).toBe(true);
    expect(await readdir(t.path)).toEqual([]);
    expect(await readdir(parent)).toEqual([basename(t.path)]);
  });

  it('refuses to create a name twice, with a typed error', async () => {
    const t = createTmpdir('td-', { parent });
    await t.createFile('a', '.txt');
    await writeFile(join(t.path, 'a.txt'), 'kept');
    await expect(t.createFile('a', '.txt')).rejects.toThrow(/already exists/);
    await t.createSubdir('d');
    await expect(t.createSubdir('d')).rejects.toSatisfy(isResourceError);
    expect(await readFile(join(t.path, 'a.txt'), 'utf8')).toBe('kept');
  });
});

describe('Tmpdir.forPlugin and release', () => {
  it('gives each plugin its own sub-folder, the same one until it is released', async () => {
    const root = createTmpdir('host-', { parent });
    const a = root.forPlugin('tool/alpha');
    const b = root.forPlugin('tool/beta');
    expect(dirname(a.path)).toBe(root.path);
    expect(basename(a.path)).toMatch(/^tool%2Falpha-.{6}$/);
    expect(a.path).not.toBe(b.path);
    expect(root.forPlugin('tool/alpha')).toBe(a);
    expect(Object.keys(a).sort()).toEqual(['createFile', 'createSubdir', 'path']);
    const file = await a.createFile('out', '.json');
    expect(dirname(file)).toBe(a.path);
    await root.release('tool/alpha');
    expect(existsSync(a.path)).toBe(false);
    expect(existsSync(b.path)).toBe(true);
    const again = root.forPlugin('tool/alpha');
    expect(again.path).not.toBe(a.path);
    expect(await isEmptyDir(again.path)).toBe(true);
    await root.release('never-made');
    await root.cleanup();
    expect(existsSync(root.path)).toBe(false);
    expect(existsSync(b.path)).toBe(false);
  });

  it('a released folder is gone for the plugin too: creating in it is a typed error', async () => {
    const root = createTmpdir('host-', { parent });
    const mine = root.forPlugin('p');
    await root.release('p');
    const error = await mine.createFile('late').catch((e: unknown) => e);
    expect(isResourceError(error)).toBe(true);
    expect((error as Error).message).toContain('removed when the plugin is torn down');
    expect(() => root.forPlugin('')).toThrow(/the key is empty/);
    let caught: unknown;
    try {
      root.forPlugin('');
    } catch (e) {
      caught = e;
    }
    expect(isInvalidResourceKey(caught)).toBe(true);
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
