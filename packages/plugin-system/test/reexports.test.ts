// The root entry lists re-exports by name (no `export *`): every name that the
// six packages of the in-process stack export, types included, must be
// listed, and a name exported by two of them must be resolved here on purpose.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const read = (path: string): string =>
  readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');

const PACKAGES = [
  ['@dagstack/plugin-api', '../../plugin-api/src/index.ts'],
  ['@dagstack/plugin-manifest', '../../manifest/src/index.ts'],
  ['@dagstack/plugin-discovery', '../../discovery/src/index.ts'],
  ['@dagstack/plugin-dispatch', '../../dispatch/src/index.ts'],
  ['@dagstack/plugin-resources', '../../resources/src/index.ts'],
  ['@dagstack/plugin-registry', '../../registry/src/index.ts'],
] as const;

/**
 * Names exported by more than one package, and the package the root entry
 * takes each from. Empty today; a new clash makes the test below fail until it
 * is listed here and the root entry re-exports it from that package only.
 */
const RESOLVED_CLASHES: Readonly<Record<string, (typeof PACKAGES)[number][0]>> = {};

/** Exported names of a module source, each with the specifier it is re-exported from. */
function exportsOf(source: string): Map<string, string | undefined> {
  const names = new Map<string, string | undefined>();
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const match of code.matchAll(/export (?:type )?\{([^}]*)\}(?:\s*from\s*'([^']+)')?/g)) {
    for (const item of (match[1] ?? '').split(',')) {
      const name = item
        .trim()
        .split(/\s+as\s+/)
        .pop();
      if (name !== undefined && name !== '') names.set(name, match[2]);
    }
  }
  for (const match of code.matchAll(/export (?:const|function|class) (\w+)/g)) {
    names.set(match[1] as string, undefined);
  }
  return names;
}

describe('root entry re-exports', () => {
  const root = exportsOf(read('../src/index.ts'));

  for (const [label, path] of PACKAGES) {
    it(`lists every export of ${label}, types included`, () => {
      const missing = [...exportsOf(read(path)).keys()].filter((n) => !root.has(n));
      expect(missing).toEqual([]);
    });
  }

  it('takes every name from the package that exports it, and clashes only as resolved', () => {
    const owners = new Map<string, string[]>();
    for (const [label, path] of PACKAGES) {
      for (const name of exportsOf(read(path)).keys()) {
        owners.set(name, [...(owners.get(name) ?? []), label]);
      }
    }
    const clashes = [...owners].filter(([, labels]) => labels.length > 1).map(([name]) => name);
    expect(clashes.sort()).toEqual(Object.keys(RESOLVED_CLASHES).sort());
    for (const [name, labels] of owners) {
      const chosen = RESOLVED_CLASHES[name] ?? labels[0];
      expect(root.get(name), name).toBe(chosen);
    }
  });

  it("keeps the package's own names apart from the re-exported ones", () => {
    const reexported = new Set<string>();
    for (const [, path] of PACKAGES)
      for (const name of exportsOf(read(path)).keys()) reexported.add(name);
    const own = [...root].filter(([, from]) => from === undefined || from.startsWith('./'));
    expect(own.map(([name]) => name).filter((n) => reexported.has(n))).toEqual([]);
    for (const name of [
      'ToolV1',
      'OrchestratorV1',
      'STANDARD_KINDS',
      'LocalExecutorOrchestrator',
    ]) {
      expect(root.has(name), name).toBe(true);
    }
  });
});
