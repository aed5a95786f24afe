// Checks a workspace package the way a consumer sees it after `npm publish`:
// the packed file list, the export targets, and loading the built entry in a
// plain Node process (no vitest, no source condition).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PackageJson {
  name: string;
  files?: string[];
  exports: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
}

export function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Files `npm pack` would publish, relative to the package folder. */
export function packedFiles(dir: string): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const [report] = JSON.parse(out) as [{ files: { path: string }[] }];
  return report.files.map((f) => f.path).sort();
}

/** Every file an `exports` entry points to under a published condition. */
export function exportTargets(pkg: PackageJson): string[] {
  const targets: string[] = [];
  for (const value of Object.values(pkg.exports)) {
    if (typeof value === 'string') targets.push(value);
    else {
      for (const [condition, target] of Object.entries(value)) {
        // The source condition serves the workspace only; it is not published.
        if (condition !== '@dagstack/source') targets.push(target);
      }
    }
  }
  return targets.map((t) => t.replace(/^\.\//, '')).sort();
}

/** Run an ES module snippet with plain Node in `dir` and return its stdout. */
export function runNode(dir: string, source: string): string {
  if (!existsSync(join(dir, 'dist'))) {
    throw new Error(`${dir}/dist is missing: build the package first (pnpm exec turbo run build)`);
  }
  return execFileSync(process.execPath, ['--input-type=module', '-e', source], {
    cwd: dir,
    encoding: 'utf8',
  });
}
