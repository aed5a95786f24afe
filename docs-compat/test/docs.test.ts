// Docs compatibility (issue 17, item 4): every TypeScript snippet of the
// dagstack docs (their TypeScript tabs) and of this project's own Markdown
// type-checks against the BUILT packages, and the runnable docs snippets run.
//
// - The docs are read at test time from $DAGSTACK_DOCS_DIR, else
//   ../shared/reference/docs next to the repository (or next to the local
//   repository it was cloned from); when absent, their part is reported as
//   skipped (never as passed).
// - Identical snippets (the docs repeat blocks across tabs and sections) are
//   checked once and listed with all their locations.
// - Free names of fragments are found by the compiler and looked up in
//   test/tables.ts (PRELUDES); a name missing there fails its snippet.
// - Host snippets run in a folder per page holding the page's manifests and
//   plugin classes (the quick start's when the page shows none), plus what
//   the page assumes without showing it, supplied by the test: plugins
//   (ASSUMED_PLUGINS) and the page's own manifest in the file form a snippet
//   reads (MANIFEST_FORMS). The run notes of the table say what came from where.
// - Snippets that cannot work because the docs contradict the spec, or that
//   are illustrations rather than code, are listed in EXCEPTIONS, each tied
//   to a heading of docs/spec-decisions.md; such a snippet must still fail,
//   and with exactly the failure its row names (every compile diagnostic
//   must match it), so an exception hides nothing else.
// - The project's own Markdown (READMEs, docs/) must be complete programs or
//   modules: imports included, no names from elsewhere. A block that is a
//   fragment on purpose starts with the line `// fragment` and may then use
//   the names of OWN_PRELUDES only (test/tables.ts).
// - README examples run (issue 18): a README block marked ```ts test``` runs in
//   a folder of its own with the README's `<!-- file: -->` blocks and what
//   test/readme-fixtures.ts supplies; one that cannot run here says why with
//   `<!-- compile-only: reason -->`; a README block with neither fails
//   (test/readme-runs.ts). docs/ blocks are run by integration's docs-snippets.
// - One test per distinct snippet; a summary test prints the table.
//
// Needs a built workspace: turbo runs this after `^build`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CheckReport,
  check,
  createScratch,
  decisionIds,
  formatReport,
  problemsOf,
  reapChildren,
  removeScratch,
  type SnippetResult,
  tomlToJson,
} from './harness.js';
import { isReadme } from './readme-runs.js';
import {
  distinctSnippets,
  type Fence,
  readDocsFences,
  readOwnFences,
  type Snippet,
  snippetName,
} from './snippets.js';
import { EXCEPTIONS } from './tables.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_ROOT = resolve(PACKAGE_DIR, '..');
/**
 * Where the docs are: $DAGSTACK_DOCS_DIR, else ../shared/reference/docs next
 * to this repository, else next to the repository this one was cloned from
 * (a clean clone for CI lives elsewhere; its `origin` is the working copy).
 */
function docsDir(): string {
  if (process.env.DAGSTACK_DOCS_DIR !== undefined) return resolve(process.env.DAGSTACK_DOCS_DIR);
  const beside = (repo: string): string => resolve(repo, '..', 'shared', 'reference', 'docs');
  const own = beside(REPO_ROOT);
  if (existsSync(own)) return own;
  const origin = spawnSync('git', ['config', '--get', 'remote.origin.url'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  }).stdout?.trim();
  // Only a local path: a URL names no folder on this machine.
  if (origin !== undefined && origin !== '' && isAbsolute(origin) && existsSync(beside(origin)))
    return beside(origin);
  return own;
}
const DOCS_DIR = docsDir();
const HAVE_DOCS = existsSync(DOCS_DIR);
const SPEC_DECISIONS = join(REPO_ROOT, 'docs', 'spec-decisions.md');
/** DOCS_COMPAT_KEEP=1 keeps the scratch folder to look at (its path is printed). */
const KEEP = process.env.DOCS_COMPAT_KEEP === '1';

// Collected synchronously: one test per distinct snippet needs the list now.
const docsFences: Fence[] = HAVE_DOCS ? readDocsFences(DOCS_DIR) : [];
const docsSnippets: Snippet[] = distinctSnippets(docsFences, 'd');
const ownFences: Fence[] = readOwnFences(REPO_ROOT);
const ownSnippets: Snippet[] = distinctSnippets(ownFences, 'o');

let scratch: string | undefined;
let report: CheckReport | undefined;
const byId = new Map<string, SnippetResult>();

function cleanUp(): void {
  reapChildren();
  if (scratch !== undefined && !KEEP) removeScratch(scratch);
  else if (scratch !== undefined) process.stdout.write(`\nscratch kept: ${scratch}\n`);
  scratch = undefined;
}
// Also on an abrupt exit of the worker (the hooks below do not run then).
process.once('exit', cleanUp);

