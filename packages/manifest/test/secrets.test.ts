// No secret in any manifest problem: the value of a secret-named key never
// appears in a message, whatever its type; neither do passwords in URLs nor
// the piece of text a JSON syntax error would quote. Real files on disk.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManifestProblem } from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifest, loadManifestOrThrow, MASK } from '../src/index.js';

const HEAD = `[plugin]
schema_version = "1"
name = "leaky"
kind = "tool"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
`;

const SECRETS = ['sk-live-123456', 'hunter2', '987654321', 'ghp_abcdef', 'pa55word', 's3cret'];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dagstack-secrets-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function problemsOf(name: string, text: string): Promise<readonly ManifestProblem[]> {
  const file = join(dir, name);
  await writeFile(file, text);
  const result = await loadManifest(file);
  if (result.ok) throw new Error('expected an invalid manifest');
  // The thrown error carries the same messages.
  const thrown = await loadManifestOrThrow(file).catch((error: unknown) => error);
  const printed = [
    ...result.problems.map((p) => p.message),
    ...result.warnings.map((w) => w.message),
    String((thrown as Error).message),
    JSON.stringify(thrown),
  ].join('\n');
  for (const secret of SECRETS) expect(printed).not.toContain(secret);
  return result.problems;
}

describe('secret-named keys of the wrong type', () => {
  it('masks lists, tables, numbers and nested values in stdio env', async () => {
    const found = await problemsOf(
      'dagstack.toml',
      `${HEAD}runtime = "mcp_stdio"\n[plugin.mcp_stdio]\ncommand = ["node", "s.js"]\n` +
        '[plugin.mcp_stdio.env]\n' +
        'API_TOKEN = ["sk-live-123456"]\n' +
        'DB_PASSWORD = { value = "hunter2" }\n' +
        'SERVICE_KEY = 987654321\n' +
        'OPTIONS = { github_token = "ghp_abcdef", retries = 3 }\n',
    );
    const at = Object.fromEntries(found.map((p) => [p.pointer, p.message]));
    expect(at['/mcp_stdio/env/API_TOKEN']).toBe(`must be a string, got a list ${MASK}`);
    expect(at['/mcp_stdio/env/DB_PASSWORD']).toBe(`must be a string, got a table ${MASK}`);
    expect(at['/mcp_stdio/env/SERVICE_KEY']).toBe(`must be a string, got an integer ${MASK}`);
    // A table under a plain name: its secret-named entries are masked, the rest shown.
    expect(at['/mcp_stdio/env/OPTIONS']).toBe(
      `must be a string, got a table {"github_token":"${MASK}","retries":3}`,
    );
  });

  it('masks headers, a bare auth value and the header auth names', async () => {
    const found = await problemsOf(
      'dagstack.json',
      JSON.stringify({
        schema_version: '1',
        name: 'leaky',
        kind: 'tool',
        kind_api_version: '1',
        core_version: '>=0.1.0',
        runtime: 'mcp_http',
        mcp_http: {
          url: 'https://plugins.example.com/mcp',
          auth_header: 'X-Custom',
          headers: { Authorization: ['Bearer pa55word'], 'X-Custom': { v: 's3cret' } },
        },
        auth: 'sk-live-123456',
      }),
    );
    expect(found.map((p) => p.pointer).sort()).toEqual([
      '/auth',
      '/mcp_http/headers/Authorization',
      '/mcp_http/headers/X-Custom',
    ]);
    for (const problem of found) expect(problem.message).toContain(MASK);
  });

  it('masks a password written into a URL that is not valid', async () => {
    const found = await problemsOf(
      'dagstack.toml',
      `${HEAD}runtime = "mcp_http"\n[plugin.mcp_http]\nurl = "https://bob:hunter2@exa mple.com/mcp"\n`,
    );
    expect(found.map((p) => p.pointer)).toContain('/mcp_http/url');
  });

  it('does not quote the text around a JSON syntax error', async () => {
    const found = await problemsOf('dagstack.json', '{"name": "leaky", "api_key": sk-live-123456}');
    expect(found).toEqual([expect.objectContaining({ pointer: '', rule: 'syntax' })]);
    expect(found[0]?.message).toMatch(/^JSON syntax error/);
    const positioned = await problemsOf('dagstack-plugin.json', '{"name": "x",\n "a": 1 x}');
    expect(positioned[0]?.message).toMatch(/^JSON syntax error \(line 2, column \d+\)/);
  });

  it('keeps names of environment variables visible', async () => {
    const found = await problemsOf(
      'dagstack.toml',
      `${HEAD}runtime = "mcp_http"\n[plugin.mcp_http]\nurl = "https://h/mcp"\nauth_secret_env = "lower case"\n`,
    );
    expect(found).toEqual([
      expect.objectContaining({
        pointer: '/mcp_http/auth_secret_env',
        message: expect.stringContaining('"lower case"'),
      }),
    ]);
  });
});
