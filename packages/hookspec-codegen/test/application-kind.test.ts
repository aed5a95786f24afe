// An application-defined kind (the guide's `chunker`) generated into a temp
// project; a plugin implementing it is type-checked by a real `tsc` run.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../src/index.js';
import { FIXTURE_KINDS, PACKAGE_DIR, tempDir } from './helpers.js';

const require = createRequire(import.meta.url);
const TSC = require.resolve('typescript/bin/tsc');
const PLUGIN_API = join(PACKAGE_DIR, '../plugin-api/src/index.ts');
const TYPE_ROOTS = join(PACKAGE_DIR, '../../node_modules/@types');

const GOOD_PLUGIN = `import type { HookCall, PluginContext } from '@dagstack/plugin-api';
import type { ChunkerPlugin, ChunkInput, ChunkOutput } from './generated/kinds/chunker/v1.js';
import { HOOK_DISPATCH, KIND_NAME, KIND_SPEC } from './generated/kinds/chunker/v1.js';

export class FixedChunker implements ChunkerPlugin {
  #size = 200;

  async setup(ctx: PluginContext): Promise<void> {
    if (typeof ctx.config.chunk_size === 'number') this.#size = ctx.config.chunk_size;
  }

  async chunk(input: ChunkInput, call: HookCall): Promise<ChunkOutput> {
    const size = input.max_size ?? this.#size;
    const chunks: ChunkOutput['chunks'] = [];
    for (let offset = 0; offset < input.text.length; offset += size) {
      if (call.signal.aborted) break;
      chunks.push({ text: input.text.slice(offset, offset + size), offset });
    }
    return { chunks };
  }

  async teardown(): Promise<void> {}
}

export const kind: 'chunker' = KIND_NAME;
export const dispatch: 'capability' = HOOK_DISPATCH.chunk;
export const hooks: number = KIND_SPEC.hooks.length;
`;

const SYNC_PLUGIN = `import type { ChunkerPlugin } from './generated/kinds/chunker/v1.js';

export const plugin: ChunkerPlugin = {
  chunk: (input) => ({ chunks: [{ text: input.text, offset: 0 }] }),
};
`;

const WRONG_PLUGIN = `import type { ChunkerPlugin } from './generated/kinds/chunker/v1.js';

export class WrongChunker implements ChunkerPlugin {
  async chunk(input: { text: string }): Promise<{ chunks: string[] }> {
    return { chunks: [input.text] };
  }
}
`;

function tsc(
  dir: string,
  files: Record<string, string>,
): { status: number | null; output: string } {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noUncheckedIndexedAccess: true,
        isolatedDeclarations: true,
        declaration: true,
        noEmit: true,
        skipLibCheck: true,
        typeRoots: [TYPE_ROOTS],
        types: ['node'],
        paths: { '@dagstack/plugin-api': [PLUGIN_API] },
      },
      include: ['*.ts', 'generated/**/*.ts'],
    }),
  );
  const run = spawnSync(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], {
    cwd: dir,
    encoding: 'utf8',
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('an application-defined kind (chunker)', () => {
  it('generates into a project where a sync or async plugin implementing it type-checks', async () => {
    const dir = tempDir('hookspec-chunker-');
    const result = await generate([join(FIXTURE_KINDS, 'chunker/v1.yaml')], {
      out: join(dir, 'generated'),
    });
    expect(result.ok).toBe(true);
    const run = tsc(dir, { 'plugin.ts': GOOD_PLUGIN, 'sync-plugin.ts': SYNC_PLUGIN });
    expect(run.output).toBe('');
    expect(run.status).toBe(0);
  });

  it('rejects a plugin whose payload types do not match the kind', async () => {
    const dir = tempDir('hookspec-chunker-');
    await generate([join(FIXTURE_KINDS, 'chunker/v1.yaml')], { out: join(dir, 'generated') });
    const run = tsc(dir, { 'plugin.ts': WRONG_PLUGIN });
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('plugin.ts');
    expect(run.output).toMatch(/error TS2416: Property 'chunk' in type 'WrongChunker'/);
  });
});
