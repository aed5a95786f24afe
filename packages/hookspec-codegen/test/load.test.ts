import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatProblem,
  HookspecInvalid,
  type HookspecProblem,
  loadHookspec,
  loadHookspecOrThrow,
} from '../src/index.js';
import { FIXTURE_KINDS, tempDir } from './helpers.js';

const EMPTY = JSON.stringify({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
});

/** Write a kind folder with `v1.yaml` and the given schema files; returns the YAML path. */
function writeKind(
  yaml: string,
  schemas: Record<string, string> = { 'empty.json': EMPTY },
): string {
  const dir = tempDir('hookspec-load-');
  mkdirSync(join(dir, 'schemas'), { recursive: true });
  for (const [name, text] of Object.entries(schemas))
    writeFileSync(join(dir, 'schemas', name), text);
  writeFileSync(join(dir, 'v1.yaml'), yaml);
  return join(dir, 'v1.yaml');
}

async function problemsOf(path: string): Promise<HookspecProblem[]> {
  const result = await loadHookspec(path);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.problems.filter((p) => p.severity === 'error');
}

const HOOK = `    input_schema: schemas/empty.json
    output_schema: schemas/empty.json`;

describe('loadHookspec: valid files', () => {
  it('loads the chunker fixture and fills the defaults', async () => {
    const spec = await loadHookspecOrThrow(join(FIXTURE_KINDS, 'chunker/v1.yaml'));
    expect(spec.kind).toBe('chunker');
    expect(spec.kind_api_version).toBe('1.0.0');
    expect(spec.hooks).toHaveLength(1);
    const [hook] = spec.hooks;
    expect(hook?.mcp_exposed).toBe(true);
    expect(hook?.mcp_tool_name_template).toBe('{kind}.{plugin}.{hook}');
    expect(hook?.error_policy).toBeUndefined();
    expect(spec.sources.map((s) => s.path)).toEqual([
      'v1.yaml',
      'schemas/chunk.input.json',
      'schemas/chunk.output.json',
    ]);
    for (const source of spec.sources) expect(source.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('defaults error_policy to fail_fast for broadcast_collect only', async () => {
    const path = writeKind(`kind: k
kind_api_version: "1.0.0"
hooks:
  - name: a
    dispatch: broadcast_collect
${HOOK}
  - name: b
    dispatch: singleton
${HOOK}
`);
    const spec = await loadHookspecOrThrow(path);
    expect(spec.hooks.map((h) => h.error_policy)).toEqual(['fail_fast', undefined]);
  });

  it('follows $ref across files and loads every reached file', async () => {
    const spec = await loadHookspecOrThrow(join(FIXTURE_KINDS, 'sample/v1.yaml'));
    expect(spec.sources.map((s) => s.path)).toContain('schemas/shared.json');
  });
});

describe('loadHookspec: problems with file, line, column and pointer', () => {
  it('reports YAML syntax errors with their line', async () => {
    const path = writeKind('kind: k\nkind_api_version: "1.0.0"\nhooks:\n  - name: [a\n');
    const [problem] = await problemsOf(path);
    expect(problem?.rule).toBe('syntax');
    expect(problem?.file).toBe(path);
    expect(problem?.line).toBeGreaterThanOrEqual(4);
  });

  it('reports an unknown dispatch class at its line, with the closed enum and a suggestion', async () => {
    const path = writeKind(`kind: k
kind_api_version: "1.0.0"
hooks:
  - name: run
    dispatch: singelton
${HOOK}
`);
    const [problem] = await problemsOf(path);
    expect(problem).toMatchObject({
      pointer: '/hooks/0/dispatch',
      line: 5,
      column: 15,
      rule: 'enum',
    });
    expect(problem?.message).toContain('broadcast_collect');
    expect(problem?.message).toContain('did you mean "singleton"');
    expect(formatProblem(problem as HookspecProblem)).toBe(
      `${path}:5:15 /hooks/0/dispatch: error: ${problem?.message}`,
    );
  });

  it('rejects hook and kind names that are not snake_case', async () => {
    const path = writeKind(`kind: Vector-Store
kind_api_version: "1.0.0"
hooks:
  - name: getSchema
    dispatch: singleton
${HOOK}
`);
    const problems = await problemsOf(path);
    expect(problems.map((p) => [p.pointer, p.line])).toEqual([
      ['/kind', 1],
      ['/hooks/0/name', 4],
    ]);
    expect(problems[1]?.message).toContain('snake_case');
  });

  it('rejects a kind_api_version that is not SemVer, with a hint for unquoted numbers', async () => {
    const path = writeKind(`kind: k
kind_api_version: 1.0
hooks:
  - name: a
    dispatch: singleton
${HOOK}
`);
    const [problem] = await problemsOf(path);
    expect(problem).toMatchObject({ pointer: '/kind_api_version', line: 2, rule: 'type' });
    expect(problem?.message).toContain('quote the version');
    const bad = writeKind(
      `kind: k\nkind_api_version: "v1"\nhooks:\n  - name: a\n    dispatch: singleton\n${HOOK}\n`,
    );
    expect((await problemsOf(bad))[0]?.message).toContain('SemVer');
  });

  it('reports duplicate hook names at the second one, naming the first line', async () => {
    const path = writeKind(`kind: k
kind_api_version: "1.0.0"
hooks:
  - name: run
    dispatch: singleton
${HOOK}
  - name: run
    dispatch: singleton
${HOOK}
`);
    const [problem] = await problemsOf(path);
    expect(problem).toMatchObject({ pointer: '/hooks/1/name', line: 8, rule: 'duplicate' });
    expect(problem?.message).toContain('line 4');
  });

  it('reports unknown fields at the key, with a suggestion, and accepts x- extensions', async () => {
    const path = writeKind(`kind: k
kind_api_version: "1.0.0"
x-owner: team
hooks:
  - name: a
    dispatch: singleton
    mcp_exposd: false
${HOOK}
`);
    const [problem] = await problemsOf(path);
    expect(problem).toMatchObject({ pointer: '/hooks/0/mcp_exposd', line: 7, column: 5 });
    expect(problem?.message).toContain('did you mean "mcp_exposed"');
  });

  it('requires output_schema except for broadcast_notify', async () => {
    const path = writeKind(`kind: k
kind_api_version: "1.0.0"
hooks:
  - name: a
    dispatch: singleton
    input_schema: schemas/empty.json
  - name: b
    dispatch: broadcast_notify
    input_schema: schemas/empty.json
`);
    const problems = await problemsOf(path);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ pointer: '/hooks/0', line: 4, rule: 'required' });
    expect(problems[0]?.message).toContain('output_schema');
  });

  it('rejects error_policy on a hook that is not broadcast_collect', async () => {
    const path = writeKind(`kind: k
kind_api_version: "1.0.0"
hooks:
  - name: a
    dispatch: singleton
    error_policy: best_effort
${HOOK}
`);
    const [problem] = await problemsOf(path);
    expect(problem).toMatchObject({
      pointer: '/hooks/0/error_policy',
      line: 6,
      rule: 'cross-field',
    });
  });

  it('rejects a chain hook that is not mcp_exposed (chain hooks must be RPC-safe)', async () => {
    const path = writeKind(`kind: k
kind_api_version: "1.0.0"
hooks:
  - name: rewrite
    dispatch: chain
    mcp_exposed: false
${HOOK}
  - name: local_only
    dispatch: singleton
    mcp_exposed: false
${HOOK}
`);
    const problems = await problemsOf(path);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      pointer: '/hooks/0/mcp_exposed',
      line: 6,
      rule: 'cross-field',
      message: expect.stringContaining('RPC-safe'),
    });
  });

  it('reports a missing schema file at the hookspec field that names it', async () => {
    const path = writeKind(`kind: k
kind_api_version: "1.0.0"
hooks:
  - name: a
    dispatch: singleton
    input_schema: schemas/nope.json
    output_schema: schemas/empty.json
`);
    const [problem] = await problemsOf(path);
    expect(problem).toMatchObject({
      file: path,
      pointer: '/hooks/0/input_schema',
      line: 6,
      rule: 'io',
    });
    expect(problem?.message).toContain('nope.json');
  });

  it('reports a $ref to a missing definition at its line in the JSON file', async () => {
    const broken =
      '{\n  "type": "object",\n  "properties": {\n    "a": { "$ref": "#/$defs/Missing" }\n  }\n}\n';
    const path = writeKind(
      `kind: k\nkind_api_version: "1.0.0"\nhooks:\n  - name: a\n    dispatch: singleton\n    input_schema: schemas/broken.json\n    output_schema: schemas/empty.json\n`,
      { 'empty.json': EMPTY, 'broken.json': broken },
    );
    const [problem] = await problemsOf(path);
    expect(problem?.file.endsWith('broken.json')).toBe(true);
    expect(problem).toMatchObject({ pointer: '/properties/a/$ref', line: 4, rule: 'ref' });
    expect(problem?.message).toContain('#/$defs/Missing');
  });

  it('reports JSON syntax errors and invalid JSON Schemas in the schema files', async () => {
    const path = writeKind(
      `kind: k\nkind_api_version: "1.0.0"\nhooks:\n  - name: a\n    dispatch: singleton\n    input_schema: schemas/syntax.json\n    output_schema: schemas/invalid.json\n`,
      {
        'syntax.json': '{\n  "type": "object",\n}\n',
        'invalid.json': '{\n  "type": "strnig"\n}\n',
      },
    );
    const problems = await problemsOf(path);
    const syntax = problems.find((p) => p.file.endsWith('syntax.json'));
    const invalid = problems.find((p) => p.file.endsWith('invalid.json'));
    expect(syntax).toMatchObject({ rule: 'syntax', line: 3 });
    expect(invalid).toMatchObject({ rule: 'schema', pointer: '/type', line: 2 });
  });

  it('rejects schemas of other drafts', async () => {
    const path = writeKind(
      `kind: k\nkind_api_version: "1.0.0"\nhooks:\n  - name: a\n    dispatch: singleton\n    input_schema: schemas/old.json\n    output_schema: schemas/empty.json\n`,
      {
        'empty.json': EMPTY,
        'old.json': '{ "$schema": "http://json-schema.org/draft-07/schema#" }',
      },
    );
    const [problem] = await problemsOf(path);
    expect(problem?.message).toContain('2020-12');
  });

  it('loadHookspecOrThrow throws HookspecInvalid carrying every problem', async () => {
    const path = writeKind('kind: K\nkind_api_version: "x"\nhooks: []\n');
    const error = await loadHookspecOrThrow(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HookspecInvalid);
    const problems = (error as HookspecInvalid).problems;
    expect(problems.map((p) => p.pointer)).toEqual(['/kind', '/kind_api_version', '/hooks']);
    expect((error as HookspecInvalid).code).toBe('HOOKSPEC_INVALID');
  });
});