beforeAll(async () => {
  scratch = createScratch(join(PACKAGE_DIR, '.scratch'));
  try {
    report = await check({
      scratch,
      repoRoot: REPO_ROOT,
      ...(HAVE_DOCS ? { docs: { snippets: docsSnippets, fences: docsFences } } : {}),
      own: { snippets: ownSnippets, fences: ownFences },
    });
  } finally {
    cleanUp();
  }
  for (const r of report.results) byId.set(r.id, r);
}, 240_000);

afterAll(cleanUp);

/** The README line of the summary: how many README blocks compile and run. */
function readmeCounts(results: readonly SnippetResult[]): string {
  const readme = results.filter((r) => isReadme(r.snippet.locations[0]?.page ?? ''));
  const pages = new Set(readme.map((r) => r.snippet.locations[0]?.page));
  const compiled = readme.filter((r) => r.compiled && r.missing.length === 0).length;
  const ran = readme.filter((r) => r.ran?.ok === true).length;
  const runnable = readme.filter((r) => r.runnable).length;
  return `READMEs: ${readme.length} TypeScript blocks in ${pages.size} READMEs; compiled ${compiled}; marked to run ${runnable}, ran ${ran}; compile-only ${readme.length - runnable} (reasons in the table).\n`;
}

function verdict(snippet: Snippet): void {
  const result = byId.get(snippet.id);
  if (result === undefined)
    throw new Error(`${snippetName(snippet)}: the check produced no result`);
  const problems = problemsOf(result);
  if (problems.length > 0) {
    const where = snippet.locations.map((l) => `${l.page}:${l.line}`).join(', ');
    throw new Error(`${result.name}\n(at ${where})\n${problems.join('\n')}`);
  }
}

if (HAVE_DOCS) {
  describe(`dagstack docs (${DOCS_DIR})`, () => {
    for (const s of docsSnippets) it(snippetName(s), () => verdict(s));
  });
} else {
  describe('dagstack docs', () => {
    it.skip(`skipped: ${DOCS_DIR} not found`, () => {});
  });
}

describe('own docs (README.md, packages/*/README.md, docs/**/*.md)', () => {
  for (const s of ownSnippets) it(snippetName(s), () => verdict(s));
});

describe('tables', () => {
  it('every exception cites a heading of docs/spec-decisions.md and a snippet that exists', () => {
    const ids = decisionIds(readFileSync(SPEC_DECISIONS, 'utf8'));
    const at = new Set(
      [...docsSnippets, ...ownSnippets].map(
        (s) => `${s.locations[0]?.page}:${s.locations[0]?.line}`,
      ),
    );
    const wrong = EXCEPTIONS.flatMap((e) => [
      ...(ids.has(e.decision)
        ? []
        : [`${e.snippet}: no "### ${e.decision}. " heading in ${SPEC_DECISIONS}`]),
      ...(!HAVE_DOCS || at.has(e.snippet)
        ? []
        : [`${e.snippet}: no such snippet (first location)`]),
    ]);
    expect(wrong).toEqual([]);
  });

  it('MANIFEST_FORMS: tomlToJson converts the manifest subset and refuses the rest', () => {
    const toml = [
      '# a comment',
      '[plugin]',
      'name = "my-plugin" # trailing comment',
      "entry_point = 'plugin:MyPlugin'",
      'priority = 1_000',
      'weight = 0.5',
      'fallback = false',
      'runtime = ["in_process", "mcp_stdio",]',
      '[plugin.metadata]',
      'note = "a \\"quoted\\" word"',
    ].join('\n');
    expect(tomlToJson(toml)).toEqual({
      plugin: {
        name: 'my-plugin',
        entry_point: 'plugin:MyPlugin',
        priority: 1000,
        weight: 0.5,
        fallback: false,
        runtime: ['in_process', 'mcp_stdio'],
        metadata: { note: 'a "quoted" word' },
      },
    });
    for (const bad of [
      '[plugin]\nenv = { A = "1" }',
      '[plugin]\nrelease = 1979-05-27',
      '[plugin]\nname = "a"\nname = "b"',
      '[plugin]\n[plugin]',
      '[plugin]\nruntime = [\n  "in_process",\n]',
      '[plugin]\nmcp.command = "x"',
    ])
      expect(() => tomlToJson(bad), bad).toThrow(/^line \d+: /);
  });
});

it('summary: prints the table', () => {
  expect(report).toBeDefined();
  if (report === undefined) return;
  const docs = { ...report, results: report.results.filter((r) => r.group === 'docs') };
  const own = {
    ...report,
    results: report.results.filter((r) => r.group === 'own'),
    notes: report.readmeNotes,
    unusedPreludes: [],
    harness: [],
  };
  const text = [
    HAVE_DOCS
      ? formatReport(docs, `dagstack docs: ${DOCS_DIR}`)
      : `\nskipped: ${DOCS_DIR} not found\n`,
    formatReport(own, 'own docs'),
    readmeCounts(own.results),
  ].join('\n');
  process.stdout.write(text);
  expect(report.harness).toEqual([]);
});
