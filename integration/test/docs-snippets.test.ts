// The code in docs/ is compiled and run, so the docs cannot go stale. For each
// page with tested blocks: a scratch folder under integration/.tmp/ (so
// `@dagstack/*` resolves to the workspace packages through this package's
// node_modules), the page's `<!-- file: ... -->` blocks written into it, then
// its tested blocks run in page order. TypeScript is type-checked with the
// settings of tsconfig.base.json against the packages' built types and
// compiled with `transpileModule`; Node 20 then runs the JavaScript. Needs a
// built workspace (`pnpm exec turbo run build`).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CodeBlock,
  DOCS,
  docPages,
  headingAbove,
  headingAnchor,
  type InstalledPackage,
  installBlock,
  installedPackages,
  isTypeScriptBlock,
  neededPackages,
  pageName,
  parseBlocks,
  ROOT,
  readPage,
  roleOf,
  shellCommands,
} from './docs-harness.js';

const SCRATCH = join(ROOT, 'integration', '.tmp', 'docs-snippets');
const CLI_BIN = join(ROOT, 'packages', 'cli', 'dist', 'bin.js');
const KEEP = process.env.DOCS_SNIPPETS_KEEP === '1';

// --- TypeScript -----------------------------------------------------------------

function compilerOptions(): ts.CompilerOptions {
  const base = ts.readConfigFile(join(ROOT, 'tsconfig.base.json'), (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(
    { compilerOptions: base.config.compilerOptions },
    ts.sys,
    ROOT,
  );
  return {
    ...parsed.options,
    // Snippets are programs, not libraries, and run against the built
    // packages: their declarations, not their sources.
    customConditions: [],
    declaration: false,
    declarationMap: false,
    isolatedDeclarations: false,
    sourceMap: false,
    noEmit: true,
  };
}

const OPTIONS = compilerOptions();
// One host that keeps parsed files, so each page's program reuses lib and
// package declarations instead of parsing them again.
const HOST = ts.createCompilerHost(OPTIONS, true);
const sourceCache = new Map<string, ts.SourceFile>();
const getSourceFile = HOST.getSourceFile.bind(HOST);
HOST.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
  const cacheable = fileName.includes('node_modules') || !fileName.startsWith(SCRATCH);
  const cached = cacheable ? sourceCache.get(fileName) : undefined;
  if (cached !== undefined) return cached;
  const file = getSourceFile(fileName, languageVersion, onError, shouldCreate);
  if (file !== undefined && cacheable) sourceCache.set(fileName, file);
  return file;
};
let previous: ts.Program | undefined;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') out.push(...tsFiles(path));
    else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
      out.push(path);
  }
  return out;
}

