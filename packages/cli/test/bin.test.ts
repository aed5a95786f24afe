// The built executable as a shell runs it: a real child process, its exit code,
// and nothing but JSON on stdout with --json.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packedFiles, readPackageJson } from '@dagstack/test-support/published-package';
import { describe, expect, it } from 'vitest';
import { PACKAGE_DIR, plugin, tempDir, writeTree } from './helpers.js';

const BIN = join(PACKAGE_DIR, 'dist/bin.js');

function run(args: string[], cwd: string) {
  if (!existsSync(BIN)) throw new Error('dist/bin.js is missing: build @dagstack/plugin-cli first');
  return spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
}

describe('dagstack-plugins executable', () => {
  it('is declared as the bin, packed, and executable', () => {
    const pkg = readPackageJson(PACKAGE_DIR) as unknown as { bin: Record<string, string> };
    expect(pkg.bin).toEqual({ 'dagstack-plugins': './dist/bin.js' });
    const files = packedFiles(PACKAGE_DIR);
    expect(files).toContain('dist/bin.js');
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
    // npm sets the mode on install; the shebang makes it runnable as a command.
    expect(statSync(BIN).isFile()).toBe(true);
  });

  it('validate --json: exit 0 and stdout is one JSON document', () => {
    const root = writeTree(tempDir(), {
      'p/dagstack.toml': plugin({ name: 'p', kind: 'tool' }, '')['dagstack.toml'] as string,
      'p/plugin.js': 'export class Plugin {}\n',
    });
    const out = run(['validate', 'p', '--json'], root);
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ results: [{ path: 'p', ok: true, name: 'p' }] });
  });

  it('exit codes: 1 for an invalid manifest, 2 for a usage error', () => {
    const root = writeTree(tempDir(), { 'bad/dagstack.toml': '[plugin]\nname = "bad"\n' });
    expect(run(['validate', 'bad'], root).status).toBe(1);
    const usage = run(['nonsense'], root);
    expect(usage.status).toBe(2);
    expect(usage.stdout).toBe('');
    expect(usage.stderr).toContain('unknown command');
  });
});
