// The harness of the docs check: a scratch TypeScript project per run under
// docs-compat/.scratch/<pid>-<random>/ (so `@dagstack/*`, `zod` and `vitest`
// resolve through docs-compat/node_modules to the BUILT packages), one
// TypeScript program for every snippet (two passes: the first finds the free
// names, the second checks the snippets with the page's preludes), an emit to
// JavaScript, and runs of the runnable snippets with Node in small projects
// assembled from the pages' own manifests and plugin classes.
//
// Layout of a scratch folder:
//   package.json            {"type":"module"}: every snippet is an ES module
//   site/                   the dagstack docs' snippets
//     plugins/<...>.ts      snippets titled `plugins/...` (plugin classes)
//     snippets/dNN.ts       the other snippets (dNN.test.ts when they use vitest)
//     runs/<page>/plugins/  per page: its manifests and compiled plugin classes
//                           (plus test/tables.ts ASSUMED_PLUGINS / MANIFEST_FORMS)
//   own/                    the project's own Markdown, one folder per page
//     node_modules/@dagstack/<pkg> -> packages/<pkg> (every workspace package)
import { type ChildProcess, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize, resolve } from 'node:path';
import ts from 'typescript';
import { README_FIXTURES } from './readme-fixtures.js';
import { assembleReadmeRun, decideOwn, fixturesFor, isReadme } from './readme-runs.js';
import { type Fence, rel, type Snippet, snippetName } from './snippets.js';
import {
  ASSUMED_PLUGINS,
  CONFORMANCE,
  EXCEPTIONS,
  type Exception,
  FRAGMENT_MARKER,
  MANIFEST_FORMS,
  MODULES,
  type ModuleStub,
  OWN_MODULES,
  OWN_PRELUDES,
  PRELUDES,
  type PreludeEntry,
} from './tables.js';

// --- options ----------------------------------------------------------------------

/** How every snippet is checked: a Node ES-module project, strict. */
export const COMPILER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  // A Node host: ES2022 plus @types/node (no DOM).
  lib: ['lib.es2022.d.ts'],
  types: ['node'],
  skipLibCheck: true,
  // Every snippet is a module, even one without import/export.
  moduleDetection: ts.ModuleDetectionKind.Force,
  noEmitOnError: false,
  declaration: false,
  sourceMap: false,
  newLine: ts.NewLineKind.LineFeed,
};

/** "Cannot find name" and its variants: the snippet uses a name it does not define. */
const FREE_NAME_CODES = new Set([
  2304, 2552, 2503, 2580, 2581, 2582, 2583, 2584, 2591, 2592, 2593,
  // "No value exists in scope for the shorthand property 'x'" (`{ resources }`)
  18004,
]);
/** "Cannot find module". */
const MISSING_MODULE_CODES = new Set([2307, 2792]);

/** The page whose plugins a page without plugins of its own runs against. */
const BASE_PAGE = 'intro.mdx';
const MANIFEST_TITLE = /^plugins\/(.+)\/(dagstack(?:-plugin)?\.(?:toml|json))$/;
const PLUGIN_TITLE = /^plugins\/.+\.ts$/;
const RUN_TIMEOUT_MS = 30_000;

// --- shapes -------------------------------------------------------------------------

/** What a snippet is, from its top-level statements. */
export type Shape = 'host' | 'imports' | 'types' | 'plugin' | 'declarations';

/**
 * The top-level shape of a snippet (does it do anything when run?): `host`
 * when it has statements that do work (an expression, a loop, a top-level
 * `await`), or builds values with calls and is not a plugin module; a module
 * with classes and no such statements is a `plugin` (its schema constants are
 * helpers); the rest declare things.
 */
export function shapeOf(code: string): Shape {
  const sf = ts.createSourceFile('s.ts', code, ts.ScriptTarget.ES2022, true);
  let imports = 0;
  let types = 0;
  let classes = 0;
  let other = 0;
  let statementWork = false;
  let initWork = false;
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) || ts.isImportEqualsDeclaration(st)) imports += 1;
    else if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) types += 1;
    else if (ts.isClassDeclaration(st)) classes += 1;
    else if (ts.isFunctionDeclaration(st) || ts.isExportDeclaration(st)) other += 1;
    else if (ts.isEmptyStatement(st)) continue;
    else if (ts.isVariableStatement(st)) {
      other += 1;
      if (hasTopLevelAwait(st)) statementWork = true;
      const exported = st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false;
      if (!exported && st.declarationList.declarations.some((d) => doesWork(d.initializer))) {
        initWork = true;
      }
    } else statementWork = true; // an expression, a loop, try/catch, ...
  }
  if (statementWork) return 'host';
  if (classes > 0) return 'plugin';
  if (initWork) return 'host';
  if (other > 0) return 'declarations';
  if (types > 0) return 'types';
  return imports > 0 ? 'imports' : 'types';
}

function doesWork(node: ts.Node | undefined): boolean {
  if (node === undefined) return false;
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) return false;
  if (ts.isCallExpression(node) || ts.isNewExpression(node) || ts.isAwaitExpression(node)) {
    return true;
  }
  return ts.forEachChild(node, (c) => (doesWork(c) ? true : undefined)) ?? false;
}

function hasTopLevelAwait(node: ts.Node): boolean {
  if (ts.isFunctionLike(node) || ts.isClassLike(node)) return false;
  if (ts.isAwaitExpression(node)) return true;
  return ts.forEachChild(node, (c) => (hasTopLevelAwait(c) ? true : undefined)) ?? false;
}

const SHAPE_REASON: Record<Exclude<Shape, 'host'>, string> = {
  imports: 'imports only: nothing to run',
  types: 'types only: nothing to run',
  plugin: 'plugin class: runs when a host loads it',
  declarations: 'declarations only (a module): nothing to run',
};

// --- units ----------------------------------------------------------------------------

/** A snippet placed in the scratch project. */
interface Unit {
  readonly snippet: Snippet;
  readonly group: 'docs' | 'own';
  readonly name: string;
  readonly page: string;
  /** 1-based doc line of the snippet's first line. */
  readonly firstLine: number;
  readonly file: string;
  /** The folder of the page (own docs) or the site (docs); module stubs resolve against it. */
  readonly base: string;
  readonly shape: Shape;
  readonly vitest: boolean;
  readonly fragment: boolean;
  preludeNames: string[];
  prelude: { text: string; label: string }[];
  epilogue: { text: string; label: string }[];
  missing: string[];
  runnable: boolean;
  reason: string;
  runCwd?: string;
  stubs: string[];
  /** How the block is marked is wrong (own docs: a README block neither run nor explained). */
  problems: string[];
  /** Written to the run's stdin, then closed (README_FIXTURES). */
  stdin?: string;
  /** Output the run must print besides the snippet's own announcements (README_FIXTURES). */
  expect: RegExp[];
}