/** Type-check every .ts file of a page's folder; the problems as text. */
function typeCheck(dir: string): string[] {
  const program = ts.createProgram(tsFiles(dir), OPTIONS, HOST, previous);
  previous = program;
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || d.file.fileName.startsWith(dir))
    .map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (d.file === undefined || d.start === undefined) return text;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${relative(dir, d.file.fileName)}:${line + 1}:${character + 1}: ${text}`;
    });
}

/** Compile every .ts file of a page's folder to the .js beside it. */
function compile(dir: string): void {
  for (const file of tsFiles(dir)) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: { ...OPTIONS, noEmit: false, module: ts.ModuleKind.ESNext },
      fileName: file,
    });
    writeFileSync(file.replace(/\.ts$/, '.js'), outputText);
  }
}

// --- Pages ------------------------------------------------------------------------

interface Page {
  readonly name: string;
  readonly dir: string;
  readonly blocks: readonly CodeBlock[];
}

const pages: Page[] = docPages()
  .map((path) => {
    const name = pageName(path);
    return {
      name,
      dir: join(SCRATCH, name.replace(/\.md$/, '').replaceAll('/', '__')),
      blocks: parseBlocks(readPage(path)),
    };
  })
  .filter((p) => p.blocks.some((b) => roleOf(b) !== 'none'));

function write(dir: string, path: string, text: string): string {
  const file = join(dir, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function run(command: string, args: readonly string[], cwd: string) {
  return spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
}

afterAll(() => {
  if (!KEEP) rmSync(SCRATCH, { recursive: true, force: true });
});

describe('docs snippets', () => {
  it('every guide has at least one tested snippet', () => {
    const guides = docPages().filter((p) => pageName(p).startsWith('guides/'));
    expect(guides.length).toBeGreaterThanOrEqual(8);
    const untested = guides.filter(
      (p) => !parseBlocks(readPage(p)).some((b) => roleOf(b) === 'run' || roleOf(b) === 'shell'),
    );
    expect(untested.map(pageName)).toEqual([]);
  });

  it('the CLI is built', () => {
    expect(existsSync(CLI_BIN), `${CLI_BIN}: run \`pnpm exec turbo run build\``).toBe(true);
  });

  for (const page of pages) {
    describe(page.name, () => {
      let counter = 0;
      it('writes its files', () => {
        rmSync(page.dir, { recursive: true, force: true });
        mkdirSync(page.dir, { recursive: true });
        for (const block of page.blocks) {
          if (block.file !== undefined && roleOf(block) === 'file')
            write(page.dir, block.file, block.code);
        }
      });
      for (const block of page.blocks) {
        const role = roleOf(block);
        if (role === 'file' || role === 'none') continue;
        const where = `${page.name}:${block.line}`;
        const index = counter++;
        it(`${role} ${block.lang} block at line ${block.line}`, () => {
          if (role === 'shell') {
            for (const command of shellCommands(block.code)) {
              expect(command.words[0], `${where}: only dagstack-plugins lines are run`).toBe(
                'dagstack-plugins',
              );
              const result = run(process.execPath, [CLI_BIN, ...command.words.slice(1)], page.dir);
              expect(
                result.status,
                `${where}: ${command.text}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
              ).toBe(command.exit);
            }
            return;
          }
          const path = block.file ?? `snippet-${index}.${block.lang}`;
          const file = write(page.dir, path, block.code);
          if (block.lang === 'ts') {
            expect(typeCheck(page.dir).join('\n'), `${where}: type errors`).toBe('');
            compile(page.dir);
          }
          if (role === 'check') return;
          const result = run(process.execPath, [file.replace(/\.ts$/, '.js')], page.dir);
          expect(
            result.status,
            `${where}: exit ${result.status} ${result.signal ?? ''}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
          ).toBe(0);
        });
      }
    });
  }
});

// --- "You need" (issue 18) ----------------------------------------------------------
//
// Every guide says near its top which packages to install: a `<!-- install:
// needs -->` block of `npm install` commands. The list must name exactly the
// packages the page's code needs (neededPackages in docs-harness.ts: what its
// JavaScript and TypeScript blocks import, the executables its shell blocks
// run, and for TypeScript the compiler and the tsconfig's @types), with the
// tools as development dependencies. Getting started is held to the same rule
// with the install block the install-from-registry test runs (`<!-- install:
// registry -->`) plus its `npm install --save-dev typescript @types/node`.
// A page with TypeScript links to the one tsconfig.json of getting started
// (or shows its own), and every guide's TypeScript compiles with it.

const GETTING_STARTED = join(DOCS, 'getting-started.md');

/** Packages that belong in devDependencies: tools and test libraries. */
const DEV_PACKAGES: ReadonlyMap<string, string> = new Map([
  ['typescript', 'the compiler'],
  ['@types/node', "Node's types, for the compiler"],
  ['vitest', 'a test runner'],
  ['@dagstack/plugin-cli', 'the dagstack-plugins command'],
  ['@dagstack/plugin-contract-suite', 'a test library'],
  ['@dagstack/hookspec-codegen', 'a code generator'],
]);

