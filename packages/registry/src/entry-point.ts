// Where a manifest's `entry_point` leads: shared by the in-process runtime
// (`in-process.ts`), the isolated one (`isolated.ts`) and `dagstack-plugins
// validate`. It also refuses, before anything imports it, an ES module that
// Node would load as CommonJS (a `.js` file under a package.json without
// `"type": "module"`), naming the file and the fix. A leaf: it imports nothing
// from the rest of the package.
import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { compileFunction } from 'node:vm';
import { PluginLoadError, type PluginManifest } from '@dagstack/plugin-api';
import { parseEntryPoint } from '@dagstack/plugin-manifest';

/** File extensions tried for a `module:Export` entry point, in order. */
const MODULE_EXTENSIONS = ['.js', '.mjs', '.cjs'];

/**
 * What V8 reports when ES module syntax is compiled as a CommonJS module: the
 * same messages Node's own module-syntax detection looks for.
 */
const MODULE_SYNTAX =
  /Unexpected token 'export'|Cannot use import statement outside a module|Cannot use 'import\.meta' outside a module|await is only valid in async functions and the top level bodies of modules/;

/** The nearest package.json above a file, as Node looks for it to pick a `.js` file's format. */
type PackageScope =
  | { readonly path: string; readonly type: unknown }
  | { readonly path: undefined; readonly type: undefined };

/**
 * The package scope of `file`: the nearest package.json (the search stops at a
 * `node_modules` folder, as Node's does), or `undefined` when that file is not
 * valid JSON (Node reports that itself when it imports the module).
 */
async function packageScope(file: string): Promise<PackageScope | undefined> {
  for (let dir = dirname(file); basename(dir) !== 'node_modules'; dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      try {
        return { path, type: (JSON.parse(text) as { type?: unknown }).type };
      } catch {
        return undefined;
      }
    }
    if (dirname(dir) === dir) break;
  }
  return { path: undefined, type: undefined };
}

/**
 * Whether this Node loads a `.js` file whose package.json has no `"type"` as an
 * ES module when it holds module syntax (on by default since Node 22.7 and
 * 20.19; `--[no-]experimental-detect-module` overrides).
 */
function detectsModuleSyntax(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (flags.includes('--no-experimental-detect-module')) return false;
  if (flags.includes('--experimental-detect-module')) return true;
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 7) || (major === 20 && minor >= 19);
}

/**
 * The syntax error Node would raise importing `file` as CommonJS, when that
 * error is about ES module syntax (`export`, `import`, `import.meta`, top-level
 * `await`); `undefined` when the file compiles as CommonJS or fails for another
 * reason (the import reports that one itself). Compiled with the parameters of
 * Node's CommonJS wrapper; nothing runs.
 */
async function moduleSyntaxError(file: string): Promise<string | undefined> {
  // A hashbang line is valid at the start of a module, not inside a function body.
  const source = (await readFile(file, 'utf8')).replace(/^#!.*/, '');
  try {
    compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], {
      filename: file,
    });
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return (error as { name?: unknown } | null)?.name === 'SyntaxError' &&
      MODULE_SYNTAX.test(message)
      ? message
      : undefined;
  }
}

/**
 * Why and how to fix a `.js` entry module with ES module syntax that Node
 * would load as CommonJS, or `undefined` when it loads as it is.
 */
async function commonJsMismatch(
  file: string,
  entryPoint: { raw: string; specifier: string; exportName: string | undefined },
  realDir: string,
): Promise<{ message: string; hint: string } | undefined> {
  if (!file.endsWith('.js')) return undefined;
  const scope = await packageScope(file);
  if (scope === undefined || scope.type === 'module') return undefined;
  // Without "commonjs", Node itself retries a module-syntax file as ESM where it can.
  if (scope.type !== 'commonjs' && detectsModuleSyntax()) return undefined;
  const syntax = await moduleSyntaxError(file);
  if (syntax === undefined) return undefined;

  const name = relative(realDir, file);
  const renamed = name.replace(/\.js$/, '.mjs');
  const why =
    scope.path === undefined
      ? 'no package.json above it says "type": "module"'
      : scope.type === 'commonjs'
        ? `${scope.path} says "type": "commonjs"`
        : `${scope.path} has no "type": "module"`;
  // `plugin:Greeter` and `plugin` try plugin.mjs after plugin.js; a path names the file.
  const rename =
    name === `${entryPoint.specifier}.js`
      ? `rename ${name} to ${renamed} (entry_point "${entryPoint.raw}" finds it as it is)`
      : `rename ${name} to ${renamed} and set entry_point = "./${renamed}${
          entryPoint.exportName === undefined ? '' : `#${entryPoint.exportName}`
        }"`;
  const typeModule =
    scope.path === undefined
      ? `create ${join(realDir, 'package.json')} containing {"type": "module"}`
      : scope.type === 'commonjs'
        ? `change "type" to "module" in ${scope.path}`
        : `add "type": "module" to ${scope.path}`;
  return {
    message: `${name} is an ES module (${syntax}), but Node loads it as CommonJS: ${why}`,
    hint: `${rename}, or ${typeModule}`,
  };
}

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
  const fail = (message: string, hint: string, path = manifest.source): PluginLoadError =>
    new PluginLoadError(message, {
      plugin: manifest.name,
      kind: manifest.kind,
      path,
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

  const raw = manifest.entry_point;
  /** The resolved module, refused when Node would load its ES module syntax as CommonJS. */
  const checked = async (
    real: string,
  ): Promise<{ file: string; exportName: string | undefined }> => {
    const mismatch = await commonJsMismatch(real, { raw, specifier, exportName }, realDir);
    if (mismatch !== undefined) throw fail(mismatch.message, mismatch.hint, real);
    return { file: real, exportName };
  };

  let file: string | undefined;
  if (style === 'package') {
    file = await resolvePackage(specifier, realDir);
    if (file !== undefined) return { file: await realpath(file), exportName };
    // A bare name can also be a module file of the plugin folder (`plugin`).
    file = MODULE_EXTENSIONS.map((ext) => join(realDir, `${specifier}${ext}`)).find((f) =>
      existsSync(f),
    );
    if (file === undefined) {
      throw fail(
        `cannot find package "${specifier}" from ${realDir}`,
        `install it (npm install ${specifier}) next to the plugin`,
      );
    }
    return checked(await realpath(file));
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
  return checked(real);
}