/** What happened to one distinct snippet. */
export interface SnippetResult {
  readonly id: string;
  readonly name: string;
  readonly group: 'docs' | 'own';
  readonly snippet: Snippet;
  /** Free names the prelude table does not have (each fails the snippet). */
  readonly missing: readonly string[];
  /** Names the prelude provided. */
  readonly prelude: readonly string[];
  /** Modules the page imports without showing them, provided from MODULES. */
  readonly stubs: readonly string[];
  readonly compiled: boolean;
  /** `page:line:col TSnnnn message`, in order. */
  readonly diagnostics: readonly string[];
  readonly runnable: boolean;
  readonly ran: RunResult | undefined;
  /** Why it is compile-only, or what kind of run it is. */
  readonly reason: string;
  /** The exception of EXCEPTIONS that applies, per phase. */
  readonly exceptions: readonly Exception[];
  /** What is wrong with how the block is marked (own docs). */
  readonly problems: readonly string[];
}

/** A run of a snippet. */
export interface RunResult {
  readonly ok: boolean;
  readonly code: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** Output the docs announce (`console.log(x); // value`) but the run did not print. */
  readonly missingOutput: readonly string[];
  /** One line: why it failed. */
  readonly detail: string;
}

/** Everything a check produced. */
export interface CheckReport {
  readonly results: readonly SnippetResult[];
  /** How the run projects were assembled (manifests used, entry points, ...). */
  readonly notes: readonly string[];
  /** How the README examples' run folders were assembled (what the README gave, what the test supplied). */
  readonly readmeNotes: readonly string[];
  /** Prelude entries no snippet used (stale rows of the table). */
  readonly unusedPreludes: readonly string[];
  /** Problems of the harness itself (global diagnostics, ...). */
  readonly harness: readonly string[];
  readonly timings: Readonly<Record<string, number>>;
}

// --- scratch ----------------------------------------------------------------------------

/**
 * A fresh scratch folder `<base>/<pid>-<random>`; leftovers of processes that
 * no longer exist (a run killed before its cleanup) are removed first.
 */