interface WorkspaceManifest {
  name?: string;
  private?: boolean;
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

function workspaceManifests(): WorkspaceManifest[] {
  const dirs = [
    ROOT,
    join(ROOT, 'integration'),
    ...readdirSync(join(ROOT, 'packages'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(ROOT, 'packages', e.name)),
  ];
  return dirs
    .map((d) => join(d, 'package.json'))
    .filter((f) => existsSync(f))
    .map((f) => JSON.parse(readFileSync(f, 'utf8')) as WorkspaceManifest);
}

const MANIFESTS = workspaceManifests();
/** Executable → the public package that ships it (`dagstack-plugins` → `@dagstack/plugin-cli`). */
const BINS = new Map<string, string>(
  MANIFESTS.filter((m) => m.name !== undefined && m.private !== true).flatMap((m) =>
    typeof m.bin === 'string'
      ? [[(m.name as string).split('/').at(-1) as string, m.name as string] as const]
      : Object.keys(m.bin ?? {}).map((b) => [b, m.name as string] as const),
  ),
);
/** Names a "You need" list may use: our public packages and what the workspace depends on. */
const KNOWN_PACKAGES = new Set<string>(
  MANIFESTS.flatMap((m) => [
    ...(m.name !== undefined && m.private !== true ? [m.name] : []),
    ...Object.keys({ ...m.dependencies, ...m.devDependencies, ...m.peerDependencies }),
  ]),
);

/** The `<!-- file: tsconfig.json -->` block of getting started, and the anchor of its section. */
function canonicalTsconfig(): {
  compilerOptions: Record<string, unknown>;
  anchor: string;
} {
  const text = readPage(GETTING_STARTED);
  const block = parseBlocks(text).find((b) => b.file === 'tsconfig.json');
  if (block === undefined)
    throw new Error('getting-started.md has no <!-- file: tsconfig.json -->');
  const heading = headingAbove(text, block.line);
  if (heading === undefined) throw new Error('the tsconfig.json block has no heading above it');
  const parsed = JSON.parse(block.code) as { compilerOptions?: Record<string, unknown> };
  return { compilerOptions: parsed.compilerOptions ?? {}, anchor: headingAnchor(heading) };
}

const TSCONFIG = canonicalTsconfig();
const TSCONFIG_TYPES = Array.isArray(TSCONFIG.compilerOptions.types)
  ? (TSCONFIG.compilerOptions.types as string[])
  : [];

/** `npm install ...` in inline code outside the fenced blocks (getting started's TypeScript line). */
function inlineInstalls(markdown: string): InstalledPackage[] {
  const fenced = new Set<number>();
  for (const b of parseBlocks(markdown)) {
    for (let l = b.line; l <= b.line + b.code.split('\n').length; l += 1) fenced.add(l);
  }
  const out: InstalledPackage[] = [];
  markdown.split('\n').forEach((line, i) => {
    if (fenced.has(i + 1)) return;
    for (const m of line.matchAll(/`(npm (?:install|i) [^`]+)`/g))
      out.push(...installedPackages(m[1] as string));
  });
  return out;
}

interface NeedsPage {
  readonly path: string;
  /** The install blocks that make up its list. */
  readonly markers: readonly string[];
  /** Inline `npm install ...` counts too (getting started only). */
  readonly inline: boolean;
  /** The list must come before the first `##` heading and the first other code block. */
  readonly atTop: boolean;
}

const NEEDS_PAGES: NeedsPage[] = [
  { path: GETTING_STARTED, markers: ['registry'], inline: true, atTop: false },
  ...docPages()
    .filter((p) => pageName(p).startsWith('guides/'))
    .map((path) => ({ path, markers: ['needs'], inline: false, atTop: true })),
];

/** What is wrong with a page's "You need" list (empty when nothing is). */
function needsProblems(page: NeedsPage): string[] {
  const text = readPage(page.path);
  const problems: string[] = [];
  const listed: InstalledPackage[] = [];
  for (const marker of page.markers) {
    const found = installBlock(text, marker);
    if (found === undefined) {
      problems.push(`no <!-- install: ${marker} --> block (the "You need" list)`);
      continue;
    }
    listed.push(...installedPackages(found.block.code));
    if (page.atTop) {
      const firstHeading = text.split('\n').findIndex((l) => /^##\s/.test(l)) + 1;
      const firstOther = parseBlocks(text).find((b) => b.line !== found.block.line);
      if (firstHeading > 0 && found.markerLine > firstHeading)
        problems.push(
          `<!-- install: ${marker} --> (line ${found.markerLine}) is not above the first ## heading (line ${firstHeading})`,
        );
      if (firstOther !== undefined && firstOther.line < found.markerLine)
        problems.push(
          `<!-- install: ${marker} --> (line ${found.markerLine}) comes after a code block (line ${firstOther.line})`,
        );
    }
  }
  if (page.inline) listed.push(...inlineInstalls(text));
  const needed = neededPackages(text, BINS, TSCONFIG_TYPES);
  const names = new Set(listed.map((p) => p.name));
  for (const n of needed) {
    if (!names.has(n.name))
      problems.push(`needs ${n.name} (${n.why}), but its list does not name it`);
  }
  for (const p of listed) {
    if (!needed.some((n) => n.name === p.name))
      problems.push(`lists ${p.name} (\`${p.command}\`), but no code of the page needs it`);
    if (!KNOWN_PACKAGES.has(p.name))
      problems.push(
        `lists ${p.name}: not a public package of this workspace nor a dependency of it (a typo?)`,
      );
    const dev = DEV_PACKAGES.get(p.name);
    if (dev !== undefined && !p.dev)
      problems.push(`installs ${p.name} (${dev}) without --save-dev: \`${p.command}\``);
    if (dev === undefined && p.dev)
      problems.push(
        `installs ${p.name} with --save-dev, but the page's program imports it: \`${p.command}\``,
      );
  }
  const blocks = parseBlocks(text);
  if (blocks.some(isTypeScriptBlock) && !blocks.some((b) => b.file === 'tsconfig.json')) {
    const relative = pageName(page.path).includes('/')
      ? '../getting-started.md'
      : 'getting-started.md';
    const link = `](${relative}#${TSCONFIG.anchor})`;
    if (!text.includes(link))
      problems.push(
        `has TypeScript but neither a tsconfig.json block nor a link to getting started's (\`${link}\`)`,
      );
  }
  return problems;
}

describe('"You need": the packages and the tsconfig.json of each guide', () => {
  it('reads the install commands, the imports and the executables as the rule says', () => {
    expect(
      installedPackages(
        'npm install @dagstack/plugin-system zod@3\nnpm i -D typescript @types/node@20 ./local.tgz',
      ).map((p) => `${p.name}${p.dev ? ' (dev)' : ''}`),
    ).toEqual(['@dagstack/plugin-system', 'zod', 'typescript (dev)', '@types/node (dev)']);
    const page = [
      '```ts',
      "import type { HookCall } from '@dagstack/plugin-api';",
      "import { readFile } from 'node:fs/promises';",
      "import { join } from 'path';",
      "import { Client } from '@modelcontextprotocol/sdk/client/index.js';",
      "import { thing } from './local.js';",
      "const cli = createRequire(import.meta.url).resolve('@dagstack/plugin-cli/package.json');",
      "const lazy = await import('vitest');",
      "type T = import('zod').ZodType;",
      '```',
      '```sh',
      'npx -p @dagstack/plugin-cli dagstack-plugins validate plugins',
      '```',
    ].join('\n');
    expect(neededPackages(page, BINS, ['node']).map((n) => n.name)).toEqual([
      '@dagstack/plugin-api',
      '@modelcontextprotocol/sdk',
      '@dagstack/plugin-cli',
      'vitest',
      'zod',
      'typescript',
      '@types/node',
    ]);
    expect(headingAnchor('5. Call it from a host')).toBe('5-call-it-from-a-host');
    expect(headingAnchor('`ts test` blocks, & more')).toBe('ts-test-blocks--more');
  });

  it('the rule fails a list that misses an import, names too much or puts a tool in dependencies', () => {
    const guide = join(ROOT, 'integration', '.tmp', 'needs-rule', 'guides', 'a-guide.md');
    mkdirSync(dirname(guide), { recursive: true });
    writeFileSync(
      guide,
      [
        '# A guide',
        '',
        '<!-- install: needs -->',
        '```sh',
        'npm install @dagstack/plugin-system typescript',
        'npm install --save-dev @types/node @dagstack/plugin-api',
        '```',
        '',
        '## Code',
        '',
        '```ts',
        "import { PluginRegistry } from '@dagstack/plugin-system';",
        "import { createMcpStdioRuntime } from '@dagstack/plugin-runtime-mcp-stdio';",
        '```',
      ].join('\n'),
    );
    try {
      const problems = needsProblems({
        path: guide,
        markers: ['needs'],
        inline: false,
        atTop: true,
      });
      expect(problems.join('\n')).toMatch(/needs @dagstack\/plugin-runtime-mcp-stdio \(line 11/);
      expect(problems.join('\n')).toMatch(
        /lists @dagstack\/plugin-api .* no code of the page needs it/,
      );
      expect(problems.join('\n')).toMatch(
        /installs typescript \(the compiler\) without --save-dev/,
      );
      expect(problems.join('\n')).toMatch(/neither a tsconfig.json block nor a link/);
    } finally {
      rmSync(dirname(dirname(guide)), { recursive: true, force: true });
    }
  });

  for (const page of NEEDS_PAGES) {
    it(`${pageName(page.path)} names exactly what its code needs`, () => {
      expect(needsProblems(page).join('\n'), pageName(page.path)).toBe('');
    });
  }

  // After the page tests above: the guides' folders hold their code (and the
  // files their `sh test` blocks generated). Diagnostics of declaration files
  // in node_modules are not this check's business (getting-started.md's own
  // install test compiles with the same file, libraries included).
  it("every guide's TypeScript compiles with getting started's tsconfig.json", () => {
    const converted = ts.convertCompilerOptionsFromJson(TSCONFIG.compilerOptions, ROOT);
    expect(
      converted.errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, ' ')),
    ).toEqual([]);
    const options = { ...converted.options, noEmit: true };
    const guides = pages.filter((p) => p.name.startsWith('guides/') && existsSync(p.dir));
    const withTs = guides.filter((p) => p.blocks.some(isTypeScriptBlock));
    expect(withTs.length).toBeGreaterThanOrEqual(8);
    const files = withTs.flatMap((p) => tsFiles(p.dir));
    const program = ts.createProgram(files, options);
    const problems = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...files.flatMap((f) => {
        const sf = program.getSourceFile(f);
        return sf === undefined
          ? []
          : [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
      }),
    ].map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
      if (d.file === undefined || d.start === undefined) return text;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${relative(SCRATCH, d.file.fileName)}:${line + 1}: ${text}`;
    });
    expect(problems.join('\n')).toBe('');
  }, 60_000);
});

// --- Package READMEs: install what their examples import (issue 18) -------------------
//
// A README's examples import packages; every one of them must be named by an
// `npm install` command of that README (a fenced shell block or inline code),
// so a reader who copies the install line can run the examples. Extra names
// are allowed (a README may suggest more); the compiler and Node's types are
// getting started's business (its tsconfig section).

function readmeInstallProblems(path: string): string[] {
  const text = readPage(path);
  const listed = new Set<string>([
    ...parseBlocks(text)
      .filter((b) => b.lang === 'sh' || b.lang === 'bash' || b.lang === 'shell')
      .flatMap((b) => installedPackages(b.code).map((p) => p.name)),
    ...inlineInstalls(text).map((p) => p.name),
  ]);
  return neededPackages(text, BINS, [])
    .filter((n) => n.name !== 'typescript' && n.name !== '@types/node')
    .filter((n) => !listed.has(n.name))
    .map((n) => `needs ${n.name} (${n.why}), but no npm install line of the README names it`);
}

describe('package READMEs name every package their examples import', () => {
  const readmes = readdirSync(join(ROOT, 'packages'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(ROOT, 'packages', e.name, 'README.md'))
    .filter((f) => existsSync(f));

  it('finds the READMEs', () => {
    expect(readmes.length).toBeGreaterThanOrEqual(13);
  });

  it.each(readmes.map((f) => [relative(ROOT, f), f] as const))('%s', (_name, file) => {
    expect(readmeInstallProblems(file)).toEqual([]);
  });
});
