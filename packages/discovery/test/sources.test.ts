import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { isDiscoveryError, isManifestInvalid } from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverPackages, discoverRemote, REMOTE_PLUGINS_ENV } from '../src/index.js';
import { link, manifestObject, toml, writeTree } from './tree.js';

let root: string;
beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'dagstack-sources-')));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('discoverPackages', () => {
  it('finds packages declaring a dagstack manifest, scoped and linked ones included', async () => {
    await writeTree(root, {
      'node_modules/plain/package.json': JSON.stringify({ name: 'plain', version: '1.0.0' }),
      'node_modules/@acme/tools/package.json': JSON.stringify({
        name: '@acme/tools',
        version: '0.4.0',
        dagstack: { manifest: './dagstack-plugin.toml' },
      }),
      'node_modules/@acme/tools/dagstack-plugin.toml': toml('acme-tools'),
      'node_modules/inline-plugin/package.json': JSON.stringify({
        name: 'inline-plugin',
        version: '2.0.0',
        dagstack: manifestObject('inline'),
      }),
      'node_modules/broken-plugin/package.json': JSON.stringify({
        name: 'broken-plugin',
        dagstack: { ...manifestObject('broken'), runtime: 'grpc' },
      }),
      'node_modules/not-json/package.json': '{ nope',
      'node_modules/.pnpm/ignored/package.json': JSON.stringify({
        dagstack: manifestObject('ignored'),
      }),
      'store/linked@1.0.0/package.json': JSON.stringify({
        name: 'linked',
        version: '1.0.0',
        dagstack: manifestObject('linked'),
      }),
    });
    await link(root, 'node_modules/linked', join(root, 'store/linked@1.0.0'));
    const result = await discoverPackages(root);
    expect(
      result.entries.map((e) => [
        relative(root, e.dir),
        e.manifest.name,
        e.manifest.version,
        e.source,
      ]),
    ).toEqual([
      ['node_modules/@acme/tools', 'acme-tools', '0.4.0', 'package'],
      ['node_modules/inline-plugin', 'inline', '2.0.0', 'package'],
      ['store/linked@1.0.0', 'linked', '1.0.0', 'package'],
    ]);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]?.path).toBe(join(root, 'node_modules/broken-plugin'));
    expect(isManifestInvalid(result.failures[0]?.error)).toBe(true);
    expect(result.failures[0]?.error.message).toContain('/runtime');
  });

  it('returns nothing for a project without node_modules and throws for a missing project', async () => {
    expect(await discoverPackages(root)).toEqual({ entries: [], failures: [], scanned: 0 });
    const error = await discoverPackages(join(root, 'missing')).catch((e: unknown) => e);
    expect(isDiscoveryError(error) && error.reason).toBe('root_missing');
  });
});

describe('discoverRemote', () => {
  it('reads plugins_registry files and refuses in-process entries', async () => {
    await writeTree(root, {
      'plugins_registry/search.toml': toml('search').replace(
        'runtime = "in_process"\nentry_point = "plugin:P"',
        'runtime = "mcp_http"\nurl = "http://127.0.0.1:8931/mcp"',
      ),
      'plugins_registry/tokenizer.json': JSON.stringify(
        manifestObject('tokenizer', 'tokenizer', 'mcp_stdio'),
      ),
      'plugins_registry/local.toml': toml('local'),
      'plugins_registry/bad.json': '{',
      'plugins_registry/notes.md': '# not a manifest',
    });
    const result = await discoverRemote({ dir: root, env: {} });
    expect(result.entries.map((e) => [e.manifest.name, e.manifest.runtime, e.source])).toEqual([
      ['search', ['mcp_http'], 'registry-file'],
      ['tokenizer', ['mcp_stdio'], 'registry-file'],
    ]);
    expect(result.entries[1]?.dir).toBe(join(root, 'plugins_registry'));
    expect(result.failures.map((f) => [relative(root, f.path), f.error.code])).toEqual([
      ['plugins_registry/bad.json', 'MANIFEST_INVALID'],
      ['plugins_registry/local.toml', 'DISCOVERY_ERROR'],
    ]);
    expect(result.failures[1]?.error.message).toContain('mcp_stdio or mcp_http');
  });

  it('reads DAGSTACK_REMOTE_PLUGINS as JSON manifests', async () => {
    const env = {
      [REMOTE_PLUGINS_ENV]: JSON.stringify([
        manifestObject('a', 'tool', 'mcp_stdio'),
        manifestObject('b', 'tool', 'mcp_http'),
        { name: 'c' },
        // The dagstack.json form, wrapped in "plugin", is read the same way.
        { plugin: manifestObject('d', 'tool', 'mcp_http') },
      ]),
    };
    const result = await discoverRemote({ env, cwd: root });
    expect(
      result.entries.map((e) => [e.manifest.name, e.source, e.manifest.source, e.dir]),
    ).toEqual([
      ['a', 'env', `env:${REMOTE_PLUGINS_ENV}[0]`, root],
      ['b', 'env', `env:${REMOTE_PLUGINS_ENV}[1]`, root],
      ['d', 'env', `env:${REMOTE_PLUGINS_ENV}[3]`, root],
    ]);
    expect(result.failures.map((f) => f.path)).toEqual([`env:${REMOTE_PLUGINS_ENV}[2]`]);
  });

  it('reads DAGSTACK_REMOTE_PLUGINS as a list of files and folders', async () => {
    await writeTree(root, {
      'one.json': JSON.stringify(manifestObject('one', 'tool', 'mcp_stdio')),
      'more/two.json': JSON.stringify(manifestObject('two', 'tool', 'mcp_http')),
      'more/three.json': JSON.stringify(manifestObject('three', 'tool', 'mcp_http')),
    });
    const env = { [REMOTE_PLUGINS_ENV]: ['one.json', 'more', 'missing.json'].join(delimiter) };
    const result = await discoverRemote({ env, cwd: root });
    expect(result.entries.map((e) => e.manifest.name)).toEqual(['one', 'three', 'two']);
    expect(
      result.failures.map((f) => [
        relative(root, f.path),
        isDiscoveryError(f.error) && f.error.reason,
      ]),
    ).toEqual([['missing.json', 'root_missing']]);
  });

  it('reports invalid JSON in the variable and duplicate names across sources', async () => {
    const bad = await discoverRemote({ env: { [REMOTE_PLUGINS_ENV]: '[{' }, cwd: root });
    expect(bad.failures[0]?.error.message).toContain('is not valid JSON');
    await writeTree(root, {
      'plugins_registry/x.json': JSON.stringify(manifestObject('x', 'tool', 'mcp_stdio')),
    });
    const dup = await discoverRemote({
      dir: root,
      env: { [REMOTE_PLUGINS_ENV]: JSON.stringify(manifestObject('x', 'tool', 'mcp_http')) },
      cwd: root,
    });
    expect(dup.entries).toEqual([]);
    expect(dup.failures.map((f) => f.error.code)).toEqual(['AMBIGUOUS_PLUGIN', 'AMBIGUOUS_PLUGIN']);
  });

  it('yields nothing when neither source is there', async () => {
    expect(await discoverRemote({ dir: root, env: {} })).toEqual({
      entries: [],
      failures: [],
      scanned: 0,
    });
  });
});