export function createScratch(base: string): string {
  mkdirSync(base, { recursive: true });
  for (const entry of readdirSync(base)) {
    const pid = Number(/^(\d+)-/.exec(entry)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) rmSync(join(base, entry), { recursive: true, force: true });
  }
  const dir = mkdtempSync(join(base, `${process.pid}-`));
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'docs-compat-scratch', private: true, type: 'module' }, null, 2)}\n`,
  );
  return dir;
}

/** Remove a scratch folder (idempotent), and its parent when nothing else is in it. */
export function removeScratch(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  try {
    if (readdirSync(dirname(dir)).length === 0) rmSync(dirname(dir), { recursive: true });
  } catch {
    // the parent is gone, or another run uses it
  }
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** `intro.mdx` → `intro`, `guides/dispatchers/chain.mdx` → `guides__dispatchers__chain`. */
function slug(page: string): string {
  return page.replace(/\.(mdx|md)$/, '').replaceAll('/', '__');
}

/** A relative title that stays inside its folder. */
function safeRelative(path: string | undefined): path is string {
  if (path === undefined) return false;
  const n = normalize(path);
  return !n.startsWith('..') && !n.startsWith('/') && n === path.replace(/^\.\//, '');
}

function pageMatches(pages: readonly string[] | undefined, page: string): boolean {
  return (
    pages === undefined || pages.some((p) => (p.endsWith('/') ? page.startsWith(p) : page === p))
  );
}

const isValue = (e: PreludeEntry): boolean =>
  /^\s*declare\s+(const|let|var|function|class)\b/.test(e.declare);

function declares(code: string, name: string): boolean {
  return new RegExp(
    `(?:^|\\n)\\s*(?:export\\s+)?(?:declare\\s+)?(?:type|interface|class|function|const|let|var|enum)\\s+${name}\\b`,
  ).test(code);
}

function uses(code: string, name: string): boolean {
  return new RegExp(`(?<![\\w$.])${name.replace(/\$/g, '\\$')}(?![\\w$])`).test(code);
}

// --- the check --------------------------------------------------------------------------

/** Inputs of {@link check}. */
export interface CheckInput {
  /** The scratch folder ({@link createScratch}). */
  readonly scratch: string;
  /** The repository root (for packages/ and the own docs). */
  readonly repoRoot: string;
  /** Distinct docs snippets and every fence of the docs (manifests come from them). */
  readonly docs?: { readonly snippets: readonly Snippet[]; readonly fences: readonly Fence[] };
  /** Distinct own-docs snippets and every fence of the own pages. */
  readonly own?: { readonly snippets: readonly Snippet[]; readonly fences: readonly Fence[] };
  /** Run the runnable docs snippets (default true). */
  readonly run?: boolean;
}

/** Type-check every snippet, then run the runnable ones. */
export async function check(input: CheckInput): Promise<CheckReport> {
  const timings: Record<string, number> = {};
  const started = Date.now();
  const site = join(input.scratch, 'site');
  const ownRoot = join(input.scratch, 'own');
  const units: Unit[] = [];
  const notes: string[] = [];
  const readmeNotes: string[] = [];
  const harness: string[] = [];
  const usedPreludes = new Set<PreludeEntry>();

  if (input.docs !== undefined) units.push(...placeDocs(site, input.docs.snippets));
  if (input.own !== undefined) {
    linkWorkspacePackages(input.repoRoot, ownRoot);
    units.push(...placeOwn(ownRoot, input.own.snippets, input.own.fences));
  }

  // Pass 1: the snippets as written (plus names that shadow a global, which the
  // compiler would otherwise resolve to the wrong thing).
  for (const u of units) {
    for (const e of tableFor(u)) {
      if (!e.shadows || !pageMatches(e.pages, u.page)) continue;
      if (uses(u.snippet.code, e.name) && !declares(u.snippet.code, e.name)) addPrelude(u, e);
    }
    writeUnit(u);
  }
  const host = createHost();
  const first = ts.createProgram(
    units.map((u) => u.file),
    COMPILER_OPTIONS,
    host,
  );
  const stubFiles: string[] = [];
  for (const u of units) {
    const sf = first.getSourceFile(u.file);
    if (sf === undefined) continue;
    const free = new Set<string>();
    const modules = new Set<string>();
    for (const d of first.getSemanticDiagnostics(sf)) {
      const quoted = /'([^']+)'/.exec(ts.flattenDiagnosticMessageText(d.messageText, '\n'))?.[1];
      if (quoted === undefined) continue;
      if (FREE_NAME_CODES.has(d.code)) free.add(quoted);
      else if (MISSING_MODULE_CODES.has(d.code)) modules.add(quoted);
    }
    for (const name of free) {
      const entry = tableFor(u).find((e) => e.name === name && pageMatches(e.pages, u.page));
      if (entry === undefined || (u.group === 'own' && !u.fragment)) u.missing.push(name);
      else addPrelude(u, entry);
    }
    for (const specifier of modules) {
      const stub = findStub(u, specifier);
      if (stub === undefined) continue;
      const path = resolve(dirname(u.file), specifier).replace(/\.js$/, '.ts');
      if (!existsSync(path)) {
        write(path, `// ${stub.why}\n${stub.source}`);
        stubFiles.push(path);
      }
      u.stubs.push(specifier);
    }
  }
  timings.pass1 = Date.now() - started;

  // Which snippets run, with which providers; conformance checks.
  for (const u of units) decideRun(u);
  for (const u of units) {
    for (const c of CONFORMANCE) {
      if (c.page !== u.page || !declares(u.snippet.code, c.docsName)) continue;
      u.epilogue.push({
        text: `const __ours_${c.docsName}: ${c.docsName} = null as unknown as ${c.ours};`,
        label: `conformance: our ${c.ours.replace(/^import\('[^']+'\)\./, '')} as the docs' ${c.docsName}`,
      });
    }
    for (const name of u.preludeNames) {
      const e = tableFor(u).find((x) => x.name === name && pageMatches(x.pages, u.page));
      if (e !== undefined) usedPreludes.add(e);
    }
    writeUnit(u);
  }

  // Pass 2: with preludes, stubs and conformance lines; then emit JavaScript.
  const t2 = Date.now();
  const second = ts.createProgram(
    [...units.map((u) => u.file), ...stubFiles],
    COMPILER_OPTIONS,
    host,
    first,
  );
  for (const d of second.getGlobalDiagnostics()) harness.push(formatPlain(d));
  for (const d of second.getOptionsDiagnostics()) harness.push(formatPlain(d));
  const diagnosticsOf = new Map<Unit, string[]>();
  for (const u of units) {
    const sf = second.getSourceFile(u.file);
    if (sf === undefined) {
      diagnosticsOf.set(u, [`${u.name}: not part of the program`]);
      continue;
    }
    const list = [...second.getSyntacticDiagnostics(sf), ...second.getSemanticDiagnostics(sf)];
    diagnosticsOf.set(
      u,
      list.map((d) => formatForUnit(u, d)),
    );
  }
  for (const file of stubFiles) {
    const sf = second.getSourceFile(file);
    if (sf === undefined) continue;
    for (const d of second.getSemanticDiagnostics(sf))
      harness.push(`module stub ${formatPlain(d)}`);
  }
  const emitted = second.emit(undefined, (fileName, text) => {
    if (fileName.startsWith(site) || fileName.startsWith(ownRoot)) write(fileName, text);
  });
  if (emitted.emitSkipped) harness.push('TypeScript skipped the emit');
  timings.pass2 = Date.now() - t2;

  // Runs.
  const t3 = Date.now();
  const runs = new Map<Unit, RunResult>();
  if (input.docs !== undefined && input.run !== false) {
    const runnable = units.filter((u) => u.group === 'docs' && u.runnable);
    const assemblies = new Map<string, string>();
    for (const u of runnable) {
      let cwd = assemblies.get(u.page);
      if (cwd === undefined) {
        cwd = assemble(site, u.page, units, input.docs.fences, notes, harness);
        assemblies.set(u.page, cwd);
      }
      u.runCwd = cwd;
    }
    // A row of the run tables for a page that runs nothing is stale.
    for (const e of [...ASSUMED_PLUGINS, ...MANIFEST_FORMS]) {
      if (!assemblies.has(e.page))
        harness.push(
          `${e.page}: a row of ASSUMED_PLUGINS / MANIFEST_FORMS, but no snippet of the page runs`,
        );
    }
    if (runnable.some((u) => u.vitest)) writeVitestConfig(site);
    await pool(runnable, 2, async (u) => {
      runs.set(u, await runUnit(u, site));
    });
  }
  if (input.own !== undefined && input.run !== false) {
    const runnable = units.filter((u) => u.group === 'own' && u.runnable);
    const usedRows = new Set<unknown>();
    for (const u of runnable) {
      const location = u.snippet.locations[0];
      if (location === undefined) continue;
      const run = assembleReadmeRun(u.base, location, input.own.fences);
      u.runCwd = run.dir;
      readmeNotes.push(run.note);
      harness.push(...run.problems);
      for (const row of fixturesFor(location.page, location.heading)) {
        usedRows.add(row);
        if (row.stdin !== undefined) u.stdin = row.stdin;
        u.expect.push(...(row.expect ?? []));
      }
    }
    for (const row of README_FIXTURES) {
      if (!usedRows.has(row))
        harness.push(
          `README_FIXTURES ${row.page}${row.heading === undefined ? '' : ` (${row.heading})`}: no \`ts test\` block of the page uses the row`,
        );
    }
    if (runnable.some((u) => u.vitest)) writeVitestConfig(ownRoot, '**/block-*.test.js');
    await pool(runnable, 2, async (u) => {
      runs.set(u, await runUnit(u, ownRoot));
    });
  }
  timings.runs = Date.now() - t3;
  timings.total = Date.now() - started;

  const results = units.map((u): SnippetResult => {
    const diagnostics = diagnosticsOf.get(u) ?? [];
    const first = u.snippet.locations[0];
    const at = first === undefined ? '' : `${first.page}:${first.line}`;
    return {
      id: u.snippet.id,
      name: u.name,
      group: u.group,
      snippet: u.snippet,
      missing: u.missing,
      prelude: u.preludeNames,
      stubs: u.stubs,
      compiled: diagnostics.length === 0,
      diagnostics,
      runnable: u.runnable,
      ran: runs.get(u),
      reason: u.reason,
      exceptions: EXCEPTIONS.filter((e) => e.snippet === at),
      problems: u.problems,
    };
  });
  const allPreludes = [...PRELUDES, ...OWN_PRELUDES];
  const unusedPreludes = allPreludes
    .filter((e) => !usedPreludes.has(e))
    .map(
      (e) =>
        `${OWN_PRELUDES.includes(e) ? 'own: ' : ''}${e.name}${e.pages === undefined ? '' : ` (${e.pages.join(', ')})`}`,
    );
  return { results, notes, readmeNotes, unusedPreludes, harness, timings };
}

