// Where a manifest's `entry_point` leads: shared by the in-process runtime
// (`in-process.ts`) and the isolated one (`isolated.ts`). A leaf: it imports
// nothing from the rest of the package.
import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { PluginLoadError, type PluginManifest } from '@dagstack/plugin-api';
import { parseEntryPoint } from '@dagstack/plugin-manifest';

/** File extensions tried for a `module:Export` entry point, in order. */
const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs'];

function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Find the main file of an installed package, looking up from `dir`. */
async function resolvePackage(specifier: string, dir: string): Promise<string | undefined> {
  const parts = specifier.split('/');
  const packageName = specifier.startsWith('@')
    ? parts.slice(0, 2).join('/')
    : (parts[0] as string);
  const subpath = parts.slice(specifier.startsWith('@') ? 2 : 1).join('/');
  for (let current = dir; ; current = dirname(current)) {
    const pkgDir = join(current, 'node_modules', packageName);
    if (existsSync(join(pkgDir, 'package.json'))) {
      const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as {
        exports?: unknown;
        main?: string;
      };
      const key = subpath === '' ? '.' : `./${subpath}`;
      const pick = (value: unknown): string | undefined => {
        if (typeof value === 'string') return value;
        if (typeof value === 'object' && value !== null) {
          const conditions = value as Record<string, unknown>;
          for (const condition of ['import', 'node', 'default', 'require']) {
            const found = pick(conditions[condition]);
            if (found !== undefined) return found;
          }
        }
        return undefined;
      };
      let entry: string | undefined;
      if (pkg.exports !== undefined) {
        const exportsMap = pkg.exports as Record<string, unknown>;
        const isSubpathMap =
          typeof pkg.exports === 'object' &&
          pkg.exports !== null &&
          Object.keys(exportsMap).some((k) => k.startsWith('.'));
        entry = pick(isSubpathMap ? exportsMap[key] : key === '.' ? pkg.exports : undefined);
      } else {
        entry = subpath === '' ? (pkg.main ?? 'index.js') : subpath;
      }
      return entry === undefined ? undefined : resolve(pkgDir, entry);
    }
    if (dirname(current) === current) return undefined;
  }
}

/**
 * Resolve a manifest's `entry_point` to a file inside the plugin folder (or an
 * installed package) and the export to use.
 * @since 0.1.0
 */
export async function resolveEntryPoint(
  manifest: PluginManifest,
  dir: string,
): Promise<{
  /** Real path of the entry module. */
  file: string;
  /** Named export to use, or `undefined` for the default export. */
  exportName: string | undefined;
}> {
  const fail = (message: string, hint: string): PluginLoadError =>
    new PluginLoadError(message, {
      plugin: manifest.name,
      kind: manifest.kind,
      path: manifest.source,
      hint,
      ...(manifest.entry_point === undefined ? {} : { entryPoint: manifest.entry_point }),
    });
  if (manifest.entry_point === undefined) {
    throw fail(
      'has no entry_point and no object was attached',
      'add entry_point to the manifest, or call registry.attachPlugin(name, object) before setupAll()',
    );
  }
  const parsed = parseEntryPoint(manifest.entry_point);
  if (!parsed.ok) throw fail(`entry_point ${parsed.message}`, 'fix entry_point in the manifest');
  const { style, specifier, exportName } = parsed.entryPoint;
  const realDir = await realpath(dir).catch(() => {
    throw fail(
      `the plugin folder ${dir} does not exist`,
      'check where the manifest was loaded from',
    );
  });

  let file: string | undefined;
  if (style === 'package') {
    file = await resolvePackage(specifier, realDir);
    if (file === undefined) {
      // A bare name can also be a module file of the plugin folder (`plugin`).
      file = MODULE_EXTENSIONS.map((ext) => join(realDir, `${specifier}${ext}`)).find((f) =>
        existsSync(f),
      );
    }
    if (file === undefined) {
      throw fail(
        `cannot find package "${specifier}" from ${realDir}`,
        `install it (npm install ${specifier}) next to the plugin`,
      );
    }
    return { file: await realpath(file), exportName };
  }
  const candidates =
    style === 'path'
      ? [resolve(realDir, specifier)]
      : [
          ...MODULE_EXTENSIONS.map((ext) => join(realDir, `${specifier}${ext}`)),
          join(realDir, specifier, 'index.js'),
        ];
  for (const candidate of candidates) {
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isFile()) {
      file = candidate;
      break;
    }
  }
  if (file === undefined) {
    const tried = candidates.map((c) => relative(realDir, c)).join(', ');
    const tsHint =
      existsSync(join(realDir, `${specifier}.ts`)) || specifier.endsWith('.ts')
        ? `; ${specifier}.ts exists but Node ${process.versions.node} cannot load TypeScript: compile it to .js`
        : '';
    throw fail(
      `entry module not found in ${realDir} (tried ${tried})${tsHint}`,
      'check entry_point against the files in the plugin folder',
    );
  }
  const real = await realpath(file);
  if (!isInside(realDir, real)) {
    throw fail(
      `entry module resolves to ${real}, outside the plugin folder`,
      'keep plugin code inside its folder; links out of it are refused',
    );
  }
  return { file: real, exportName };
}
