// `ignore`: names, name globs and path globs below the root, on real folders.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPluginError } from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_IGNORE, discover } from '../src/index.js';
import { toml, writeTree } from './tree.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'dagstack-ignore-'));
  await writeTree(root, {
    'chunker/fixed/dagstack.toml': toml('fixed'),
    'chunker/fixed.draft/dagstack.toml': toml('fixed-draft'),
    'experimental/new/dagstack.toml': toml('new'),
    'experimental/dagstack-notes/readme.txt': 'not a plugin',
    'nested/deep/fixtures/f1/dagstack.toml': toml('f1'),
    'fixtures/top/dagstack.toml': toml('top'),
    'tmp1/x/dagstack.toml': toml('x'),
    '.tox/py/dagstack.toml': toml('tox'),
  });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function names(ignore?: readonly string[]): Promise<string[]> {
  const result = await discover(root, ignore === undefined ? {} : { ignore });
  return result.entries.map((e) => e.manifest.name).sort();
}

describe('discover ignore patterns', () => {
  it('skips the default folders, the docs list included', async () => {
    expect(DEFAULT_IGNORE).toEqual(
      expect.arrayContaining([
        '.mypy_cache',
        '.pytest_cache',
        '.ruff_cache',
        '.tox',
        '__pycache__',
      ]),
    );
    expect(await names()).toEqual(['f1', 'fixed', 'fixed-draft', 'new', 'top', 'x']);
  });

  it('matches name globs (*, ?) against every folder name', async () => {
    expect(await names([...DEFAULT_IGNORE, '*.draft', 'tmp?'])).toEqual([
      'f1',
      'fixed',
      'new',
      'top',
    ]);
  });

  it('matches path globs against the path below the root: * within a name, ** across folders', async () => {
    expect(await names([...DEFAULT_IGNORE, 'experimental/*'])).toEqual([
      'f1',
      'fixed',
      'fixed-draft',
      'top',
      'x',
    ]);
    // `**/fixtures` matches at any depth, the top level included.
    expect(await names([...DEFAULT_IGNORE, '**/fixtures'])).toEqual([
      'fixed',
      'fixed-draft',
      'new',
      'x',
    ]);
    // A leading slash anchors a bare name at the root: only the top-level fixtures.
    expect(await names([...DEFAULT_IGNORE, '/fixtures'])).toEqual([
      'f1',
      'fixed',
      'fixed-draft',
      'new',
      'x',
    ]);
  });

  it('refuses a pattern that is empty or climbs out of the root, with a typed error', async () => {
    for (const bad of ['', '../elsewhere']) {
      const error = await discover(root, { ignore: [bad] }).catch((e: unknown) => e);
      expect(isPluginError(error)).toBe(true);
      expect((error as { hint?: string }).hint).toBeTruthy();
    }
  });
});
