// The package as a consumer gets it: packed files, export targets, no runtime
// dependencies, and the built entry loaded by plain Node.
import { fileURLToPath } from 'node:url';
import {
  exportTargets,
  packedFiles,
  readPackageJson,
  runNode,
} from '@dagstack/test-support/published-package';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('..', import.meta.url));

describe('published @dagstack/plugin-api', () => {
  it('has no runtime dependencies', () => {
    expect(readPackageJson(dir).dependencies ?? {}).toEqual({});
  });

  it('packs dist only, with every export target', () => {
    const files = packedFiles(dir);
    // LICENSE is there once a pack ran its prepack (it copies the root one).
    const besides = new Set(['package.json', 'README.md', 'LICENSE']);
    expect(files.filter((f) => !f.startsWith('dist/') && !besides.has(f))).toEqual([]);
    for (const target of exportTargets(readPackageJson(dir))) expect(files).toContain(target);
  });

  it('loads in plain Node with working guards and the shared STOP_CHAIN symbol', () => {
    const out = runNode(
      dir,
      `import { ManifestInvalid, isManifestInvalid, STOP_CHAIN } from '@dagstack/plugin-api';
       const e = new ManifestInvalid({ problems: [] });
       process.stdout.write(JSON.stringify({ guard: isManifestInvalid(e), code: e.code, stop: STOP_CHAIN === Symbol.for('dagstack.plugin-system.stop-chain') }));`,
    );
    expect(JSON.parse(out)).toEqual({ guard: true, code: 'MANIFEST_INVALID', stop: true });
  });
});
