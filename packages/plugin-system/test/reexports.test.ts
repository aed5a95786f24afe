// The root entry lists re-exports by name (no `export *`): every name that
// plugin-api and plugin-manifest export, types included, must be listed.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const read = (path: string): string =>
  readFileSync(fileURLToPath(new URL(path, import.meta.url)), 'utf8');

function exportedNames(source: string): Set<string> {
  const names = new Set<string>();
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '');
  for (const match of code.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const item of (match[1] ?? '').split(',')) {
      const name = item
        .trim()
        .split(/\s+as\s+/)
        .pop();
      if (name !== undefined && name !== '') names.add(name);
    }
  }
  return names;
}

describe('root entry re-exports', () => {
  const root = exportedNames(read('../src/index.ts'));

  for (const [label, path] of [
    ['@dagstack/plugin-api', '../../plugin-api/src/index.ts'],
    ['@dagstack/plugin-manifest', '../../manifest/src/index.ts'],
  ] as const) {
    it(`lists every export of ${label}, types included`, () => {
      const missing = [...exportedNames(read(path))].filter((n) => !root.has(n));
      expect(missing).toEqual([]);
    });
  }

  it('exposes the generated kinds as namespaces', () => {
    expect(root.has('ToolV1')).toBe(true);
    expect(root.has('OrchestratorV1')).toBe(true);
  });
});
