// A `config_schema` with an `$id`, read again as a new object (a reload or a
// second discovery of the same manifest), validates like the first time.
import type { PluginManifest } from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import { configFromObject, resolvePluginConfig } from '../src/index.js';

const manifest = (): PluginManifest =>
  ({
    name: 'p',
    kind: 'tool',
    config_schema: {
      $id: 'https://example.test/p.config.json',
      type: 'object',
      properties: { size: { type: 'integer', default: 3 } },
    },
  }) as unknown as PluginManifest;

describe('config_schema with an $id', () => {
  it('compiles for every copy of the manifest', () => {
    const source = configFromObject({ tool: { p: {} } });
    expect(resolvePluginConfig(manifest(), source)).toEqual({ size: 3 });
    expect(resolvePluginConfig(manifest(), source)).toEqual({ size: 3 });
    expect(() =>
      resolvePluginConfig(manifest(), configFromObject({ tool: { p: { size: 'x' } } })),
    ).toThrow(/size/);
  });
});
