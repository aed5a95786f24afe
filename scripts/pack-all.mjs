#!/usr/bin/env node
// `pnpm pack:all [--out <dir>] [--skip-build]`: build the packages (turbo,
// cached) and pack every public package under packages/ with `pnpm pack` into
// one folder (default ./packs, git-ignored), then print the tarball paths and
// the command that installs them in a project outside the repository.
//
// `pnpm pack` (not `npm pack`): only pnpm rewrites `workspace:^` and `catalog:`
// ranges and applies `publishConfig.exports`, exactly as `pnpm publish` does.
// The tarballs are installed together (`npm install <dir>/*.tgz`): one alone
// fails, because npm looks its @dagstack dependencies up on the registry.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
/** `pnpm pack` is mostly process start-up; a few at a time keep two cores busy. */
const CONCURRENCY = 4;

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'packs' },
    'skip-build': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`usage: pnpm pack:all [--out <dir>] [--skip-build]

Builds every package (turbo) and packs each public one into <dir> (default ./packs).
--skip-build  pack the dist/ folders as they are (prepack still refuses a stale one)`);
  process.exit(0);
}
const out = resolve(process.cwd(), values.out);

/** Every public package under packages/, in name order. */
function publicPackages() {
  const base = join(root, 'packages');
  const found = [];
  for (const entry of readdirSync(base).sort()) {
    const file = join(base, entry, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    if (!manifest.private) found.push({ name: manifest.name, dir: join(base, entry) });
  }
  return found;
}

/** Runs `pnpm pack` in one package; resolves to the tarball's absolute path. */
function pack(pkg) {
  return new Promise((resolvePack, reject) => {
    const child = spawn('pnpm', ['pack', '--pack-destination', out, '--json'], {
      cwd: pkg.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      // The prepack script's lines come before the JSON document.
      const start = stdout.indexOf('{');
      if (code !== 0 || start < 0) {
        reject(new Error(`pnpm pack failed for ${pkg.name} (exit ${code}):\n${stdout}${stderr}`));
        return;
      }
      resolvePack(resolve(out, JSON.parse(stdout.slice(start)).filename));
    });
  });
}

const packages = publicPackages();

if (!values['skip-build']) {
  const build = spawnSync(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--filter=./packages/*', '--output-logs=errors-only'],
    { cwd: root, stdio: 'inherit' },
  );
  if (build.status !== 0) {
    console.error(
      `pack:all: the build failed (exit ${build.status ?? build.signal}); nothing packed`,
    );
    process.exit(1);
  }
}

mkdirSync(out, { recursive: true });
// Tarballs of an earlier version would be installed next to the new ones by `*.tgz`.
const old = readdirSync(out).filter((f) => /^dagstack-.*\.tgz$/.test(f));
for (const file of old) rmSync(join(out, file));

const tarballs = [];
const queue = [...packages];
const failures = [];
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    for (let pkg = queue.shift(); pkg !== undefined; pkg = queue.shift()) {
      try {
        tarballs.push(await pack(pkg));
      } catch (error) {
        failures.push(error.message);
      }
    }
  }),
);
if (failures.length > 0) {
  console.error(failures.join('\n'));
  console.error(`pack:all: ${failures.length} of ${packages.length} packages failed to pack`);
  process.exit(1);
}

tarballs.sort();
for (const tarball of tarballs) console.log(tarball);
const shown = relative(process.cwd(), out) || '.';
console.log(
  `\n${tarballs.length} tarballs in ${shown}${old.length > 0 ? ` (${old.length} older ones removed)` : ''}.` +
    `\nInstall them in your project, all at once:\n  npm install ${out}/*.tgz`,
);