function tableFor(u: Unit): readonly PreludeEntry[] {
  return u.group === 'docs' ? PRELUDES : OWN_PRELUDES;
}

function findStub(u: Unit, specifier: string): ModuleStub | undefined {
  const table = u.group === 'docs' ? MODULES : OWN_MODULES;
  const fromBase = rel(u.base, resolve(dirname(u.file), specifier));
  return table.find(
    (m) => pageMatches(m.pages, u.page) && (m.specifier === specifier || m.specifier === fromBase),
  );
}

function addPrelude(u: Unit, e: PreludeEntry): void {
  if (u.preludeNames.includes(e.name)) return;
  u.preludeNames.push(e.name);
}

/** Decide whether a unit runs, and write its prelude lines accordingly. */
function decideRun(u: Unit): void {
  const entries = u.preludeNames
    .map((n) => tableFor(u).find((e) => e.name === n && pageMatches(e.pages, u.page)))
    .filter((e): e is PreludeEntry => e !== undefined);
  const values = entries.filter(isValue);
  const withoutRun = values.filter((e) => e.run === undefined || !pageMatches(e.run.pages, u.page));
  if (u.group === 'own') {
    const decision = decideOwn(u.snippet.locations[0]);
    u.runnable = decision.runnable;
    if (decision.problem !== undefined) u.problems.push(decision.problem);
    const outputs = expectedOutputs(u.snippet.code);
    const location = u.snippet.locations[0];
    const supplied = location === undefined ? [] : fixturesFor(location.page, location.heading);
    u.reason = u.runnable
      ? `${decision.reason}${u.vitest ? ' under the vitest CLI' : ''}` +
        `${supplied.length > 0 ? '; with files the test supplies (README_FIXTURES)' : ''}` +
        `${outputs.length > 0 ? `; must print ${outputs.join(', ')}` : ''}` +
        `${supplied.some((f) => f.expect !== undefined) ? '; must print what README_FIXTURES expects' : ''}`
      : decision.reason;
  } else if (u.shape !== 'host') {
    u.reason = SHAPE_REASON[u.shape];
    u.runnable = false;
  } else if (u.missing.length > 0) {
    u.reason = `fragment: ${u.missing.join(', ')} not in the prelude table`;
    u.runnable = false;
  } else if (withoutRun.length > 0) {
    u.reason = `fragment: ${withoutRun.map((e) => `\`${e.name}\``).join(', ')} come${withoutRun.length === 1 ? 's' : ''} from the page (declared only)`;
    u.runnable = false;
  } else {
    u.runnable = true;
    const provided = values.map((e) => `\`${e.name}\``);
    const outputs = expectedOutputs(u.snippet.code);
    u.reason =
      `${u.vitest ? 'vitest test (vitest CLI)' : 'host snippet'}` +
      `${provided.length > 0 ? `; the page's ${provided.join(', ')} built for the run` : ''}` +
      `${outputs.length > 0 ? `; must print ${outputs.join(', ')}` : ''}`;
  }
  u.prelude = entries.map((e) => {
    const run = u.runnable && e.run !== undefined && pageMatches(e.run.pages, u.page);
    return { text: run ? (e.run?.code ?? e.declare) : e.declare, label: `prelude \`${e.name}\`` };
  });
  if (u.runnable) {
    for (const e of entries) {
      if (e.run?.after !== undefined && pageMatches(e.run.pages, u.page)) {
        u.epilogue.push({ text: e.run.after, label: `after-run of \`${e.name}\`` });
      }
    }
  }
}

function writeUnit(u: Unit): void {
  const prelude = u.prelude.length > 0 ? u.prelude : shadowPrelude(u);
  const text = [
    ...prelude.map((p) => p.text),
    u.snippet.code.replace(/\n$/, ''),
    ...u.epilogue.map((e) => e.text),
    '',
  ].join('\n');
  write(u.file, text);
}

/** Before pass 2 decides, the prelude holds the declarations found so far. */
function shadowPrelude(u: Unit): { text: string; label: string }[] {
  return u.preludeNames
    .map((n) => tableFor(u).find((e) => e.name === n && pageMatches(e.pages, u.page)))
    .filter((e): e is PreludeEntry => e !== undefined)
    .map((e) => ({ text: e.declare, label: `prelude \`${e.name}\`` }));
}

