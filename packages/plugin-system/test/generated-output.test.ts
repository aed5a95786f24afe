// CI gate: the committed generated kinds match kinds/*.yaml and their schemas.
// Same check as `pnpm run check:generated`, run as part of `test`.
import { copyFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkGenerated } from '@dagstack/hookspec-codegen';
import { describe, expect, it } from 'vitest';
import { tempDir } from './temp.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const KINDS = ['kinds/tool/v1.yaml', 'kinds/orchestrator/v1.yaml'];
const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

describe('generated kinds', () => {
  it('are up to date with kinds/*.yaml (no drift)', async () => {
    const result = await checkGenerated(
      KINDS.map((k) => join(PACKAGE_DIR, k)),
      { out: join(PACKAGE_DIR, 'src/generated'), docsOut: join(PACKAGE_DIR, 'docs/generated') },
    );
    expect(result.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect({
      stale: result.stale.map((s) => `${s.file}:${s.line}`),
      missing: result.missing,
      extra: result.extra,
    }).toEqual({
      stale: [],
      missing: [],
      extra: [],
    });
    expect(result.upToDate).toHaveLength(6);
  });

  it('the check notices an edited schema (on a copy of the package)', async () => {
    const dir = tempDir();
    for (const sub of ['kinds', 'src/generated', 'docs/generated']) {
      cpSync(join(PACKAGE_DIR, sub), join(dir, sub), { recursive: true });
    }
    const schema = join(dir, 'kinds/tool/schemas/execute.input.json');
    writeFileSync(
      schema,
      readFileSync(schema, 'utf8').replace(
        '"required": ["function", "args"]',
        '"required": ["function"]',
      ),
    );
    const result = await checkGenerated(
      KINDS.map((k) => join(dir, k)),
      { out: join(dir, 'src/generated'), docsOut: join(dir, 'docs/generated') },
    );
    expect(result.ok).toBe(false);
    expect(result.stale.map((s) => s.file.slice(dir.length + 1)).sort()).toEqual([
      'docs/generated/kinds/tool/v1.md',
      'docs/generated/kinds/tool/v1.openrpc.json',
      'src/generated/kinds/tool/v1.ts',
    ]);
    copyFileSync(join(PACKAGE_DIR, 'kinds/tool/schemas/execute.input.json'), schema);
    expect(
      (
        await checkGenerated(
          KINDS.map((k) => join(dir, k)),
          { out: join(dir, 'src/generated'), docsOut: join(dir, 'docs/generated') },
        )
      ).ok,
    ).toBe(true);
  });

  it('the generate and check:generated scripts cover the same kinds and folders', () => {
    expect(pkg.scripts['check:generated']).toBe(`${pkg.scripts.generate} --check`);
    for (const kind of KINDS) expect(pkg.scripts.generate).toContain(kind);
  });
});
