import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Folders left out of a plugin's content hash. */
const SKIP = new Set(['node_modules', '.git', '.turbo', '.cache', '__pycache__']);

/**
 * sha256 over a plugin folder's files (ADR-0001 §Supply-chain security):
 * relative paths in code-unit order, each followed by its length and bytes,
 * so renaming, editing or adding a file changes the hash. Symlinks are hashed
 * as their target path, not followed. `node_modules` and VCS folders are skipped.
 * @since 0.1.0
 */
export async function contentHash(dir: string): Promise<string> {
  const files: string[] = [];
  const links = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    for (const entry of entries) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIP.has(entry.name)) await walk(path);
      } else if (entry.isSymbolicLink()) {
        const { readlink } = await import('node:fs/promises');
        links.set(path, await readlink(join(dir, path)));
        files.push(path);
      } else if (entry.isFile()) {
        files.push(path);
      }
    }
  };
  await walk('');
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash('sha256');
  for (const path of files) {
    const data = links.has(path)
      ? Buffer.from(`link:${links.get(path)}`)
      : await readFile(join(dir, path));
    hash.update(`${path}\u0000${data.length}\u0000`);
    hash.update(data);
  }
  return `sha256:${hash.digest('hex')}`;
}