function placeDocs(site: string, snippets: readonly Snippet[]): Unit[] {
  const taken = new Set<string>();
  return snippets.map((s) => {
    const title = s.locations.find((l) => safeRelative(l.title) && l.title?.endsWith('.ts'))?.title;
    const vitest = /from\s+["']vitest["']/.test(s.code);
    let path: string;
    if (title !== undefined && !taken.has(title)) {
      taken.add(title);
      path = join(site, title);
    } else {
      path = join(site, 'snippets', `${s.id}${vitest ? '.test' : ''}.ts`);
    }
    return newUnit(s, 'docs', path, site, vitest);
  });
}

function placeOwn(ownRoot: string, snippets: readonly Snippet[], fences: readonly Fence[]): Unit[] {
  // The pages' `<!-- file: -->` blocks that are not TypeScript (manifests,
  // YAML, JSON schemas, JavaScript) are written so relative imports resolve.
  for (const f of fences) {
    if (f.fileMarker === undefined || f.lang === 'ts' || f.lang === 'typescript') continue;
    if (!safeRelative(f.fileMarker)) continue;
    write(join(ownRoot, slug(f.page), f.fileMarker), f.code);
  }
  return snippets.map((s) => {
    const first = s.locations[0];
    const page = first?.page ?? '';
    const dir = join(ownRoot, slug(page));
    const marker = first?.title;
    const vitest = /from\s+["']vitest["']/.test(s.code);
    // A README example that is a vitest test file runs under the vitest CLI (own/vitest.config.mjs).
    const runsUnderVitest = vitest && isReadme(page);
    const path =
      safeRelative(marker) && marker.endsWith('.ts')
        ? join(dir, marker)
        : join(dir, `block-${first?.line ?? 0}${runsUnderVitest ? '.test' : ''}.ts`);
    return newUnit(s, 'own', path, dir, vitest);
  });
}

function newUnit(
  s: Snippet,
  group: 'docs' | 'own',
  file: string,
  base: string,
  vitest: boolean,
): Unit {
  const first = s.locations[0];
  return {
    snippet: s,
    group,
    name: snippetName(s),
    page: first?.page ?? '',
    firstLine: (first?.line ?? 0) + 1,
    file,
    base,
    shape: shapeOf(s.code),
    vitest,
    fragment: FRAGMENT_MARKER.test(s.code.split('\n')[0] ?? ''),
    preludeNames: [],
    prelude: [],
    epilogue: [],
    missing: [],
    runnable: false,
    reason: '',
    stubs: [],
    problems: [],
    expect: [],
  };
}

/**
 * Link every workspace package into own/node_modules (the READMEs document
 * them all), and the packages' own dependencies that docs-compat does not
 * have (the guides import e.g. the MCP SDK the runtimes are built on).
 */
function linkWorkspacePackages(repoRoot: string, ownRoot: string): void {
  const packages = join(repoRoot, 'packages');
  const linkTo = (name: string, target: string): void => {
    const link = join(ownRoot, 'node_modules', name);
    if (existsSync(link)) return;
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(target, link, 'dir');
  };
  const deps: [string, string][] = [];
  for (const entry of readdirSync(packages, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(packages, entry.name);
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
      name?: string;
      dependencies?: Record<string, string>;
    };
    if (pkg.name === undefined || !pkg.name.startsWith('@dagstack/')) continue;
    linkTo(pkg.name, dir);
    for (const dep of Object.keys(pkg.dependencies ?? {}))
      deps.push([dep, join(dir, 'node_modules', dep)]);
  }
  const docsCompat = join(repoRoot, 'docs-compat', 'node_modules');
  for (const [name, target] of deps) {
    if (!existsSync(join(docsCompat, name)) && existsSync(target)) linkTo(name, target);
  }
}

// --- TypeScript host and diagnostics ----------------------------------------------------

function createHost(): ts.CompilerHost {
  const host = ts.createCompilerHost(COMPILER_OPTIONS, true);
  const cache = new Map<string, ts.SourceFile>();
  const get = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const cacheable = fileName.includes('/node_modules/') && !fileName.includes('/.scratch/');
    const hit = cacheable ? cache.get(fileName) : undefined;
    if (hit !== undefined) return hit;
    const sf = get(fileName, languageVersion, onError, shouldCreate);
    if (sf !== undefined && cacheable) cache.set(fileName, sf);
    return sf;
  };
  return host;
}

function formatPlain(d: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
  if (d.file === undefined || d.start === undefined) return `TS${d.code}: ${message}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${d.file.fileName}:${line + 1}:${character + 1} TS${d.code}: ${message}`;
}

/** A diagnostic at its place in the page (or in the prelude / conformance lines). */
function formatForUnit(u: Unit, d: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
  if (d.file === undefined || d.start === undefined) return `TS${d.code}: ${message}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  const preludeLines = u.prelude.length;
  const snippetLines = u.snippet.code.replace(/\n$/, '').split('\n').length;
  if (line < preludeLines) {
    const label = u.prelude[line]?.label ?? 'prelude';
    return `${label}: TS${d.code}: ${message}`;
  }
  if (line >= preludeLines + snippetLines) {
    const label = u.epilogue[line - preludeLines - snippetLines]?.label ?? 'epilogue';
    return `${label}: TS${d.code}: ${message}`;
  }
  const column = character + 1 + (u.snippet.locations[0]?.indent ?? 0);
  return `${u.page}:${u.firstLine + line - preludeLines}:${column} TS${d.code}: ${message}`;
}

// --- run projects -----------------------------------------------------------------------

/**
 * The project a page's host snippets run in: `runs/<page>/plugins/` with the
 * page's manifests and its compiled plugin classes. A page without plugins or
 * manifests of its own gets the quick start's (intro.mdx). Which manifest is
 * used for a folder: the TypeScript tab's; else one outside the tabs; else,
 * for a folder whose plugin class the TypeScript tab shows, another tab's
 * (the manifest is language-neutral TOML). Never two for one folder (the
 * registry would pick by file-name precedence, spec-decisions M3): a
 * manifest the page's snippets read in another form (MANIFEST_FORMS) is
 * written in that form instead. Then the plugins the page assumes without
 * showing them (ASSUMED_PLUGINS), supplied by the test.
 */
function assemble(
  site: string,
  page: string,
  units: readonly Unit[],
  fences: readonly Fence[],
  notes: string[],
  problems: string[],
): string {
  const dir = join(site, 'runs', slug(page));
  mkdirSync(join(dir, 'plugins'), { recursive: true });
  let source = page;
  if (pluginsOf(page, units).length === 0 && manifestsOf(page, fences).length === 0) {
    source = BASE_PAGE;
  }
  const plugins = pluginsOf(source, units);
  const manifests = manifestsOf(source, fences);
  const lines: string[] = [];
  const folders = new Set([
    ...plugins.map((p) => dirname(p.title)),
    ...manifests.map((m) => dirname(m.title ?? '')),
  ]);
  for (const folder of [...folders].sort()) {
    const code = plugins.filter((p) => dirname(p.title) === folder);
    const here = manifests.filter((m) => dirname(m.title ?? '') === folder);
    const tsTab = here.filter((m) => m.tab === 'typescript');
    const untabbed = here.filter((m) => m.tab === undefined);
    const other = here.filter((m) => m.tab !== undefined && m.tab !== 'typescript');
    const chosen =
      tsTab.length > 0 ? tsTab : untabbed.length > 0 ? untabbed : code.length > 0 ? other : [];
    const manifest = chosen[0];
    const parts: string[] = [];
    for (const p of code) {
      const js = p.unit.file.replace(/\.ts$/, '.js');
      const target = join(dir, p.title.replace(/\.ts$/, '.js'));
      mkdirSync(dirname(target), { recursive: true });
      if (existsSync(js)) copyFileSync(js, target);
      parts.push(`${p.title} compiled`);
    }
    if (manifest === undefined && code.length === 0) {
      const tabs = [...new Set(here.map((m) => m.tab))].join(', ');
      parts.push(`a manifest in the ${tabs} tab only, no TypeScript plugin class: left out`);
    } else if (manifest === undefined) {
      parts.push('no manifest for it on the page: not discoverable');
    } else {
      const form = MANIFEST_FORMS.find((f) => f.page === page && f.from === manifest.title);
      const written = form === undefined ? manifest.title : form.to;
      if (form === undefined) write(join(dir, manifest.title ?? ''), manifest.code);
      else if (dirname(form.to) !== folder || !form.to.endsWith('.json'))
        problems.push(
          `MANIFEST_FORMS ${form.page} ${form.from}: \`to\` must be a .json file in ${folder}`,
        );
      else {
        try {
          write(join(dir, form.to), `${JSON.stringify(tomlToJson(manifest.code), null, 2)}\n`);
        } catch (error) {
          problems.push(`MANIFEST_FORMS ${form.page} ${form.from}: ${(error as Error).message}`);
        }
      }
      const from =
        manifest.tab === 'typescript'
          ? 'TypeScript tab'
          : manifest.tab === undefined
            ? 'page, outside the tabs'
            : `${manifest.tab} tab (the TypeScript tab shows none)`;
      const shown = manifest.title?.split('/').at(-1);
      parts.push(
        form === undefined
          ? `${shown} from the ${from} (${manifest.page}:${manifest.line})`
          : `${written?.split('/').at(-1)}: the ${shown} of the ${from} (${manifest.page}:${manifest.line}) as JSON (MANIFEST_FORMS: ${form.why})`,
      );
      parts.push(
        entryPointNote(
          manifest.code,
          code.map((p) => p.unit.snippet.code),
        ),
      );
      if (chosen.length > 1)
        parts.push(`${chosen.length - 1} more manifest(s) for the folder ignored`);
    }
    lines.push(`  ${folder}: ${parts.join('; ')}`);
  }
  for (const f of MANIFEST_FORMS) {
    if (f.page === page && !manifests.some((m) => m.title === f.from && m.page === page))
      problems.push(`MANIFEST_FORMS ${f.page}: the page has no manifest titled ${f.from}`);
  }
  for (const a of ASSUMED_PLUGINS.filter((x) => x.page === page)) {
    if (folders.has(a.folder)) {
      problems.push(
        `ASSUMED_PLUGINS ${a.page}: ${a.folder} is a plugin folder of the page already`,
      );
      continue;
    }
    write(
      join(dir, a.folder, 'dagstack.json'),
      `${JSON.stringify({ plugin: a.manifest }, null, 2)}\n`,
    );
    write(join(dir, a.folder, 'plugin.js'), a.code);
    lines.push(
      `  ${a.folder}: supplied by the test (ASSUMED_PLUGINS: ${a.why}); ${entryPointNote(JSON.stringify(a.manifest), [])}`,
    );
  }
  notes.push(
    `runs/${slug(page)}${source === page ? '' : ` (the page has no plugins: ${source}'s)`}:${lines.length === 0 ? ' no plugins' : `\n${lines.join('\n')}`}`,
  );
  return dir;
}

