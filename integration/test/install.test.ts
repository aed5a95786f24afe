// The packages as a user gets them: each public package is packed with
// `pnpm pack` (from its built dist/, as `pnpm publish` would), the tarballs are
// checked, and two scratch projects outside the workspace install them with
// npm: A runs a ten-line host that calls a stdio plugin, B type-checks a plugin
// against @dagstack/plugin-api alone.
//
// Needs the workspace built (`pnpm exec turbo run build`; `pnpm test` does it)
// and the npm registry for third-party dependencies.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeProjectA, writeProjectB } from './install-fixtures.js';
import {
  assertBuilt,
  dagstackClosure,
  exportTargets,
  killProcessesIn,
  type Packed,
  packagePath,
  packPackage,
  processesIn,
  publicWorkspacePackages,
  reapChildren,
  run,
  runChecked,
  SOURCE_CONDITION,
  scratchEnv,
  WORKSPACE_ROOT,
  type WorkspacePackage,
  withoutCondition,
} from './install-helpers.js';

/** What project A asks for; the @dagstack packages they depend on come along. */
const HOST_PACKAGES = [
  '@dagstack/plugin-api',
  '@dagstack/plugin-registry',
  '@dagstack/plugin-runtime-mcp-stdio',
];
/** npm install fetches third-party packages from the registry: a minute is not unusual here. */
const INSTALL_TIMEOUT_MS = 300_000;
const RUN_TIMEOUT_MS = 90_000;
const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--no-update-notifier'];
const TYPESCRIPT_VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).devDependencies.typescript;

type Installed = { dir: string; packages: string[]; seconds: number };

let workDir = '';
let workspacePackages: WorkspacePackage[] = [];
const packed = new Map<string, Packed>();
let projectA: Promise<Installed>;
let projectB: Promise<Installed>;

async function npmInstall(dir: string, specs: readonly string[]): Promise<number> {
  const started = performance.now();
  await runChecked('npm', ['install', ...NPM_FLAGS, ...specs], { cwd: dir, env: scratchEnv() });
  return (performance.now() - started) / 1000;
}

function tarballOf(name: string): string {
  const pkg = packed.get(name);
  if (!pkg) throw new Error(`${name} was not packed`);
  return pkg.tarball;
}

async function installProjectA(): Promise<Installed> {
  const dir = join(workDir, 'project-a');
  writeProjectA(dir, process.execPath);
  const packages = dagstackClosure(HOST_PACKAGES, packed);
  const seconds = await npmInstall(dir, packages.map(tarballOf));
  console.log(`project A: npm install of ${packages.length} tarballs took ${seconds.toFixed(1)} s`);
  return { dir, packages, seconds };
}

async function installProjectB(): Promise<Installed> {
  const dir = join(workDir, 'project-b');
  writeProjectB(dir);
  const packages = ['@dagstack/plugin-api'];
  const seconds = await npmInstall(dir, [
    tarballOf('@dagstack/plugin-api'),
    `typescript@${TYPESCRIPT_VERSION}`,
  ]);
  console.log(`project B: npm install of plugin-api + typescript took ${seconds.toFixed(1)} s`);
  return { dir, packages, seconds };
}

type LockEntry = { resolved?: string; version?: string };
function lockEntries(dir: string): Record<string, LockEntry> {
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
  return lock.packages as Record<string, LockEntry>;
}

function installedDagstackPackages(dir: string): string[] {
  const scope = join(dir, 'node_modules', '@dagstack');
  return existsSync(scope)
    ? readdirSync(scope)
        .map((name) => `@dagstack/${name}`)
        .sort()
    : [];
}

/** Whether `^1.2.3`, `~1.2.3` or `1.2.3` accepts `version` (npm semantics, 0.x included). */
function rangeAccepts(range: string, version: string): boolean {
  const r = /^([~^]?)(\d+)\.(\d+)\.(\d+)$/.exec(range);
  const v = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!r || !v) return false;
  const [major, minor, patch] = [Number(r[2]), Number(r[3]), Number(r[4])];
  const [hMajor, hMinor, hPatch] = [Number(v[1]), Number(v[2]), Number(v[3])];
  const order = hMajor - major || hMinor - minor || hPatch - patch;
  if (r[1] === '') return order === 0;
  if (order < 0) return false;
  if (r[1] === '~') return hMajor === major && hMinor === minor;
  // caret: the left-most non-zero part is fixed
  if (major > 0) return hMajor === major;
  if (minor > 0) return hMajor === 0 && hMinor === minor;
  return hMajor === 0 && hMinor === 0 && hPatch === patch;
}

