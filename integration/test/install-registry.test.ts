// docs/getting-started.md in a project of your own, installed from a registry
// the way its "In your own project" section says. Every public package is
// published with the project's release tooling (`pnpm publish -r`) to a real
// local registry (verdaccio on 127.0.0.1, see local-registry.ts). Then four
// scratch projects outside the workspace — ESM (`npm init -y` plus
// `npm pkg set type=module`) and CommonJS (`npm init -y` as it is), each with
// npm and with pnpm (strict, isolated node_modules) — run the page's install
// block (`<!-- install: registry -->`, `<!-- install: registry-pnpm -->`)
// verbatim, write the page's `<!-- file: ... -->` blocks, run its
// `dagstack-plugins` blocks through the installed CLI (`npx -p
// @dagstack/plugin-cli dagstack-plugins ...` with npm, `pnpm exec
// dagstack-plugins ...` with pnpm) and compare the output with the page's,
// then compile host.ts with the page's tsconfig.json (TypeScript from this
// package's devDependencies; @types/node installed in the project) and run it.
// A CommonJS project first sees `validate` refuse the page's ES module plugin
// and name the fix, then applies the renames the page gives (plugin.mjs,
// host.mts).
//
// npm and pnpm reach the local registry only through the environment and user
// config files in the scratch folder (npm_config_userconfig: a publish one
// with the token, an install one without); ~/.npmrc is read once, by `npm
// config get registry` (the registry verdaccio proxies for everything but
// @dagstack/*), and never written. Third-party packages land in one npm cache
// and one pnpm store that the projects share. A table of every step and its
// time is printed at the end, also when a step fails.
//
// Needs the workspace built (`pnpm exec turbo run build`; `pnpm test` does it),
// the npm registry, and (under Node 20) interop/node22's Node for verdaccio.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CodeBlock,
  DOCS,
  parseBlocks,
  readPage,
  roleOf,
  shellCommands,
} from './docs-harness.js';
import {
  assertBuilt,
  killProcessesIn,
  processesIn,
  publicWorkspacePackages,
  type RunResult,
  reapChildren,
  run,
  runChecked,
  scratchEnv,
  WORKSPACE_ROOT,
  type WorkspacePackage,
} from './install-helpers.js';
import {
  createUser,
  type LocalRegistry,
  publishedVersions,
  registryNpmrc,
  startLocalRegistry,
  warmUplink,
} from './local-registry.js';

const PAGE = join(DOCS, 'getting-started.md');
const PAGE_TEXT = readPage(PAGE);
const BLOCKS = parseBlocks(PAGE_TEXT);

const PACKAGE_MANAGERS = ['npm', 'pnpm'] as const;
type PackageManager = (typeof PACKAGE_MANAGERS)[number];
const MODULE_TYPES = ['esm', 'cjs'] as const;
type ModuleType = (typeof MODULE_TYPES)[number];

/** The install block of the page each package manager runs. */
const INSTALL_BLOCK: Record<PackageManager, string> = { npm: 'registry', pnpm: 'registry-pnpm' };
/** How each package manager runs the installed CLI, as the page says. */
const CLI_PREFIX: Record<PackageManager, string[]> = {
  npm: ['npx', '-p', '@dagstack/plugin-cli'],
  pnpm: ['pnpm', 'exec'],
};
/** What the page tells a CommonJS project to rename (its ES modules get their own extensions). */
const CJS_RENAMES: Record<string, string> = {
  'plugins/greeter/plugin.js': 'plugins/greeter/plugin.mjs',
  'host.ts': 'host.mts',
};

const INSTALL_TIMEOUT_MS = 180_000;
/** One command; also the timeout of a test that runs one (tsc takes 10 s idle, 30 s beside the other suites). */
const STEP_TIMEOUT_MS = 60_000;
/** A project's install waits for the one before it with the same package manager. */
const PROJECT_TIMEOUT_MS = 2 * 3 * INSTALL_TIMEOUT_MS;

const require = createRequire(import.meta.url);
const TSC = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
const TYPES_NODE_VERSION: string = JSON.parse(
  readFileSync(join(WORKSPACE_ROOT, 'package.json'), 'utf8'),
).devDependencies['@types/node'];

// --- the page --------------------------------------------------------------------