function pluginsOf(page: string, units: readonly Unit[]): { title: string; unit: Unit }[] {
  const out: { title: string; unit: Unit }[] = [];
  for (const u of units) {
    if (u.group !== 'docs') continue;
    const loc = u.snippet.locations.find(
      (l) => l.page === page && PLUGIN_TITLE.test(l.title ?? ''),
    );
    if (loc?.title !== undefined && u.file.endsWith(loc.title))
      out.push({ title: loc.title, unit: u });
  }
  return out;
}

function manifestsOf(page: string, fences: readonly Fence[]): Fence[] {
  return fences.filter(
    (f) =>
      f.page === page &&
      (f.lang === 'toml' || f.lang === 'json') &&
      MANIFEST_TITLE.test(f.title ?? ''),
  );
}

/** What the manifest's entry_point says, against the plugin code the page shows. */
function entryPointNote(manifest: string, code: readonly string[]): string {
  const ep = /["']?entry_point["']?\s*[=:]\s*["']([^"']*)["']/.exec(manifest)?.[1];
  if (ep === undefined) return 'no entry_point';
  const exported = code.flatMap((c) => [...c.matchAll(/export\s+class\s+(\w+)/g)].map((m) => m[1]));
  const name = ep.includes('#')
    ? ep.split('#')[1]
    : ep.includes(':')
      ? ep.split(':')[1]
      : undefined;
  const style = ep.includes('#') ? '' : ep.includes(':') ? ' (module:Export, the Python form)' : '';
  const target = ep.split(/[#:]/)[0] ?? '';
  const tsPath = /\.ts$/.test(target) ? ' (a .ts path: Node cannot import it)' : '';
  const mismatch =
    name !== undefined && exported.length > 0 && !exported.includes(name)
      ? ` (the page's class is ${exported.join(', ')})`
      : '';
  return `entry_point "${ep}"${style}${tsPath}${mismatch}`;
}

/**
 * A small TOML document as JSON, for MANIFEST_FORMS: `[a.b]` table headers
 * and `key = value` lines, with basic ("...") or literal ('...') strings,
 * integers, floats, booleans and one-line arrays of those, and `#`
 * comments. Enough for the manifests the docs show; anything else (inline
 * tables, multi-line strings or arrays, dates, dotted keys, a key or table
 * given twice) throws, naming the line, so a page's manifest is never
 * converted into something it does not say.
 */
export function tomlToJson(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  const tables = new Set<string>();
  let table = root;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const at = `line ${i + 1}`;
    const cursor: TomlCursor = { text: lines[i] ?? '', pos: 0 };
    skipSpace(cursor);
    if (atEnd(cursor)) continue;
    const header = /^\[([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\]/.exec(cursor.text.slice(cursor.pos));
    if (header !== null) {
      const name = header[1] as string;
      if (tables.has(name)) throw new Error(`${at}: table [${name}] given twice`);
      tables.add(name);
      table = root;
      for (const key of name.split('.')) {
        const next = table[key] ?? {};
        if (typeof next !== 'object' || next === null || Array.isArray(next))
          throw new Error(`${at}: [${name}] redefines a value`);
        table[key] = next;
        table = next as Record<string, unknown>;
      }
      cursor.pos += header[0].length;
    } else {
      const key = /^([A-Za-z0-9_-]+)\s*=\s*/.exec(cursor.text.slice(cursor.pos));
      if (key === null) throw new Error(`${at}: not a table header or a \`key = value\` line`);
      const name = key[1] as string;
      if (Object.hasOwn(table, name)) throw new Error(`${at}: key "${name}" given twice`);
      cursor.pos += key[0].length;
      table[name] = tomlValue(cursor, at);
    }
    skipSpace(cursor);
    if (!atEnd(cursor)) throw new Error(`${at}: unexpected "${cursor.text.slice(cursor.pos)}"`);
  }
  return root;
}

interface TomlCursor {
  readonly text: string;
  pos: number;
}

function skipSpace(c: TomlCursor): void {
  while (c.text[c.pos] === ' ' || c.text[c.pos] === '\t') c.pos += 1;
}

/** At the end of the line, or at a comment. */
function atEnd(c: TomlCursor): boolean {
  return c.pos >= c.text.trimEnd().length || c.text[c.pos] === '#';
}

function tomlValue(c: TomlCursor, at: string): unknown {
  const rest = c.text.slice(c.pos);
  if (rest.startsWith('"""') || rest.startsWith("'''"))
    throw new Error(`${at}: multi-line strings are not supported`);
  const basic = /^"(?:[^"\\]|\\.)*"/.exec(rest);
  if (basic !== null) {
    c.pos += basic[0].length;
    try {
      // TOML's basic-string escapes are JSON's, except \e and \U (they throw).
      return JSON.parse(basic[0]) as string;
    } catch {
      throw new Error(`${at}: unsupported escape in ${basic[0]}`);
    }
  }
  const literal = /^'([^']*)'/.exec(rest);
  if (literal !== null) {
    c.pos += literal[0].length;
    return literal[1];
  }
  if (rest.startsWith('[')) {
    c.pos += 1;
    const items: unknown[] = [];
    for (;;) {
      skipSpace(c);
      if (c.text[c.pos] === ']') {
        c.pos += 1;
        return items;
      }
      if (atEnd(c)) throw new Error(`${at}: arrays must close on their line`);
      items.push(tomlValue(c, at));
      skipSpace(c);
      if (c.text[c.pos] === ',') c.pos += 1;
      else if (c.text[c.pos] !== ']') throw new Error(`${at}: expected "," or "]" in an array`);
    }
  }
  const word = /^[^\s,\]#]+/.exec(rest)?.[0] ?? '';
  c.pos += word.length;
  if (word === 'true' || word === 'false') return word === 'true';
  if (/^[+-]?(?:0|[1-9](?:_?\d)*)(?:\.\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?$/.test(word))
    return Number(word.replaceAll('_', ''));
  throw new Error(`${at}: unsupported value "${word === '' ? rest : word}"`);
}

function writeVitestConfig(root: string, include = 'snippets/**/*.test.js'): void {
  write(
    join(root, 'vitest.config.mjs'),
    [
      '// The docs-compat harness runs the docs’ vitest snippets with this config.',
      'export default {',
      "  cacheDir: '.vite-cache',",
      `  test: { include: ['${include}'], exclude: ['**/node_modules/**'], watch: false, pool: 'forks', fileParallelism: false },`,
      '};',
      '',
    ].join('\n'),
  );
}

// --- processes ---------------------------------------------------------------------------

const children = new Set<ChildProcess>();
const VITEST_BIN = join(
  dirname(createRequire(import.meta.url).resolve('vitest/package.json')),
  'vitest.mjs',
);

/** SIGKILL every child process still running, with its process group. */
export function reapChildren(): void {
  for (const child of children) killGroup(child);
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VITEST') || k === 'NODE_OPTIONS' || k === 'TEST' || k === 'FORCE_COLOR') {
      continue;
    }
    env[k] = v;
  }
  env.NO_COLOR = '1';
  return env;
}

