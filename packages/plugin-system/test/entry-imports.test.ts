// The root entry is the in-process stack: it must not pull in the MCP runtimes
// (nor @modelcontextprotocol/*). Walks the import graph of the built
// dist/index.js. Process spawning is allowed in one place only: the registry's
// isolated execution models (`process_cpu_bound` plugins run in a child
// process), which its root entry exports.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inWorkspace, staticImports, walkImports } from './import-graph.js';
import { tempDir } from './temp.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const WORKSPACE = join(PACKAGE_DIR, '../..');
const ENTRY = join(PACKAGE_DIR, 'dist/index.js');

function forbidden(specifier: string): boolean {
  return (
    specifier.startsWith('@modelcontextprotocol') ||
    specifier === 'node:child_process' ||
    specifier === 'child_process' ||
    /runtime-mcp|mcp-wire/.test(specifier)
  );
}

describe('the import graph walker', () => {
  it('finds static imports and re-exports, not comments or strings in code', () => {
    const source = `import a from './a.js';
import { b } from "./b.js";
import './side-effect.js';
export { c } from './c.js';
export * as d from './d.js';
import type { T } from './types.js';
// import x from './commented.js';
/* import y from './block.js'; */
const s = "import z from './not-code.js'";`;
    expect(staticImports(source)).toEqual([
      './a.js',
      './b.js',
      './side-effect.js',
      './c.js',
      './d.js',
      './types.js',
    ]);
  });

  it('follows relative imports and reports a forbidden import two levels down', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'index.js'), "export { run } from './lib/run.js';\n");
    writeFileSync(
      join(dir, 'lib/run.js'),
      "import { spawn } from 'node:child_process';\nexport const run = spawn;\n",
    );
    const graph = walkImports(join(dir, 'index.js'), inWorkspace(dir));
    expect(graph.files).toHaveLength(2);
    expect(graph.imports.filter((i) => forbidden(i.specifier)).map((i) => i.specifier)).toEqual([
      'node:child_process',
    ]);
  });
});

/**
 * `node:child_process` imports the root entry may reach: the registry's
 * `isolated.js` (execution_model = "process_cpu_bound"), exported from the
 * registry's root as `createIsolatedHandle`. Anything else fails the test.
 */
const ALLOWED_CHILD_PROCESS = ['packages/registry/dist/isolated.js'];

describe('built @dagstack/plugin-system root entry', () => {
  it('imports nothing MCP-related, through every workspace package', () => {
    if (!existsSync(ENTRY)) {
      throw new Error(`${ENTRY} is missing: build first (pnpm exec turbo run build)`);
    }
    const graph = walkImports(ENTRY, inWorkspace(WORKSPACE));
    const packages = new Set(graph.files.map((f) => f.slice(WORKSPACE.length + 1).split('/')[1]));
    // The walk really crossed into the re-exported packages.
    expect([...packages].sort()).toEqual([
      'discovery',
      'dispatch',
      'manifest',
      'plugin-api',
      'plugin-system',
      'registry',
      'resources',
    ]);
    expect(graph.files.some((f) => f.endsWith('generated/kinds/tool/v1.js'))).toBe(true);
    expect(graph.files.some((f) => f.endsWith('orchestrator/local-executor.js'))).toBe(true);
    const offending = graph.imports
      .filter((i) => forbidden(i.specifier))
      .filter(
        (i) =>
          !(
            /child_process$/.test(i.specifier) &&
            ALLOWED_CHILD_PROCESS.includes(i.from.slice(WORKSPACE.length + 1))
          ),
      )
      .map((i) => `${i.from.slice(WORKSPACE.length + 1)} -> ${i.specifier}`);
    expect(offending).toEqual([]);
    // No MCP package is even installed where the entry could resolve it.
    expect(graph.imports.filter((i) => i.specifier.includes('modelcontextprotocol'))).toEqual([]);
  });
});
