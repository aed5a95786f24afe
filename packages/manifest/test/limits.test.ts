// Hostile manifests: validation stays linear and bounded — problems capped
// at 100 plus one counting the rest, value descriptions and messages short,
// deep or cyclic values refused, costly checks (runtime repeats, config
// schemas, long core_version) bounded. Real files in a temporary folder.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManifestProblem } from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifest, parseManifest, validateManifest } from '../src/index.js';

const HEAD = `[plugin]
schema_version = "1"
name = "hostile"
kind = "tool"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:P"
`;

const BASE = {
  schema_version: '1',
  name: 'p',
  kind: 'tool',
  kind_api_version: '1',
  core_version: '>=0.1.0',
  runtime: 'in_process',
  entry_point: 'plugin:P',
};

/** A manifest with `count` unknown top-level keys (70,000 make about 1 MB). */
function unknownKeys(count: number): string {
  const lines = [HEAD];
  for (let i = 0; i < count; i += 1) lines.push(`x${i} = ${i}`);
  return `${lines.join('\n')}\n`;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dagstack-limits-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function problemsOf(result: ReturnType<typeof validateManifest>): readonly ManifestProblem[] {
  if (result.ok) throw new Error('expected an invalid manifest');
  return result.problems;
}

describe('a manifest with 70,000 unknown keys', () => {
  it('lists the first 100 problems in document order and counts the rest in one more', async () => {
    const text = unknownKeys(70_000);
    expect(text.length).toBeGreaterThan(900_000);
    expect(text.length).toBeLessThan(1024 * 1024);
    const file = join(dir, 'dagstack.toml');
    await writeFile(file, text);

    const loaded = await loadManifest(file);
    const problems = problemsOf(loaded);
    expect(problems).toHaveLength(101);
    expect(problems.slice(0, 100).map((p) => p.pointer)).toEqual(
      Array.from({ length: 100 }, (_, i) => `/x${i}`),
    );
    expect(problems[0]).toMatchObject({ rule: 'additionalProperties', source: file });
    expect(problems[0]?.message).toContain('unknown field "x0"');
    expect(problems[100]).toMatchObject({ pointer: '', rule: 'limit', source: file });
    expect(problems[100]?.message).toContain('69,900 more problems');
    if (!loaded.ok) expect(loaded.name).toBe('hostile');

    // The same answer without I/O (on this thread; loadManifest used the validation thread).
    const parsed = parseManifest(text, 'toml', file);
    expect(problemsOf(parsed)).toEqual(problems);
  });

  it('keeps every problem when there are exactly 100', () => {
    const problems = problemsOf(parseManifest(unknownKeys(100), 'toml'));
    expect(problems).toHaveLength(100);
    expect(problems.some((p) => p.rule === 'limit')).toBe(false);
  });

  it('caps warnings the same way', () => {
    const auth: Record<string, string> = {};
    for (let i = 0; i < 500; i += 1) auth[`extra${i}`] = 'x';
    const result = validateManifest({
      ...BASE,
      runtime: 'mcp_http',
      entry_point: undefined,
      mcp_http: { url: 'https://h/mcp', auth: { token_env: 'T', ...auth } },
    });
    expect(result.ok).toBe(true);
    expect(result.warnings).toHaveLength(101);
    expect(result.warnings[100]).toMatchObject({ pointer: '', rule: 'limit' });
    expect(result.warnings[100]?.message).toContain('400 more warnings');
  });
});

describe('bounded messages', () => {
  it('describes a huge value in a few dozen characters', () => {
    const big: Record<string, number> = {};
    for (let i = 0; i < 50_000; i += 1) big[`k${i}`] = i;
    const problems = problemsOf(
      validateManifest({ ...BASE, priority: big, description: 'x'.repeat(500_000), kind: [big] }),
    );
    const priority = problems.find((p) => p.pointer === '/priority');
    expect(priority?.message).toMatch(/^must be an integer, got a table \{"k0":0,"k1":1,.*\.\.\.$/);
    for (const problem of problems) expect(problem.message.length).toBeLessThanOrEqual(500);
    const kind = problems.find((p) => p.pointer === '/kind');
    expect(kind?.message.length).toBeLessThan(120);
  });

  it('quotes a 100,000-character key name shortened, with no "did you mean"', () => {
    const key = `priorit${'y'.repeat(100_000)}`;
    const problems = problemsOf(validateManifest({ ...BASE, [key]: 1 }));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.pointer).toBe(`/${key}`);
    expect(problems[0]?.message.length).toBeLessThan(200);
    expect(problems[0]?.message).not.toContain('did you mean');
    // A short typo still gets its suggestion.
    const typo = problemsOf(validateManifest({ ...BASE, priorty: 1 }));
    expect(typo[0]?.message).toContain('did you mean "priority"?');
  });

  it('refuses a core_version longer than 1024 characters without parsing it', () => {
    const problems = problemsOf(
      validateManifest({ ...BASE, core_version: `>=1,${'>=1,'.repeat(200_000)}` }),
    );
    expect(problems).toEqual([
      expect.objectContaining({ pointer: '/core_version', rule: 'maxLength' }),
    ]);
  });
});

describe('costly shapes', () => {
  it('checks a runtime list of 12,000 tables (pairwise before: 5 s) and still finds repeats', () => {
    const runtime = Array.from({ length: 12_000 }, (_, i) => ({ a: i }));
    const problems = problemsOf(validateManifest({ ...BASE, runtime }));
    expect(problems).toHaveLength(101);
    expect(problems[0]?.pointer).toBe('/runtime/0');
    const repeat = problemsOf(validateManifest({ ...BASE, runtime: ['in_process', 'in_process'] }));
    expect(repeat).toEqual([
      expect.objectContaining({
        pointer: '/runtime',
        rule: 'uniqueItems',
        message: 'lists the same value twice',
      }),
    ]);
  });

  it('refuses nesting deeper than 64 levels and cycles, without throwing', async () => {
    // 10,000 nested lists: JSON.parse reads them; a recursive walk would overflow the stack.
    const deep = `${'['.repeat(10_000)}1${']'.repeat(10_000)}`;
    const file = join(dir, 'dagstack.json');
    await writeFile(
      file,
      `${JSON.stringify({ ...BASE, metadata: {} }).slice(0, -2)}"deep": ${deep}}}`,
    );
    const problems = problemsOf(await loadManifest(file));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ rule: 'limit' });
    expect(problems[0]?.pointer.startsWith('/metadata/deep/0/0/0')).toBe(true);
    expect(problems[0]?.message).toContain('more than 64 levels');

    const cyclic: Record<string, unknown> = { ...BASE };
    cyclic.metadata = { self: cyclic };
    expect(problemsOf(validateManifest(cyclic))).toEqual([
      expect.objectContaining({ pointer: '/metadata/self', rule: 'type' }),
    ]);
  });

  it('checks config_schema against the meta-schema, as often as asked', () => {
    const withId = () => ({
      ...BASE,
      config_schema: { $id: 'https://example.com/config.json', type: 'object' },
    });
    // Compiling registered the $id: the second validation failed with "already exists".
    expect(validateManifest(withId()).ok).toBe(true);
    expect(validateManifest(withId()).ok).toBe(true);

    const properties: Record<string, unknown> = {};
    for (let i = 0; i < 20_000; i += 1) properties[`p${i}`] = { type: 'string' };
    expect(validateManifest({ ...BASE, config_schema: { type: 'object', properties } }).ok).toBe(
      true,
    );

    const bad = problemsOf(
      validateManifest({ ...BASE, config_schema: { properties: { a: { type: 'strin' } } } }),
    );
    expect(bad).toEqual([expect.objectContaining({ pointer: '/config_schema', rule: 'schema' })]);
    expect(bad[0]?.message).toContain('/properties/a/type');

    const draft7 = problemsOf(
      validateManifest({
        ...BASE,
        config_schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' },
      }),
    );
    expect(draft7[0]?.message).toContain('not a meta-schema this binding knows');
  });
});
