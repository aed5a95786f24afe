#!/usr/bin/env node
// `prepack` of every public package:
// 1. refuse to pack a package whose `dist/` is missing or older than its
//    sources (`pnpm pack` does not build, and a tarball without a fresh
//    `dist/` installs but does not load);
// 2. put the repository's LICENSE next to the package's package.json, so the
//    tarball carries the licence it declares (npm and pnpm always pack a
//    LICENSE file found there). The copies are not committed (.gitignore).
import { copyFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const here = process.cwd();

/** Every `.ts` source under `dir` (declaration files left out). */
function sources(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const src = join(here, 'src');
if (existsSync(src)) {
  const problems = [];
  for (const file of sources(src)) {
    const built = join(here, 'dist', relative(src, file)).replace(/\.ts$/, '.js');
    if (!existsSync(built)) problems.push(`${relative(here, built)} is missing`);
    else if (statSync(file).mtimeMs > statSync(built).mtimeMs) {
      problems.push(`${relative(here, built)} is older than ${relative(here, file)}`);
    }
  }
  if (problems.length > 0) {
    process.stderr.write(
      `prepack: ${relative(root, here)} is not built: ${problems.slice(0, 3).join('; ')}${
        problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''
      }. Run \`pnpm build\` at the repository root, then pack again.\n`,
    );
    process.exit(1);
  }
}
copyFileSync(join(root, 'LICENSE'), join(here, 'LICENSE'));
