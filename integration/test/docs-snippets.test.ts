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
  docPages,
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
