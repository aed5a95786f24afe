// Runs of the packages' README examples (issue 18): which README blocks run,
// why the others do not, and the folder each run gets.
//
// - A TypeScript block of a README (the root one or packages/*/README.md)
//   marked ```` ```ts test ```` is type-checked, compiled and run with Node
//   (with the vitest CLI when it imports vitest) in a folder of its own; it
//   must exit 0 and print what its `console.log(x); // value` lines announce.
// - A README block that cannot run here says why, on the line before it:
//   `<!-- compile-only: needs a service at the manifest's URL -->`. It is
//   type-checked only and the reason is printed in the table.
// - A README block with neither fails: every example is run or says why not.
// - Blocks of docs/ are run by integration/test/docs-snippets.test.ts (the same
//   `ts test` convention); here they are type-checked only.
//
// The run folder of a block, `own/<page>/run-<line>/`: the README's
// `<!-- file: path -->` blocks (TypeScript ones compiled), then the files of
// test/readme-fixtures.ts rows that apply to the block.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { README_FIXTURES, type ReadmeFixture } from './readme-fixtures.js';
import type { Fence, Location } from './snippets.js';

/** The root README and the packages' READMEs (not docs/). */
export function isReadme(page: string): boolean {
  return page === 'README.md' || /^packages\/[^/]+\/README\.md$/.test(page);
}

/** Whether an own-docs block runs, and the reason the table shows. */
export interface ReadmeDecision {
  readonly runnable: boolean;
  readonly reason: string;
  /** Something wrong with how the block is marked (fails the block). */
  readonly problem?: string;
}

/** What the markers around a block of the project's own Markdown say. */
export function decideOwn(location: Location | undefined): ReadmeDecision {
  const page = location?.page ?? '';
  if (!isReadme(page)) {
    return {
      runnable: false,
      reason:
        location?.tested === true
          ? 'docs/: run by integration/test/docs-snippets.test.ts'
          : 'docs/: type-checked only',
    };
  }
  const tested = location?.tested === true;
  const compileOnly = location?.compileOnly;
  if (tested && compileOnly !== undefined) {
    return {
      runnable: false,
      reason: `compile-only: ${compileOnly}`,
      problem:
        'marked both `ts test` and `<!-- compile-only: ... -->`: drop one (run it, or say why not)',
    };
  }
  if (tested) return { runnable: true, reason: 'README example (`ts test`)' };
  if (compileOnly !== undefined) {
    return compileOnly === ''
      ? {
          runnable: false,
          reason: 'compile-only',
          problem: '`<!-- compile-only: -->` gives no reason',
        }
      : { runnable: false, reason: `compile-only: ${compileOnly}` };
  }
  return {
    runnable: false,
    reason: 'README example neither run nor explained',
    problem:
      'a README example must run (```ts test```) or say why it cannot on the line before it (`<!-- compile-only: reason -->`)',
  };
}

/** The rows of README_FIXTURES for a block (by page, and heading when the row names one). */
export function fixturesFor(page: string, heading: string | undefined): ReadmeFixture[] {
  return README_FIXTURES.filter(
    (f) => f.page === page && (f.heading === undefined || f.heading === heading),
  );
}

/** A relative path that stays inside its folder. */
function inside(path: string): boolean {
  const n = normalize(path);
  return !n.startsWith('..') && !n.startsWith('/') && n === path.replace(/^\.\//, '');
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** What {@link assembleReadmeRun} made. */
export interface ReadmeRun {
  readonly dir: string;
  /** One line for the run notes: where each file came from. */
  readonly note: string;
  readonly problems: readonly string[];
}

/**
 * The run folder of a README block: `<pageDir>/run-<line>/` with the README's
 * file blocks and the fixtures of its rows. `pageDir` is where the page's
 * TypeScript file blocks were compiled (`<marker>.js` beside `<marker>.ts`).
 */
export function assembleReadmeRun(
  pageDir: string,
  location: Location,
  fences: readonly Fence[],
): ReadmeRun {
  const dir = join(pageDir, `run-${location.line}`);
  mkdirSync(dir, { recursive: true });
  const problems: string[] = [];
  const shown: string[] = [];
  for (const f of fences) {
    if (f.page !== location.page || f.fileMarker === undefined) continue;
    if (!inside(f.fileMarker)) {
      problems.push(`${f.page}:${f.line}: <!-- file: ${f.fileMarker} --> leaves the run folder`);
      continue;
    }
    if (f.lang === 'ts' || f.lang === 'typescript') {
      const js = join(pageDir, f.fileMarker.replace(/\.ts$/, '.js'));
      if (existsSync(js)) copyFileSync(js, join(dir, f.fileMarker.replace(/\.ts$/, '.js')));
      else problems.push(`${f.page}:${f.line}: ${f.fileMarker} was not compiled`);
    } else {
      write(join(dir, f.fileMarker), f.code);
    }
    shown.push(f.fileMarker);
  }
  const supplied: string[] = [];
  for (const row of fixturesFor(location.page, location.heading)) {
    for (const [path, text] of Object.entries(row.files)) {
      if (!inside(path)) {
        problems.push(`README_FIXTURES ${row.page}: ${path} leaves the run folder`);
        continue;
      }
      if (shown.includes(path)) {
        problems.push(`README_FIXTURES ${row.page}: ${path} is a file block of the README already`);
        continue;
      }
      write(join(dir, path), text);
    }
    supplied.push(`${Object.keys(row.files).join(', ')} supplied by the test (${row.why})`);
  }
  const parts = [...(shown.length > 0 ? [`${shown.join(', ')} from the README`] : []), ...supplied];
  return {
    dir,
    note: `  ${location.page}:${location.line}: ${parts.length === 0 ? 'nothing but the block' : parts.join('; ')}`,
    problems,
  };
}