/** The fenced block right after `<!-- install: name -->` (blank lines between allowed). */
function installBlock(name: string): CodeBlock {
  const lines = PAGE_TEXT.split('\n');
  const at = lines.findIndex((line) => line.trim() === `<!-- install: ${name} -->`);
  if (at < 0) throw new Error(`docs/getting-started.md has no <!-- install: ${name} --> marker`);
  const block = BLOCKS.find((b) => b.line > at + 1);
  const between = block === undefined ? [] : lines.slice(at + 1, block.line - 1);
  if (block === undefined || between.some((line) => line.trim() !== '')) {
    throw new Error(`<!-- install: ${name} --> (line ${at + 1}) is not followed by a code block`);
  }
  return block;
}

/** A `dagstack-plugins` command of the page and the output block that follows it. */
type PageCommand = { words: readonly string[]; text: string; expected: CodeBlock };

function pageCommands(): PageCommand[] {
  const out: PageCommand[] = [];
  BLOCKS.forEach((block, i) => {
    if (roleOf(block) !== 'shell') return;
    const expected = BLOCKS[i + 1];
    if (expected === undefined || !['text', 'json'].includes(expected.lang)) {
      throw new Error(`getting-started.md:${block.line}: no output block after the command`);
    }
    for (const command of shellCommands(block.code)) {
      out.push({ words: command.words, text: command.text, expected });
    }
  });
  return out;
}

/** Lines with runs of blanks collapsed: the page's tables are aligned by hand. */
function normalized(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .join('\n');
}

// --- the run ---------------------------------------------------------------------

type Project = { label: string; pm: PackageManager; type: ModuleType; dir: string };
type StepRecord = { column: string; step: string; ok: boolean; seconds: number };

let workDir = '';
let registry: LocalRegistry | undefined;
let pmEnv: NodeJS.ProcessEnv = {};
let workspacePackages: WorkspacePackage[] = [];
const records: StepRecord[] = [];
const projects = new Map<string, Promise<Project>>();

/** Runs `body` as one row of the printed table, under `column`. */
async function step<T>(column: string, name: string, body: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const record = (ok: boolean) =>
    records.push({ column, step: name, ok, seconds: (performance.now() - started) / 1000 });
  try {
    const value = await body();
    record(true);
    return value;
  } catch (error) {
    record(false);
    throw error;
  }
}

