// TOML types are kept (spec decision M18): an unquoted date, time or
// date-time is a problem where a manifest field is expected — not a string
// in disguise — with its pointer and a hint; in metadata it stays its text.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManifestProblem } from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifest, validateManifest } from '../src/index.js';

const LINES = {
  schema_version: 'schema_version = "1"',
  name: 'name = "dated"',
  kind: 'kind = "tool"',
  kind_api_version: 'kind_api_version = "1"',
  core_version: 'core_version = ">=0.1.0,<1.0.0"',
  runtime: 'runtime = "in_process"',
  entry_point: 'entry_point = "plugin:P"',
};

/** A dagstack.toml whose [plugin] lines are the defaults with `replace` over them, then `tail`. */
function manifest(replace: Partial<Record<keyof typeof LINES, string>>, tail = ''): string {
  return `[plugin]\n${Object.values({ ...LINES, ...replace }).join('\n')}\n${tail}`;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dagstack-toml-types-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(text: string): Promise<ReturnType<typeof validateManifest>> {
  const file = join(dir, 'dagstack.toml');
  await writeFile(file, text);
  return loadManifest(file);
}

async function problems(text: string): Promise<readonly ManifestProblem[]> {
  const result = await load(text);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.manifest)}`);
  return result.problems;
}

describe('TOML dates where the schema wants something else', () => {
  it('refuses an unquoted date as the name, with the pointer and how to quote it', async () => {
    const found = await problems(manifest({ name: 'name = 1979-05-27' }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ pointer: '/name', rule: 'type' });
    expect(found[0]?.message).toBe(
      'must be a string, got a TOML date 1979-05-27; TOML reads an unquoted date as a date, not as text: quote it: "1979-05-27"',
    );
    // Quoted, it is the text it says.
    const quoted = await load(manifest({ name: 'name = "1979-05-27"' }));
    expect(quoted.ok && quoted.manifest.name).toBe('1979-05-27');
  });

  it('names each TOML date type', async () => {
    const cases = [
      ['1979-05-27', 'a TOML date 1979-05-27'],
      ['07:32:00', 'a TOML time 07:32:00.000'],
      ['1979-05-27T07:32:00', 'a TOML local date-time 1979-05-27T07:32:00.000'],
      ['1979-05-27T07:32:00Z', 'a TOML date-time 1979-05-27T07:32:00.000Z'],
      ['1979-05-27T00:32:00-07:00', 'a TOML date-time 1979-05-27T00:32:00.000-07:00'],
    ] as const;
    for (const [value, words] of cases) {
      const found = await problems(manifest({}, `description = ${value}\n`));
      expect(found.map((p) => p.pointer)).toEqual(['/description']);
      expect(found[0]?.message).toContain(`got ${words};`);
    }
  });

  it('reports dates in lists, tables and non-string fields at their own pointers', async () => {
    const found = await problems(
      manifest(
        { runtime: 'runtime = "mcp_stdio"', entry_point: 'priority = 2024-01-01' },
        'capabilities = ["search", 2024-01-02]\n' +
          '[plugin.mcp_stdio]\ncommand = ["node", "server.js"]\n' +
          '[plugin.mcp_stdio.env]\nSTARTED = 2024-01-03\n' +
          '[plugin.config_schema.properties.since]\ndefault = 2024-01-04\n',
      ),
    );
    const at = Object.fromEntries(found.map((p) => [p.pointer, p]));
    expect(Object.keys(at).sort()).toEqual([
      '/capabilities/1',
      '/config_schema/properties/since/default',
      '/mcp_stdio/env/STARTED',
      '/priority',
    ]);
    expect(at['/priority']?.message).toBe('must be an integer, got a TOML date 2024-01-01');
    expect(at['/capabilities/1']?.message).toContain('quote it: "2024-01-02"');
    expect(at['/mcp_stdio/env/STARTED']?.message).toContain('must be a string, got a TOML date');
    expect(at['/config_schema/properties/since/default']?.message).toContain('a JSON value');
    for (const problem of found) expect(problem.rule).toBe('type');
  });

  it('reports an unknown field holding a date once, as an unknown field', async () => {
    const found = await problems(manifest({}, 'released = 2024-01-01\n'));
    expect(found).toEqual([
      expect.objectContaining({ pointer: '/released', rule: 'additionalProperties' }),
    ]);
  });

  it('keeps a date in metadata as its ISO 8601 text', async () => {
    const result = await load(
      manifest({}, '[plugin.metadata]\nreleased = 2024-05-01\nat = 2024-05-01T12:00:00Z\n'),
    );
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.manifest.metadata).toEqual({
        released: '2024-05-01',
        at: '2024-05-01T12:00:00.000Z',
      });
    }
  });
});

describe('values JSON has no word for, in inline manifests', () => {
  const base = {
    schema_version: '1',
    name: 'p',
    kind: 'tool',
    kind_api_version: '1',
    core_version: '>=0.1.0',
    runtime: 'in_process',
    entry_point: 'plugin:P',
  };

  it('refuses a Date object where text is wanted', () => {
    const result = validateManifest({ ...base, version: new Date('2024-01-01T00:00:00Z') });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problems).toEqual([
        expect.objectContaining({ pointer: '/version', rule: 'type' }),
      ]);
      expect(result.problems[0]?.message).toContain('got a Date object 2024-01-01T00:00:00.000Z');
      expect(result.problems[0]?.message).toContain('pass the text instead');
    }
  });

  it('keeps a safe bigint as a number and refuses one beyond 2^53', () => {
    const safe = validateManifest({ ...base, priority: 7n });
    expect(safe.ok && safe.manifest.priority).toBe(7);
    const huge = validateManifest({ ...base, priority: 2n ** 60n });
    expect(huge.ok).toBe(false);
    if (!huge.ok) {
      expect(huge.problems).toEqual([
        expect.objectContaining({ pointer: '/priority', rule: 'type' }),
      ]);
    }
  });
});