async function runUnit(u: Unit, site: string): Promise<RunResult> {
  const js = u.file.replace(/\.ts$/, '.js');
  const args = u.vitest
    ? [
        VITEST_BIN,
        'run',
        '--root',
        site,
        '--config',
        join(site, 'vitest.config.mjs'),
        rel(site, js),
      ]
    : [js];
  const child = spawn(process.execPath, args, {
    cwd: u.runCwd ?? site,
    env: childEnv(),
    stdio: [u.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  if (u.stdin !== undefined) {
    child.stdin?.on('error', () => {}); // a child that exits early closes the pipe
    child.stdin?.end(u.stdin);
  }
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child);
  }, RUN_TIMEOUT_MS);
  const [code, signal] = await new Promise<[number | null, string | null]>((done) => {
    child.once('close', (c, s) => done([c, s]));
    child.once('error', (e) => {
      stderr += `spawn error: ${e.message}`;
      done([null, null]);
    });
  });
  clearTimeout(timer);
  killGroup(child); // anything the snippet left behind in its group
  children.delete(child);
  const missingOutput = [
    ...expectedOutputs(u.snippet.code).filter((e) => !printed(stdout, e)),
    ...u.expect.filter((re) => !re.test(stdout)).map(String),
  ];
  const ok = code === 0 && !timedOut && missingOutput.length === 0;
  let detail = '';
  if (timedOut) detail = `timed out after ${RUN_TIMEOUT_MS / 1000} s`;
  else if (code !== 0) detail = `exit ${code ?? signal}: ${firstError(stderr, stdout)}`;
  else if (missingOutput.length > 0) detail = `did not print ${missingOutput.join(', ')}`;
  return { ok, code, signal, timedOut, stdout, stderr, missingOutput, detail };
}

/** `console.log(x); // { echoed: "hello" }` → `{ echoed: "hello" }`. */
function expectedOutputs(code: string): string[] {
  const out: string[] = [];
  for (const line of code.split('\n')) {
    const m = /console\.log\(.+\);?\s*\/\/\s*(.+?)\s*$/.exec(line);
    if (m?.[1] !== undefined) out.push(m[1]);
  }
  return out;
}

function normalizeOutput(s: string): string {
  return s.replaceAll('"', "'").replace(/\s+/g, ' ').trim();
}

function printed(stdout: string, expected: string): boolean {
  const want = normalizeOutput(expected);
  return stdout.split('\n').some((l) => normalizeOutput(l) === want);
}

/** The most telling line of a failed run's output: the error that ended it. */
function firstError(stderr: string, stdout: string): string {
  const lines = `${stderr}\n${stdout}`.split('\n').map((l) => l.trim());
  const thrown =
    /^(?:[A-Z][A-Za-z]*(?:Error|Errors|Unknown|Invalid|Unavailable|Conflict|Match|Found|Plugin|Incompatible|Cycle|Dependency|Failed|Violation)|Error)\b[^{]*?: /;
  const errors = lines.filter((l) => thrown.test(l));
  const hit =
    errors.at(-1) ??
    lines.find((l) => /FAIL|×/.test(l)) ??
    lines.find((l) => l !== '' && !l.startsWith('{'));
  return (hit ?? '(no output)').slice(0, 300);
}

async function pool<T>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}

// --- verdicts and the table ---------------------------------------------------------------

