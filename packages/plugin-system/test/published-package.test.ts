// The package as a consumer gets it: packed files, export targets, and the
// built entries loaded by plain Node.
import { fileURLToPath } from 'node:url';
import {
  exportTargets,
  packedFiles,
  readPackageJson,
  runNode,
} from '@dagstack/test-support/published-package';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('..', import.meta.url));

describe('published @dagstack/plugin-system', () => {
  it('packs dist, the kind sources and the generated docs, and nothing from src or test', () => {
    const files = packedFiles(dir);
    expect(files).toContain('dist/generated/kinds/tool/v1.js');
    expect(files).toContain('kinds/tool/v1.yaml');
    expect(files).toContain('docs/generated/kinds/tool/v1.openrpc.json');
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
    for (const target of exportTargets(readPackageJson(dir))) expect(files).toContain(target);
  });

  it('loads the root entry and the kind subpaths in plain Node from dist', () => {
    const out = runNode(
      dir,
      `import { ToolV1, OrchestratorV1, validateManifest } from '@dagstack/plugin-system';
       import * as tool from '@dagstack/plugin-system/kinds/tool/v1';
       import * as orchestrator from '@dagstack/plugin-system/kinds/orchestrator/v1';
       const r = validateManifest({ name: 'calc', kind: tool.KIND_NAME, core_version: '>=0.1', runtime: 'in_process', entry_point: 'plugin:Calc' });
       process.stdout.write(JSON.stringify({ same: ToolV1.KIND_SPEC === tool.KIND_SPEC, o: orchestrator.KIND_NAME === OrchestratorV1.KIND_NAME, dispatch: tool.HOOK_DISPATCH.execute, ok: r.ok }));`,
    );
    expect(JSON.parse(out)).toEqual({ same: true, o: true, dispatch: 'singleton', ok: true });
  });
});
