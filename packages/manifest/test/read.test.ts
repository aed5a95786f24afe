// Reading manifests from real files: precedence between file forms, package.json
// references, I/O failures, and the inline forms.
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkCoreVersion,
  findManifestFile,
  loadManifest,
  MANIFEST_FILE_NAMES,
  parseManifest,
  validateManifest,
} from '../src/index.js';

const TOML = `[plugin]
schema_version = "1"
name = "echo"
kind = "tool"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:Echo"
`;

const JSON_MANIFEST = JSON.stringify({
  schema_version: '1',
  name: 'echo-json',
  kind: 'tool',
  kind_api_version: '1',
  core_version: '>=0.1.0',
  runtime: 'in_process',
  entry_point: './plugin.js#Echo',
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dagstack-manifest-'));
});
afterEach(async () => {
  await chmod(dir, 0o700).catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

describe('loadManifest', () => {
  it('prefers dagstack.toml over the other forms and reports the shadowed ones', async () => {
    await writeFile(join(dir, 'dagstack.toml'), TOML);
    await writeFile(join(dir, 'dagstack-plugin.json'), JSON_MANIFEST);
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'x', dagstack: JSON.parse(JSON_MANIFEST) }),
    );
    await writeFile(join(dir, 'pyproject.toml'), '[project]\nname = "not-a-plugin"\n');
    const result = await loadManifest(dir);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.manifest.name).toBe('echo');
    expect(result.manifest.source).toBe(join(dir, 'dagstack.toml'));
    // pyproject.toml without [tool.dagstack.plugin] is not a manifest, so it is not shadowed.
    expect(result.warnings.map((w) => w.source)).toEqual([
      join(dir, 'dagstack-plugin.json'),
      join(dir, 'package.json'),
    ]);
    expect(MANIFEST_FILE_NAMES[0]).toBe('dagstack.toml');
  });

  it('ignores a package.json without a dagstack field', async () => {
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'plain' }));
    expect(await findManifestFile(dir)).toBeUndefined();
    const result = await loadManifest(dir);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.message).toContain('no manifest in');
  });

  it('loads a file path directly', async () => {
    const file = join(dir, 'dagstack-plugin.json');
    await writeFile(file, JSON_MANIFEST);
    const result = await loadManifest(file);
    expect(result.ok && result.manifest.name).toBe('echo-json');
  });

  it('reports a missing path and an unreadable file as problems, not exceptions', async () => {
    const missing = await loadManifest(join(dir, 'nope'));
    expect(missing.ok).toBe(false);
    if (!missing.ok) {
      expect(missing.problems[0]).toMatchObject({
        pointer: '',
        rule: 'io',
        source: join(dir, 'nope'),
      });
      expect(missing.problems[0]?.message).toContain('no such file or folder');
    }
    if (process.getuid?.() !== 0) {
      const file = join(dir, 'dagstack.toml');
      await writeFile(file, TOML);
      await chmod(file, 0o000);
      const denied = await loadManifest(file);
      expect(denied.ok).toBe(false);
      if (!denied.ok) expect(denied.problems[0]?.message).toContain('permission denied');
    }
  });

  it('refuses manifest files over 1 MiB without parsing them', async () => {
    const file = join(dir, 'dagstack.toml');
    await writeFile(file, `${TOML}\n# ${'x'.repeat(1024 * 1024)}\n`);
    const result = await loadManifest(file);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.message).toContain('limited to');
  });

  it('refuses a package.json reference that leaves the package through a symlink', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'dagstack-outside-'));
    try {
      await writeFile(join(outside, 'dagstack.toml'), TOML);
      await mkdir(join(dir, 'pkg'));
      await symlink(outside, join(dir, 'pkg', 'linked'));
      await writeFile(
        join(dir, 'pkg', 'package.json'),
        JSON.stringify({ name: 'p', dagstack: { manifest: './linked/dagstack.toml' } }),
      );
      const result = await loadManifest(join(dir, 'pkg'));
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.problems[0]).toMatchObject({
          pointer: '/dagstack/manifest',
          rule: 'structure',
        });
        expect(result.problems[0]?.message).toContain('through a link');
      }
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('reports a package.json reference to a missing file', async () => {
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'p', dagstack: './missing.toml' }),
    );
    const result = await loadManifest(dir);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.message).toContain('missing.toml');
  });
});