/** What is wrong with a result, given the exceptions that apply; empty when it passes. */
export function problemsOf(r: SnippetResult): string[] {
  const problems: string[] = [...r.problems];
  if (r.missing.length > 0) {
    problems.push(
      r.group === 'own'
        ? `uses ${r.missing.map((n) => `\`${n}\``).join(', ')} without defining ${r.missing.length === 1 ? 'it' : 'them'}: complete the block, or start it with \`// fragment\` and add the name(s) to OWN_PRELUDES`
        : `free name(s) not in the prelude table: ${r.missing.map((n) => `\`${n}\``).join(', ')} (add what the page provides to PRELUDES in test/tables.ts)`,
    );
  }
  const compileException = r.exceptions.find((e) => e.phase === 'compile');
  if (compileException !== undefined) {
    if (r.compiled) {
      problems.push(
        `compiles, but EXCEPTIONS (${compileException.decision}) says it cannot: remove the exception`,
      );
    } else {
      // Every diagnostic must be the one the exception names: it hides nothing else.
      const other = r.diagnostics.filter((d) => !compileException.match.test(d));
      if (other.length > 0) {
        problems.push(
          `fails differently from its exception (${compileException.decision}, ${compileException.match}):\n${other.join('\n')}`,
        );
      }
    }
  } else if (!r.compiled) {
    problems.push(`does not compile:\n${r.diagnostics.join('\n')}`);
  }
  const runException = r.exceptions.find((e) => e.phase === 'run');
  if (r.runnable && r.ran !== undefined) {
    const output = `${r.ran.detail}\n${r.ran.stderr}\n${r.ran.stdout}`;
    if (runException !== undefined) {
      if (r.ran.ok) {
        problems.push(
          `runs, but EXCEPTIONS (${runException.decision}) says it cannot: remove the exception`,
        );
      } else if (!runException.match.test(output)) {
        problems.push(
          `run fails differently from its exception (${runException.decision}, ${runException.match}): ${r.ran.detail}\n${tail(r.ran)}`,
        );
      }
    } else if (!r.ran.ok) {
      problems.push(`does not run: ${r.ran.detail}\n${tail(r.ran)}`);
    }
  } else if (runException !== undefined) {
    problems.push(
      `EXCEPTIONS (${runException.decision}) has a run exception, but the snippet is not run`,
    );
  }
  return problems;
}

function tail(run: RunResult): string {
  return `--- stderr (tail)\n${run.stderr.slice(-1500)}\n--- stdout (tail)\n${run.stdout.slice(-800)}`;
}

function cell(text: string, max = 110): string {
  const one = text.replace(/\s+/g, ' ').replaceAll('|', '\\|').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** The table of results, as Markdown, with counts. */
export function formatReport(report: CheckReport, title: string): string {
  const rows = report.results.map((r) => {
    const compileEx = r.exceptions.find((e) => e.phase === 'compile');
    const runEx = r.exceptions.find((e) => e.phase === 'run');
    const firstDiag =
      r.missing.length > 0 ? `free: ${r.missing.join(', ')}` : (r.diagnostics[0] ?? '');
    const compiled =
      r.compiled && r.missing.length === 0
        ? 'yes'
        : `${compileEx === undefined ? 'NO' : `no (expected, ${compileEx.decision})`}: ${firstDiag}`;
    const ran =
      !r.runnable || r.ran === undefined
        ? 'n.a.'
        : r.ran.ok
          ? 'yes'
          : `${runEx === undefined ? 'NO' : `no (expected, ${runEx.decision})`}: ${r.ran.detail}`;
    const given = [
      ...(r.prelude.length > 0 ? [`prelude: ${r.prelude.join(', ')}`] : []),
      ...(r.stubs.length > 0 ? [`module: ${r.stubs.join(', ')}`] : []),
    ];
    const prelude = given.length > 0 ? ` [${given.join('; ')}]` : '';
    return `| ${cell(r.name, 80)} | ${cell(compiled, 140)} | ${cell(ran, 120)} | ${cell(`${r.reason}${prelude}`, 120)} |`;
  });
  const count = (f: (r: SnippetResult) => boolean): number => report.results.filter(f).length;
  const failing = count((r) => problemsOf(r).length > 0);
  const locations = report.results.reduce((n, r) => n + r.snippet.locations.length, 0);
  const lines = [
    '',
    `## ${title}`,
    '',
    '| snippet | compiled | ran | reason |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `${report.results.length} distinct snippets (${locations} locations): ` +
      `compiled ${count((r) => r.compiled && r.missing.length === 0)}, ` +
      `failed to compile ${count((r) => !r.compiled || r.missing.length > 0)} ` +
      `(${count((r) => (!r.compiled || r.missing.length > 0) && r.exceptions.some((e) => e.phase === 'compile'))} expected); ` +
      `runnable ${count((r) => r.runnable)}: ran ${count((r) => r.ran?.ok === true)}, ` +
      `failed ${count((r) => r.ran !== undefined && !r.ran.ok)} ` +
      `(${count((r) => r.ran !== undefined && !r.ran.ok && r.exceptions.some((e) => e.phase === 'run'))} expected); ` +
      `compile-only ${count((r) => !r.runnable)}. Failing: ${failing}.`,
  ];
  const copies = report.results.filter((r) => r.snippet.locations.length > 1);
  if (copies.length > 0) {
    lines.push('', 'Identical snippets (checked once):');
    for (const r of copies) {
      lines.push(`  ${r.snippet.locations.map((l) => `${l.page}:${l.line}`).join(' = ')}`);
    }
  }
  const used = new Map<string, number>();
  for (const r of report.results) for (const n of r.prelude) used.set(n, (used.get(n) ?? 0) + 1);
  const table = report.results.some((r) => r.group === 'docs') ? PRELUDES : OWN_PRELUDES;
  const rowsUsed = table.filter((e) => used.has(e.name));
  if (rowsUsed.length > 0) {
    lines.push('', 'What the pages provide (prelude entries used):');
    for (const e of rowsUsed) {
      const where = e.pages === undefined ? 'any page' : e.pages.join(', ');
      lines.push(`  ${e.name} (${where}): ${e.why}`);
    }
  }
  if (report.notes.length > 0) lines.push('', 'Run projects:', ...report.notes);
  if (report.unusedPreludes.length > 0) {
    lines.push('', `Prelude entries no snippet used: ${report.unusedPreludes.join('; ')}`);
  }
  if (report.harness.length > 0) lines.push('', 'Harness problems:', ...report.harness);
  lines.push(
    '',
    `Timings (ms): ${Object.entries(report.timings)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '',
  );
  return lines.join('\n');
}

/** The `### <id>. ` headings of docs/spec-decisions.md. */
export function decisionIds(specDecisions: string): Set<string> {
  return new Set(
    [...specDecisions.matchAll(/^###\s+([A-Z]+\d+)\.\s/gm)].map((m) => m[1] as string),
  );
}