beforeAll(async () => {
  workDir = realpathSync(mkdtempSync(join(tmpdir(), 'dagstack-install-')));
  if (!relative(WORKSPACE_ROOT, workDir).startsWith('..')) {
    throw new Error(`the scratch projects must be outside the workspace; ${workDir} is inside it`);
  }
  workspacePackages = publicWorkspacePackages();
  for (const pkg of workspacePackages) assertBuilt(pkg);
  const dest = join(workDir, 'tarballs');
  mkdirSync(dest);
  for (const pkg of await Promise.all(workspacePackages.map((p) => packPackage(p, dest)))) {
    packed.set(pkg.name, pkg);
  }
  // Both installs run while the tarball checks run; each describe awaits its own.
  projectA = installProjectA();
  projectB = installProjectB();
  projectA.catch(() => undefined);
  projectB.catch(() => undefined);
}, 60_000);

afterAll(async () => {
  // An install still running (a filtered run, a hung npm) is killed, not awaited.
  reapChildren();
  await Promise.allSettled([projectA, projectB].filter(Boolean));
  if (workDir) {
    killProcessesIn(workDir);
    rmSync(workDir, { recursive: true, force: true });
  }
}, 60_000);

describe('pnpm pack', () => {
  it('makes one tarball per public package, at its workspace version', () => {
    expect([...packed.keys()].sort()).toEqual(workspacePackages.map((p) => p.name).sort());
    for (const pkg of workspacePackages) {
      expect(packed.get(pkg.name)?.version, pkg.name).toBe(pkg.manifest.version);
    }
  });

  it('leaves no workspace: or catalog: range, and internal ranges accept the packed siblings', () => {
    for (const pkg of packed.values()) {
      const { dependencies, devDependencies, peerDependencies, optionalDependencies } =
        pkg.manifest;
      for (const deps of [dependencies, devDependencies, peerDependencies, optionalDependencies]) {
        for (const [dep, range] of Object.entries(deps ?? {})) {
          expect(range, `${pkg.name} -> ${dep}`).not.toMatch(/^(workspace|catalog|link|file):/);
          const sibling = packed.get(dep);
          if (sibling) {
            expect(rangeAccepts(range, sibling.version), `${pkg.name} -> ${dep}@${range}`).toBe(
              true,
            );
          }
        }
      }
    }
  });

  it(`publishes exports without the ${SOURCE_CONDITION} condition, every target in the tarball`, () => {
    for (const pkg of packed.values()) {
      const { manifest, files } = pkg;
      expect(JSON.stringify(manifest), pkg.name).not.toContain(SOURCE_CONDITION);
      const targets = exportTargets(manifest.exports);
      expect(targets.length, `${pkg.name} has exports`).toBeGreaterThan(0);
      if (manifest.types) targets.push(['types', manifest.types]);
      if (manifest.main) targets.push(['main', manifest.main]);
      const bin = typeof manifest.bin === 'string' ? { [pkg.name]: manifest.bin } : manifest.bin;
      for (const [name, target] of Object.entries(bin ?? {})) targets.push([`bin ${name}`, target]);
      for (const [where, target] of targets) {
        expect(
          files.has(packagePath(target)),
          `${pkg.name} ${where}: ${target} is not packed`,
        ).toBe(true);
      }
      for (const [name, target] of Object.entries(bin ?? {})) {
        const head = files.get(packagePath(target))?.subarray(0, 20).toString('utf8') ?? '';
        expect(head, `${pkg.name} bin ${name} needs a shebang`).toMatch(/^#!\/usr\/bin\/env node/);
      }
    }
  });

  it('resolves every import of the packed .js and .d.ts files: packed files, declared dependencies', () => {
    for (const pkg of packed.values()) {
      const { dependencies, peerDependencies } = pkg.manifest;
      const declared = new Set([
        pkg.name,
        ...Object.keys({ ...dependencies, ...peerDependencies }),
      ]);
      const problems: string[] = [];
      for (const [path, content] of pkg.files) {
        if (!/\.(m?js|d\.m?ts)$/.test(path)) continue;
        const isTypes = /\.d\.m?ts$/.test(path);
        // TypeScript's import scanner: real imports only, not code inside template strings.
        const { importedFiles } = ts.preProcessFile(content.toString('utf8'), true, true);
        for (const { fileName: spec } of importedFiles) {
          if (spec.startsWith('node:')) continue;
          if (spec.startsWith('.')) {
            let target = posix.normalize(posix.join(posix.dirname(path), spec));
            if (isTypes) target = target.replace(/\.js$/, '.d.ts').replace(/\.mjs$/, '.d.mts');
            if (!pkg.files.has(target)) problems.push(`${path}: ${spec} is not packed`);
            continue;
          }
          const name = spec.startsWith('@')
            ? spec.split('/').slice(0, 2).join('/')
            : spec.split('/')[0];
          if (!declared.has(name ?? spec)) problems.push(`${path}: ${spec} is not a dependency`);
        }
      }
      expect(problems, pkg.name).toEqual([]);
    }
  });

  it('packs no tests, build info or test reports; packs the README and the Apache-2.0 LICENSE', () => {
    for (const pkg of packed.values()) {
      const stray = [...pkg.files.keys()].filter((path) =>
        /(^|\/)(test|tests|__tests__|node_modules)\/|\.test(-d)?\.[cm]?[jt]s$|\.tsbuildinfo$|\.test-report\.json$/.test(
          path,
        ),
      );
      expect(stray, pkg.name).toEqual([]);
      expect(pkg.files.has('README.md'), `${pkg.name} README.md`).toBe(true);
      expect(pkg.manifest.license, `${pkg.name} license`).toBe('Apache-2.0');
      expect(pkg.files.get('LICENSE')?.toString('utf8'), `${pkg.name} LICENSE`).toMatch(
        /^\s*Apache License\s+Version 2\.0, January 2004/,
      );
    }
  });

  it('refuses to pack a package whose dist/ is older than its sources, and says what to run', async () => {
    const api = workspacePackages.find((p) => p.name === '@dagstack/plugin-api');
    if (api === undefined) throw new Error('no @dagstack/plugin-api in the workspace');
    const source = join(api.dir, 'src', 'index.ts');
    const { atime, mtime } = statSync(source);
    const dest = join(workDir, 'stale-pack');
    mkdirSync(dest, { recursive: true });
    // As if the source had been edited after the last build (content untouched).
    utimesSync(source, atime, new Date(Date.now() + 60_000));
    try {
      const result = await run('pnpm', ['pack', '--pack-destination', dest], { cwd: api.dir });
      expect(result.code).not.toBe(0);
      expect(`${result.stdout}${result.stderr}`).toContain(
        'dist/index.js is older than src/index.ts',
      );
      expect(`${result.stdout}${result.stderr}`).toContain('Run `pnpm build`');
      expect(readdirSync(dest)).toEqual([]);
    } finally {
      utimesSync(source, atime, mtime);
    }
  });

  it(`keeps publishConfig.exports equal to exports minus ${SOURCE_CONDITION} (package.json)`, () => {
    for (const pkg of workspacePackages) {
      expect(pkg.manifest.publishConfig?.exports, `${pkg.name}: publishConfig.exports`).toEqual(
        withoutCondition(pkg.manifest.exports),
      );
    }
  });
});

describe('scratch project A: npm install of the host tarballs, a host calling a stdio plugin', () => {
  let installed: Installed;

  beforeAll(async () => {
    installed = await projectA;
  }, INSTALL_TIMEOUT_MS);

  it('installs exactly the three packages and their @dagstack dependencies, from the tarballs', () => {
    const { dir, packages } = installed;
    expect(packages).toEqual(expect.arrayContaining(HOST_PACKAGES));
    expect(packages).not.toContain('@dagstack/plugin-runtime-mcp-http');
    expect(installedDagstackPackages(dir)).toEqual(packages);
    const lock = lockEntries(dir);
    for (const name of packages) {
      expect(lock[`node_modules/${name}`]?.resolved, name).toMatch(/^file:.*\.tgz$/);
    }
    // Third-party dependencies come from the registry, at the versions the tarballs pin.
    const sdk = packed.get('@dagstack/plugin-runtime-mcp-stdio')?.manifest.dependencies?.[
      '@modelcontextprotocol/sdk'
    ];
    const sdkEntry = lock['node_modules/@modelcontextprotocol/sdk'];
    expect(sdkEntry?.version).toBe(sdk);
    expect(sdkEntry?.resolved ?? 'registry').not.toMatch(/^file:/);
  });

  it.each<[string, string[]]>([
    ['plain node', []],
    [`node --conditions=${SOURCE_CONDITION}`, [`--conditions=${SOURCE_CONDITION}`]],
  ])(
    'runs the host (%s): the stdio plugin answers, errors stay typed, no process is left',
    async (_label, nodeFlags) => {
      const { dir } = installed;
      const result = await run(process.execPath, [...nodeFlags, 'host.mjs'], {
        cwd: dir,
        env: scratchEnv(),
      });
      expect(result.code, `host stderr:\n${result.stderr}`).toBe(0);
      const lastLine = result.stdout.trim().split('\n').at(-1) ?? '';
      const out = JSON.parse(lastLine);
      const nodeModules = pathToFileURL(join(dir, 'node_modules')).href;
      expect(out).toEqual({
        reply: { greeting: 'hello, npm', pid: expect.any(Number), runtime: expect.any(String) },
        error: { typed: true, code: 'PLUGIN_INVOCATION_ERROR' },
        states: ['greeter:ready'],
        registry: `${nodeModules}/@dagstack/plugin-registry/dist/index.js`,
      });
      expect(out.reply.runtime).toBe(
        `${nodeModules}/@dagstack/plugin-runtime-mcp-stdio/dist/index.js`,
      );
      expect(processesIn(dir), 'processes left in the scratch project').toEqual([]);
    },
    RUN_TIMEOUT_MS,
  );
});

describe('scratch project B: @dagstack/plugin-api alone, type-checking a plugin', () => {
  let installed: Installed;
  let tsc: string;

  beforeAll(async () => {
    installed = await projectB;
    tsc = join(installed.dir, 'node_modules', 'typescript', 'bin', 'tsc');
  }, INSTALL_TIMEOUT_MS);

  it('installs plugin-api from its tarball with no dependencies of its own', () => {
    const lock = lockEntries(installed.dir);
    expect(Object.keys(lock).sort()).toEqual([
      '',
      'node_modules/@dagstack/plugin-api',
      'node_modules/typescript',
    ]);
    expect(lock['node_modules/@dagstack/plugin-api']?.resolved).toMatch(/^file:.*\.tgz$/);
    expect(lock['node_modules/typescript']?.version).toBe(TYPESCRIPT_VERSION);
  });

  it(
    'type-checks a plugin class (tsc --noEmit, skipLibCheck off)',
    async () => {
      const result = await run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], {
        cwd: installed.dir,
        env: scratchEnv(),
      });
      expect(`${result.stdout}${result.stderr}`).toBe('');
      expect(result.code).toBe(0);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'rejects a plugin whose lifecycle methods do not match Plugin',
    async () => {
      const result = await run(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.wrong.json'], {
        cwd: installed.dir,
        env: scratchEnv(),
      });
      expect(result.code).not.toBe(0);
      const errors = result.stdout.split('\n').filter((line) => /error TS\d+/.test(line));
      expect(errors).toEqual([
        expect.stringMatching(/^wrong-plugin\.ts\(\d+,\d+\): error TS2416: Property 'setup'/),
        expect.stringMatching(/^wrong-plugin\.ts\(\d+,\d+\): error TS2416: Property 'health'/),
      ]);
    },
    RUN_TIMEOUT_MS,
  );
});
