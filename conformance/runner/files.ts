// File maps: the language-neutral way fixtures describe a directory tree
// (README §File maps). Keys are `/`-separated paths relative to the tree
// root; values are file text, `{ json: value }`, `{ plugin: fields }` (a
// JSON manifest over the suite's `base_manifest`), `{ symlink: target }` or
// `{ dir: true }`.
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { Mismatch } from './compare.js';

export type FileMap = Readonly<Record<string, unknown>>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A temporary folder for one case; `dispose()` removes it. */
export interface TempTree {
  /** Real path of the tree root. */
  readonly root: string;
  /** Absolute path of a `/`-separated path relative to the root. */
  resolve(path: string): string;
  /** `/`-separated path relative to the root (absolute paths outside stay absolute). */
  relative(path: string): string;
  dispose(): Promise<void>;
}

export async function makeTempTree(): Promise<TempTree> {
  const root = await realpath(await mkdtemp(join(tmpdir(), 'dagstack-conformance-')));
  return {
    root,
    resolve: (path: string): string => (path === '.' ? root : join(root, ...path.split('/'))),
    relative: (path: string): string => {
      const rel = relative(root, path);
      if (rel === '') return '.';
      if (rel.startsWith('..')) return path;
      return rel.split(sep).join('/');
    },
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

/** Write a file map into `tree` (symlinks last, so their targets exist). */
export async function writeFileMap(
  tree: TempTree,
  files: FileMap,
  baseManifest: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  const links: [string, string][] = [];
  for (const [path, value] of Object.entries(files)) {
    if (path.startsWith('/') || path.split('/').includes('..')) {
      throw new Mismatch(`file map key "${path}" must be a relative path inside the tree`);
    }
    const target = tree.resolve(path);
    if (isObject(value) && typeof value.symlink === 'string') {
      links.push([target, value.symlink]);
      continue;
    }
    if (isObject(value) && value.dir === true) {
      await mkdir(target, { recursive: true });
      continue;
    }
    let text: string;
    if (typeof value === 'string') text = value;
    else if (isObject(value) && 'json' in value) text = `${JSON.stringify(value.json, null, 2)}\n`;
    else if (isObject(value) && isObject(value.plugin)) {
      text = `${JSON.stringify({ ...baseManifest, ...value.plugin }, null, 2)}\n`;
    } else {
      throw new Mismatch(`file map entry "${path}" has an unknown value shape`);
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text);
  }
  for (const [path, target] of links) {
    await mkdir(dirname(path), { recursive: true });
    await symlink(target, path);
  }
}