describe('parseManifest and validateManifest', () => {
  it('reads the pyproject-style table from a dagstack.toml too', () => {
    const text = TOML.replace('[plugin]', '[tool.dagstack.plugin]');
    const result = parseManifest(text, 'toml', 'x/dagstack.toml');
    expect(result.ok && result.manifest.name).toBe('echo');
  });

  it('warns when both [plugin] and [tool.dagstack.plugin] are present', () => {
    const text = `${TOML}\n[tool.dagstack.plugin]\nname = "other"\n`;
    const result = parseManifest(text, 'toml');
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.manifest.name).toBe('echo');
      expect(result.warnings.some((w) => w.rule === 'shadowed')).toBe(true);
    }
  });

  it('cannot follow a package.json reference without I/O and says so', () => {
    const result = parseManifest(
      JSON.stringify({ dagstack: { manifest: './m.toml' } }),
      'package.json',
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.message).toContain('loadManifest');
  });

  it('validates an inline object and marks its source', () => {
    const result = validateManifest(JSON.parse(JSON_MANIFEST));
    expect(result.ok && result.manifest.source).toBe('inline');
  });

  it('accepts the integer forms TOML authors write for versions', () => {
    const result = validateManifest({
      ...JSON.parse(JSON_MANIFEST),
      schema_version: 1,
      kind_api_version: 2,
    });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.manifest.schema_version).toBe('1');
      expect(result.manifest.kind_api_version).toBe('2');
    }
  });

  it('turns TOML dates into ISO strings inside metadata', () => {
    const result = parseManifest(
      `${TOML}\n[plugin.metadata]\nreleased = 2026-01-02T03:04:05Z\n`,
      'toml',
    );
    expect(result.ok && result.manifest.metadata.released).toBe('2026-01-02T03:04:05.000Z');
  });

  it('rejects a non-object with a problem on the document', () => {
    for (const input of [null, 42, 'x', [1, 2]]) {
      const result = validateManifest(input, { source: 'inline' });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems[0]).toMatchObject({ pointer: '', rule: 'type' });
    }
  });

  it('warns about a token written into the manifest and about tls_verify = false', () => {
    const result = validateManifest({
      ...JSON.parse(JSON_MANIFEST),
      runtime: 'mcp_http',
      entry_point: undefined,
      mcp_http: { url: 'https://h/mcp', auth: { token: 'abc' }, tls_verify: false },
    });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.warnings.map((w) => w.pointer).sort()).toEqual([
        '/mcp_http/auth/token',
        '/mcp_http/tls_verify',
      ]);
      expect(result.manifest.mcp_http?.auth).toEqual({
        header: 'Authorization',
        scheme: 'Bearer',
        token: 'abc',
      });
    }
  });
});

describe('checkCoreVersion', () => {
  const manifest = (core_version: string) => ({
    name: 'p',
    kind: 'tool',
    core_version,
    source: 'inline',
  });

  it('accepts a core inside the range and names everything when it is not', () => {
    expect(checkCoreVersion(manifest('>=0.1.0,<1.0.0'), '0.4.2')).toBeUndefined();
    expect(checkCoreVersion(manifest('^0.2.0'), '0.2.9')).toBeUndefined();
    const error = checkCoreVersion(manifest('>=1.0,<2'), '0.4.2');
    expect(error?.code).toBe('VERSION_INCOMPATIBLE');
    expect(error?.message).toContain('>=1.0,<2');
    expect(error?.message).toContain('0.4.2');
    expect(error?.plugin).toBe('p');
  });

  it('lets a pre-release core match the range of its release', () => {
    expect(checkCoreVersion(manifest('>=0.1.0,<1.0.0'), '0.2.0rc1')).toBeUndefined();
    expect(
      checkCoreVersion(manifest('>=0.1.0,<1.0.0'), '0.2.0rc1', { prereleases: false }),
    ).toBeDefined();
  });
});
