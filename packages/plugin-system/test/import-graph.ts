// The static import graph of a built ES module, followed through relative
// imports and workspace packages (not into third-party packages).
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';

/** What the walk found. */
export interface ImportGraph {
  /** Every file visited (absolute, real paths). */
  readonly files: readonly string[];
  /** Every specifier imported by a visited file, with the importing file. */
  readonly imports: readonly { readonly from: string; readonly specifier: string }[];
}

const STATIC_IMPORT =
  /(?:^|[;\n}])\s*(?:import|export)\s*(?:type\s+)?(?:[\w*${}\s,]+?\s*from\s*)?['"]([^'"]+)['"]/g;

/** Specifiers of the static `import`/`export ... from` statements of a module. */
export function staticImports(source: string): string[] {
  const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...withoutComments.matchAll(STATIC_IMPORT)].map((m) => m[1] as string);
}

/** Walk from `entry`; `inside(file)` says whether a resolved file is followed. */
export function walkImports(entry: string, inside: (file: string) => boolean): ImportGraph {
  const files: string[] = [];
  const imports: { from: string; specifier: string }[] = [];
  const seen = new Set<string>();
  const queue = [realpathSync(entry)];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    files.push(file);
    for (const specifier of staticImports(readFileSync(file, 'utf8'))) {
      imports.push({ from: file, specifier });
      if (specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
      const target = specifier.startsWith('.')
        ? resolve(dirname(file), specifier)
        : resolvePublished(file, specifier);
      const real = realpathSync(target);
      if (inside(real)) queue.push(real);
    }
  }
  return { files, imports };
}

/** Files of the workspace's own packages, not of installed dependencies. */
export function inWorkspace(root: string): (file: string) => boolean {
  return (file) => file.startsWith(root + sep) && !file.includes(`${sep}node_modules${sep}`);
}

/**
 * Resolve a package specifier the way a consumer's Node does: through
 * node_modules and the `default` condition of `exports` (the test process
 * itself runs with the `@dagstack/source` condition, so `require.resolve`
 * would answer with TypeScript sources).
 */
function resolvePublished(from: string, specifier: string): string {
  const parts = specifier.split('/');
  const nameLength = specifier.startsWith('@') ? 2 : 1;
  const name = parts.slice(0, nameLength).join('/');
  const subpath = parts.length > nameLength ? `./${parts.slice(nameLength).join('/')}` : '.';
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const pkgDir = join(dir, 'node_modules', name);
    if (existsSync(join(pkgDir, 'package.json'))) {
      const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
        exports?: Record<string, string | Record<string, string>>;
        main?: string;
      };
      const entry = pkg.exports?.[subpath];
      const target =
        typeof entry === 'string'
          ? entry
          : (entry?.default ?? entry?.import ?? pkg.main ?? 'index.js');
      return resolve(pkgDir, target);
    }
    if (dirname(dir) === dir) throw new Error(`cannot resolve ${specifier} from ${from}`);
  }
}
