// Runs the language-neutral manifest fixtures in conformance/manifests: every
// manifest example of the reference docs, re-typed, plus invalid variants
// with the exact JSON pointers their problems must carry.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isManifestInvalid, type ManifestProblem } from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import { loadManifest, loadManifestOrThrow } from '../src/index.js';

const root = fileURLToPath(new URL('../../../conformance/manifests/', import.meta.url));

interface ValidExpectation {
  manifest: Record<string, unknown>;
  complete?: boolean;
  absent?: string[];
  warnings: string[];
  source?: string;
}

interface InvalidExpectation {
  error: string;
  problems: { pointer: string; rule: string; contains?: string }[];
}

const cases = (group: string): string[] =>
  readdirSync(join(root, group), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();

const read = <T>(group: string, name: string): T =>
  JSON.parse(readFileSync(join(root, group, name, 'expected.json'), 'utf8')) as T;

function lookup(value: unknown, dotted: string): unknown {
  return dotted
    .split('.')
    .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);
}

describe('valid manifests from the reference docs', () => {
  it('has fixtures', () => {
    expect(cases('valid').length).toBeGreaterThanOrEqual(15);
  });

  for (const name of cases('valid')) {
    it(name, async () => {
      const expected = read<ValidExpectation>('valid', name);
      const dir = join(root, 'valid', name);
      const result = await loadManifest(dir);
      if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
      const { source, ...manifest } = result.manifest;
      expect(source.startsWith(dir)).toBe(true);
      if (expected.source !== undefined) expect(basename(source)).toBe(expected.source);
      if (expected.complete) expect(manifest).toEqual(expected.manifest);
      else expect(manifest).toMatchObject(expected.manifest);
      for (const key of expected.absent ?? []) expect(lookup(manifest, key)).toBeUndefined();
      expect(result.warnings.map((w) => w.pointer).sort()).toEqual([...expected.warnings].sort());
      expect(Object.isFrozen(result.manifest)).toBe(true);
      expect(Object.isFrozen(result.manifest.runtime)).toBe(true);
    });
  }
});

describe('invalid manifests', () => {
  it('has fixtures', () => {
    expect(cases('invalid').length).toBeGreaterThanOrEqual(25);
  });

  for (const name of cases('invalid')) {
    it(name, async () => {
      const expected = read<InvalidExpectation>('invalid', name);
      const dir = join(root, 'invalid', name);
      const result = await loadManifest(dir);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const got = result.problems.map((p) => `${p.pointer} ${p.rule}`).sort();
      expect(got).toEqual(expected.problems.map((p) => `${p.pointer} ${p.rule}`).sort());
      for (const want of expected.problems) {
        if (want.contains === undefined) continue;
        const match = result.problems.find((p) => p.pointer === want.pointer);
        expect(match?.message).toContain(want.contains);
      }
      for (const problem of result.problems) {
        expect(problem.message.length).toBeGreaterThan(10);
        expect(problem.source.startsWith(dir)).toBe(true);
      }
      const thrown = await loadManifestOrThrow(dir).catch((error: unknown) => error);
      expect(isManifestInvalid(thrown)).toBe(true);
      const problems = (thrown as { problems: ManifestProblem[] }).problems;
      expect(problems).toEqual(result.problems);
      expect((thrown as Error).message).toContain(dir);
    });
  }
});