/** Fails a step with the command's output unless it exited with `exit`. */
function expectExit(result: RunResult, exit: number, what: string): void {
  expect(
    result.code,
    `${what} exited with ${result.code ?? result.signal}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
  ).toBe(exit);
}

async function createProject(pm: PackageManager, type: ModuleType): Promise<Project> {
  const label = `${pm}/${type}`;
  const dir = join(workDir, `${pm}-${type}`);
  mkdirSync(dir);
  const options = { cwd: dir, env: pmEnv, timeoutMs: STEP_TIMEOUT_MS };
  await step(label, 'npm init -y', () => runChecked('npm', ['init', '-y'], options));
  if (type === 'esm') {
    await step(label, 'npm pkg set type=module', () =>
      runChecked('npm', ['pkg', 'set', 'type=module'], options),
    );
  }
  for (const command of shellCommands(installBlock(INSTALL_BLOCK[pm]).code)) {
    // One row for npm's and pnpm's form of the same command: `install (page): <what>`.
    await step(label, `install (page): ${command.words.slice(2).join(' ')}`, () =>
      runChecked(command.words[0] as string, command.words.slice(1), {
        ...options,
        timeoutMs: INSTALL_TIMEOUT_MS,
      }),
    );
  }
  // The page says to install typescript and @types/node; typescript is this package's.
  const types = `@types/node@${TYPES_NODE_VERSION}`;
  await step(label, 'install @types/node', () =>
    pm === 'npm'
      ? runChecked('npm', ['install', '--save-dev', types], options)
      : runChecked('pnpm', ['add', '--save-dev', types], options),
  );
  for (const block of BLOCKS) {
    if (block.file === undefined) continue;
    const file = join(dir, block.file);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, block.code);
  }
  return { label, pm, type, dir };
}

function printTable(): void {
  const columns = [
    'shared',
    ...PACKAGE_MANAGERS.flatMap((pm) => MODULE_TYPES.map((t) => `${pm}/${t}`)),
  ];
  // The shared steps, then each project's steps in the order they ran there
  // (the projects run side by side, so first-recorded order would mix them).
  const position = new Map<string, number>();
  for (const [c, column] of columns.entries()) {
    records
      .filter((r) => r.column === column)
      .forEach((r, i) => {
        const at = c === 0 ? i - 1000 : i;
        position.set(r.step, Math.min(position.get(r.step) ?? at, at));
      });
  }
  const steps = [...new Set(records.map((r) => r.step))].sort(
    (a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0),
  );
  const cell = (column: string, name: string) =>
    records
      .filter((r) => r.column === column && r.step === name)
      .map((r) => `${r.ok ? 'ok' : 'FAIL'} ${r.seconds.toFixed(1)}s`)
      .join(', ');
  const rows = [['step', ...columns], ...steps.map((s) => [s, ...columns.map((c) => cell(c, s))])];
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  const total = records.reduce((sum, r) => sum + r.seconds, 0);
  console.log(
    `install-registry: what ran (project × package manager × step; ${total.toFixed(0)} s of steps)\n${lines.join('\n')}`,
  );
}

beforeAll(async () => {
  workDir = realpathSync(mkdtempSync(join(tmpdir(), 'dagstack-install-registry-')));
  if (!relative(WORKSPACE_ROOT, workDir).startsWith('..')) {
    throw new Error(`the scratch projects must be outside the workspace; ${workDir} is inside it`);
  }
  workspacePackages = publicWorkspacePackages();
  for (const pkg of workspacePackages) assertBuilt(pkg);

  const uplink = (
    await runChecked('npm', ['config', 'get', 'registry'], {
      cwd: workDir,
      env: scratchEnv(),
      timeoutMs: STEP_TIMEOUT_MS,
    })
  ).stdout.trim();
  const local = await step('shared', 'start verdaccio', () =>
    startLocalRegistry(join(workDir, 'registry'), uplink),
  );
  registry = local;
  // Every third-party dependency of the packages, asked for once before any install.
  const thirdParty = [
    ...new Set(
      workspacePackages.flatMap((pkg) =>
        Object.keys(pkg.manifest.dependencies ?? {}).filter((d) => !d.startsWith('@dagstack/')),
      ),
    ),
  ].sort();
  await step('shared', 'warm the uplink (third-party metadata)', () =>
    warmUplink(local.url, thirdParty),
  );
  const token = await step('shared', 'create user (PUT /-/user)', () =>
    createUser(local.url, 'dagstack-test', 'install-registry-test'),
  );

  const publishConfig = join(workDir, 'publish.npmrc');
  writeFileSync(publishConfig, registryNpmrc(local.url, {}, token));
  await step('shared', 'pnpm publish -r', () =>
    runChecked('pnpm', ['publish', '-r', '--no-git-checks'], {
      cwd: WORKSPACE_ROOT,
      env: scratchEnv({ npm_config_userconfig: publishConfig, npm_config_registry: local.url }),
      timeoutMs: INSTALL_TIMEOUT_MS,
    }),
  );

  // No token: installs read anonymously (and verdaccio need not check a password per request).
  const installConfig = join(workDir, 'install.npmrc');
  const npmCache = join(workDir, 'npm-cache');
  writeFileSync(
    installConfig,
    registryNpmrc(local.url, {
      cache: npmCache,
      fund: 'false',
      audit: 'false',
      'update-notifier': 'false',
    }),
  );
  pmEnv = scratchEnv({
    npm_config_userconfig: installConfig,
    npm_config_registry: local.url,
    npm_config_cache: npmCache,
    npm_config_prefer_offline: 'true',
    pnpm_config_store_dir: join(workDir, 'pnpm-store'),
    pnpm_config_cache_dir: join(workDir, 'pnpm-cache'),
  });

  // One chain per package manager, ESM then CommonJS (the second finds the cache
  // warm); the two chains run side by side while the describes below wait.
  for (const pm of PACKAGE_MANAGERS) {
    let previous: Promise<unknown> = Promise.resolve();
    for (const type of MODULE_TYPES) {
      const project = previous.then(
        () => createProject(pm, type),
        () => createProject(pm, type),
      );
      project.catch(() => undefined);
      projects.set(`${pm}/${type}`, project);
      previous = project;
    }
  }
}, 2 * INSTALL_TIMEOUT_MS);

afterAll(async () => {
  // An install still running (a filtered run, a hung npm) and verdaccio are killed, not awaited.
  reapChildren();
  await Promise.allSettled([...projects.values(), registry?.exited]);
  printTable();
  if (workDir) {
    killProcessesIn(workDir);
    rmSync(workDir, { recursive: true, force: true });
  }
}, 60_000);

describe('the local registry', () => {
  it('has every public package at its workspace version, published by pnpm publish -r', async () => {
    const url = registry?.url as string;
    for (const pkg of workspacePackages) {
      expect(await publishedVersions(url, pkg.name), pkg.name).toContain(pkg.manifest.version);
    }
  });

  it('serves @dagstack/* from its own storage only (no uplink for the scope)', async () => {
    const url = registry?.url as string;
    expect(await publishedVersions(url, '@dagstack/no-such-package')).toEqual([]);
  });
});

describe('docs/getting-started.md', () => {
  it('has the install blocks, the CommonJS renames and a tsconfig.json block', () => {
    expect(shellCommands(installBlock('registry').code).map((c) => c.text)).toEqual([
      'npm install @dagstack/plugin-system',
      'npm install --save-dev @dagstack/plugin-cli',
    ]);
    expect(shellCommands(installBlock('registry-pnpm').code).map((c) => c.text)).toEqual([
      'pnpm add @dagstack/plugin-system',
      'pnpm add --save-dev @dagstack/plugin-cli',
    ]);
    for (const renamed of Object.values(CJS_RENAMES)) expect(PAGE_TEXT).toContain(renamed);
    expect(PAGE_TEXT).toContain('npx -p @dagstack/plugin-cli dagstack-plugins');
    expect(PAGE_TEXT).toContain('pnpm exec dagstack-plugins');
    expect(BLOCKS.map((b) => b.file)).toEqual(
      expect.arrayContaining([
        'plugins/greeter/dagstack.toml',
        'plugins/greeter/plugin.js',
        'host.ts',
        'tsconfig.json',
      ]),
    );
    expect(pageCommands().map((c) => c.words[1])).toEqual(['validate', 'call', 'list']);
  });
});

for (const pm of PACKAGE_MANAGERS) {
  for (const type of MODULE_TYPES) {
    const label = `${pm}/${type}`;
    describe(`${type === 'esm' ? 'an ESM' : 'a CommonJS'} project with ${pm}`, () => {
      let project: Project;
      const cli = (words: readonly string[]) => {
        const [command, ...prefix] = CLI_PREFIX[pm];
        return run(command as string, [...prefix, ...words], {
          cwd: project.dir,
          env: pmEnv,
          timeoutMs: STEP_TIMEOUT_MS,
        });
      };

      beforeAll(async () => {
        const pending = projects.get(label);
        if (pending === undefined) throw new Error(`${label} was not started`);
        project = await pending;
      }, PROJECT_TIMEOUT_MS);

      it(
        'installs @dagstack packages from the local registry, at the workspace versions',
        async () => {
          const versions = new Map(workspacePackages.map((p) => [p.name, p.manifest.version]));
          const manifest = JSON.parse(readFileSync(join(project.dir, 'package.json'), 'utf8'));
          expect(manifest.type).toBe(type === 'esm' ? 'module' : 'commonjs');
          expect(Object.keys(manifest.dependencies)).toEqual(['@dagstack/plugin-system']);
          expect(Object.keys(manifest.devDependencies).sort()).toEqual([
            '@dagstack/plugin-cli',
            '@types/node',
          ]);
          for (const name of ['@dagstack/plugin-system', '@dagstack/plugin-cli']) {
            const installed = JSON.parse(
              readFileSync(join(project.dir, 'node_modules', name, 'package.json'), 'utf8'),
            );
            expect(installed.version, name).toBe(versions.get(name));
          }
          if (pm === 'npm') {
            const lock = JSON.parse(readFileSync(join(project.dir, 'package-lock.json'), 'utf8'));
            type LockEntry = { version?: string; resolved?: string; link?: boolean };
            const entries = Object.entries(lock.packages as Record<string, LockEntry>);
            const ours = entries.filter(([path]) => /(^|\/)node_modules\/@dagstack\//.test(path));
            expect(ours.length).toBeGreaterThanOrEqual(2);
            const localTarball = new RegExp(`^${registry?.url}@dagstack/`);
            for (const [path, entry] of ours) {
              const name = path.slice(path.lastIndexOf('@dagstack/'));
              expect({ path, ...entry }).toMatchObject({ path, version: versions.get(name) });
              // npm leaves `resolved` out of some entries; where it is written, it is the local registry.
              if (entry.resolved !== undefined) expect(entry.resolved, path).toMatch(localTarball);
            }
          } else {
            const lock = readFileSync(join(project.dir, 'pnpm-lock.yaml'), 'utf8');
            expect(lock).toContain(
              `'@dagstack/plugin-system@${versions.get('@dagstack/plugin-system')}'`,
            );
          }
          // The page: npm hoists what plugin-system depends on; pnpm lets a project import only what it lists.
          const importApi = await run(
            process.execPath,
            ['--input-type=module', '-e', "await import('@dagstack/plugin-api')"],
            { cwd: project.dir, env: pmEnv, timeoutMs: STEP_TIMEOUT_MS },
          );
          expect(importApi.code === 0, importApi.stderr).toBe(pm === 'npm');
        },
        STEP_TIMEOUT_MS,
      );

      if (type === 'cjs') {
        it(
          "refuses the page's ES module plugin at validate, naming the package.json and the rename",
          async () => {
            const [validate] = pageCommands();
            const result = await step(label, 'validate (plugin.js, CommonJS)', () =>
              cli(validate?.words ?? []),
            );
            expectExit(result, 1, 'validate');
            const output = `${result.stdout}${result.stderr}`;
            expect(output).toContain("plugin.js is an ES module (Unexpected token 'export')");
            expect(output).toContain(
              `${join(project.dir, 'package.json')} says "type": "commonjs"`,
            );
            expect(output).toContain('rename plugin.js to plugin.mjs');
          },
          STEP_TIMEOUT_MS,
        );

        it('takes the renames the page gives a CommonJS project', () => {
          for (const [from, to] of Object.entries(CJS_RENAMES)) {
            renameSync(join(project.dir, from), join(project.dir, to));
          }
        });
      }

      for (const command of pageCommands()) {
        it(
          `runs \`${command.text}\` and prints what the page shows`,
          async () => {
            const result = await step(label, command.words.slice(0, 2).join(' '), () =>
              cli(command.words),
            );
            expectExit(result, 0, command.text);
            if (command.expected.lang === 'json') {
              expect(JSON.parse(result.stdout)).toEqual(JSON.parse(command.expected.code));
            } else {
              expect(normalized(result.stdout)).toBe(normalized(command.expected.code));
            }
          },
          STEP_TIMEOUT_MS,
        );
      }

      it(
        "compiles the host with the page's tsconfig.json and runs it",
        async () => {
          const compiled = await step(label, 'tsc -p tsconfig.json', () =>
            run(process.execPath, [TSC, '-p', 'tsconfig.json'], {
              cwd: project.dir,
              env: pmEnv,
              timeoutMs: STEP_TIMEOUT_MS,
            }),
          );
          expect(`${compiled.stdout}${compiled.stderr}`).toBe('');
          expectExit(compiled, 0, 'tsc');
          const host = type === 'esm' ? 'host.js' : 'host.mjs';
          expect(existsSync(join(project.dir, host)), host).toBe(true);
          const result = await step(label, `node ${type === 'esm' ? 'host.js' : 'host.mjs'}`, () =>
            run(process.execPath, [host], {
              cwd: project.dir,
              env: pmEnv,
              timeoutMs: STEP_TIMEOUT_MS,
            }),
          );
          expectExit(result, 0, `node ${host}`);
          expect(processesIn(project.dir), 'processes left in the project').toEqual([]);
        },
        2 * STEP_TIMEOUT_MS,
      );
    });
  }
}

describe('npx', () => {
  it('ran the CLI the npm projects installed (nothing fetched into its own cache)', async () => {
    await Promise.allSettled(projects.values());
    expect(existsSync(join(workDir, 'npm-cache', '_npx'))).toBe(false);
  });
});
