// The package as a consumer gets it: packed files, export targets, and the
// built entry loaded by plain Node.
import { fileURLToPath } from 'node:url';
import {
  exportTargets,
  packedFiles,
  readPackageJson,
  runNode,
} from '@dagstack/test-support/published-package';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('..', import.meta.url));

describe('published @dagstack/plugin-manifest', () => {
  it('packs dist and the schema, and nothing from src or test', () => {
    const files = packedFiles(dir);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('schema/manifest.schema.json');
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
    for (const target of exportTargets(readPackageJson(dir))) expect(files).toContain(target);
  });

  it('loads in plain Node from dist and validates a manifest', () => {
    const out = runNode(
      dir,
      `import { validateManifest, manifestJsonSchema } from '@dagstack/plugin-manifest';
       import schema from '@dagstack/plugin-manifest/schema/manifest.schema.json' with { type: 'json' };
       const r = validateManifest({ name: 'echo', kind: 'tool', core_version: '>=0.1', runtime: 'in_process', entry_point: 'plugin:E' });
       process.stdout.write(JSON.stringify({ ok: r.ok, runtime: r.manifest?.runtime, same: manifestJsonSchema().$id === schema.$id }));`,
    );
    expect(JSON.parse(out)).toEqual({ ok: true, runtime: ['in_process'], same: true });
  });
});
