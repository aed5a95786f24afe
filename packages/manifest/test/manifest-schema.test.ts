// PluginManifestSchema: parse / safeParse over the one manifest validator.
import { isManifestInvalid } from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import { PluginManifestSchema, validateManifest } from '../src/index.js';

const good = {
  schema_version: '1.0.0',
  name: 'my-plugin',
  kind: 'chunker',
  kind_api_version: '1.0.0',
  core_version: '^0.2.0',
  runtime: 'in_process',
  entry_point: './plugin.js#FixedChunker',
};

describe('PluginManifestSchema', () => {
  it('parse returns the canonical manifest validateManifest gives', () => {
    const manifest = PluginManifestSchema.parse(good, { source: 'file:my-plugin/dagstack.json' });
    const expected = validateManifest(good, { source: 'file:my-plugin/dagstack.json' });
    expect(expected.ok && expected.manifest).toEqual(manifest);
    expect(manifest.runtime).toEqual(['in_process']);
    expect(manifest.source).toBe('file:my-plugin/dagstack.json');
  });

  it('parse throws ManifestInvalid with every problem and its pointer', () => {
    const bad = { ...good, priority: 'high', kind: 'Not A Kind' };
    let caught: unknown;
    try {
      PluginManifestSchema.parse(bad);
    } catch (error) {
      caught = error;
    }
    expect(isManifestInvalid(caught)).toBe(true);
    const pointers = (caught as { problems: { pointer: string }[] }).problems.map((p) => p.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/priority', '/kind']));
  });

  it('safeParse never throws: success with data and warnings, or the typed error', () => {
    const ok = PluginManifestSchema.safeParse(good);
    expect(ok.success).toBe(true);
    expect(ok.success && ok.data.name).toBe('my-plugin');
    const bad = PluginManifestSchema.safeParse({ name: 'x' });
    expect(bad.success).toBe(false);
    expect(!bad.success && isManifestInvalid(bad.error)).toBe(true);
    expect(!bad.success && bad.error.problems.map((p) => p.pointer)).toEqual([
      '/kind',
      '/core_version',
      '/runtime',
    ]);
    expect(PluginManifestSchema.safeParse('not an object').success).toBe(false);
  });
});
