import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDiscoveryError } from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DiscoveryResult, discover } from '../src/index.js';
import { link, manifestObject, toml, writeTree } from './tree.js';

let root: string;
let outside: string;
beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'dagstack-discovery-')));
  outside = await realpath(await mkdtemp(join(tmpdir(), 'dagstack-outside-')));
});
afterEach(async () => {
  await chmod(join(root, 'locked'), 0o755).catch(() => {});
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

/** The mixed tree of the acceptance criteria: 36 folders of every sort. */
async function buildMixedTree(): Promise<void> {
  const files: Record<string, string> = {
    'echo/dagstack.toml': toml('echo'),
    'echo/plugin.js': 'export class P {}',
    // a leaf: the fixture manifest below a plugin folder is not a plugin
    'echo/tests/fixture/dagstack.toml': toml('fixture'),
    'llm/openai/dagstack.toml': toml('openai_compatible', 'llm'),
    'llm/ollama/dagstack-plugin.toml': toml('ollama', 'llm'),
    'chunker/fixed/dagstack.json': JSON.stringify({ plugin: manifestObject('fixed', 'chunker') }),
    'chunker/semantic/dagstack-plugin.json': JSON.stringify(manifestObject('semantic', 'chunker')),
    'chunker/tree-sitter/pyproject.toml': `[project]\nname = "ts"\nversion = "2.0.0"\n\n[tool.dagstack.plugin]\nname = "tree-sitter"\nkind = "chunker"\nruntime = "in_process"\ncore_version = ">=0.1"\nentry_point = "plugin:T"\n`,
    'npm-style/search/package.json': JSON.stringify({
      name: '@acme/search',
      version: '1.0.0',
      dagstack: { manifest: './dagstack-plugin.toml' },
    }),
    'npm-style/search/dagstack-plugin.toml': toml('search'),
    'npm-style/inline/package.json': JSON.stringify({
      name: 'inline',
      version: '3.1.0',
      dagstack: manifestObject('inline-tool'),
    }),
    // a JavaScript project that is not a plugin: searched through, not reported
    'app/package.json': JSON.stringify({ name: 'app' }),
    'app/plugins/audit/dagstack.toml': toml('audit'),
    'broken/invalid/dagstack.toml': toml('bad', 'tool', 'priority = "high"'),
    'broken/syntax/dagstack.toml': '[plugin]\nname = "x"\nkind = tool\n',
    'broken/no-table/dagstack.toml': '[package]\nname = "x"\n',
    'dups/a/dagstack.toml': toml('dup'),
    'dups/b/dagstack.toml': toml('dup'),
    // same name, other kind: allowed
    'dups/c/dagstack.toml': toml('dup', 'chunker'),
    'node_modules/hidden/dagstack.toml': toml('hidden'),
    '.git/hooks/dagstack.toml': toml('git'),
    'empty/.keep': '',
    'deep/a/b/c/d/e/dagstack.toml': toml('deep'),
  };
  for (let i = 0; i < 12; i++)
    files[`generated/g${String(i).padStart(2, '0')}/dagstack.toml`] = toml(`gen-${i}`);
  await writeTree(root, files);
  await writeTree(outside, { 'elsewhere/dagstack.toml': toml('elsewhere') });
  await link(root, 'links/alias-of-openai', join(root, 'llm/openai'));
  await link(root, 'links/loop', root);
  await link(root, 'links/outside', join(outside, 'elsewhere'));
  await link(root, 'links/dangling', join(root, 'nothing-here'));
  await link(root, 'links/file-link', join(root, 'echo/plugin.js'));
}

function summarise(result: DiscoveryResult, base: string) {
  return {
    entries: result.entries.map(
      (e) => `${relative(base, e.dir)} ${e.manifest.kind}/${e.manifest.name}`,
    ),
    failures: result.failures.map(
      (f) =>
        `${relative(base, f.path)} ${f.error.code}${isDiscoveryError(f.error) ? `:${f.error.reason}` : ''}`,
    ),
  };
}

describe('discover', () => {
  it('finds exactly the expected plugins and failures in a mixed tree', async () => {
    await buildMixedTree();
    const result = await discover(root);
    const { entries, failures } = summarise(result, root);
    expect(entries).toEqual([
      'app/plugins/audit tool/audit',
      'chunker/fixed chunker/fixed',
      'chunker/semantic chunker/semantic',
      'chunker/tree-sitter chunker/tree-sitter',
      'deep/a/b/c/d/e tool/deep',
      'dups/c chunker/dup',
      'echo tool/echo',
      ...Array.from(
        { length: 12 },
        (_, i) => `generated/g${String(i).padStart(2, '0')} tool/gen-${i}`,
      ),
      'llm/ollama llm/ollama',
      'llm/openai llm/openai_compatible',
      'npm-style/inline tool/inline-tool',
      'npm-style/search tool/search',
    ]);
    expect(failures).toEqual([
      'broken/invalid/dagstack.toml MANIFEST_INVALID',
      'broken/no-table/dagstack.toml MANIFEST_INVALID',
      'broken/syntax/dagstack.toml MANIFEST_INVALID',
      'links/dangling DISCOVERY_ERROR:unreadable',
      'links/loop DISCOVERY_ERROR:symlink_loop',
      'links/outside DISCOVERY_ERROR:symlink_outside_root',
      'dups/a/dagstack.toml AMBIGUOUS_PLUGIN',
      'dups/b/dagstack.toml AMBIGUOUS_PLUGIN',
    ]);
    // The alias through a link is read once and noted.
    const openai = result.entries.find((e) => e.manifest.name === 'openai_compatible');
    expect(openai?.warnings.map((w) => w.rule)).toContain('alias');
    // Versions inherited from the package metadata.
    expect(result.entries.find((e) => e.manifest.name === 'tree-sitter')?.manifest.version).toBe(
      '2.0.0',
    );
    expect(result.entries.find((e) => e.manifest.name === 'inline-tool')?.manifest.version).toBe(
      '3.1.0',
    );
    // Failures say what and where.
    const dup = result.failures.find((f) => f.path.endsWith('dups/a/dagstack.toml'));
    expect(dup?.error.message).toContain(join(root, 'dups/b/dagstack.toml'));
    const invalid = result.failures.find((f) => f.path.includes('broken/invalid'));
    expect(invalid?.error.message).toContain('/priority');
    expect(result.entries.length + result.failures.length).toBeGreaterThanOrEqual(30);
  });

  it('gives the same answer whatever the concurrency', async () => {
    await buildMixedTree();
    const one = summarise(await discover(root, { concurrency: 1 }), root);
    const many = summarise(await discover(root, { concurrency: 64 }), root);
    expect(many).toEqual(one);
  });

  it('refuses symlinked folders with a failure when links are not followed', async () => {
    await buildMixedTree();
    const { failures, entries } = summarise(await discover(root, { followSymlinks: false }), root);
    expect(failures.filter((f) => f.includes('symlink_refused'))).toEqual([
      'links/alias-of-openai DISCOVERY_ERROR:symlink_refused',
      'links/loop DISCOVERY_ERROR:symlink_refused',
      'links/outside DISCOVERY_ERROR:symlink_refused',
    ]);
    expect(entries).toContain('llm/openai llm/openai_compatible');
  });

  it('follows a link into a folder that is otherwise ignored', async () => {
    await writeTree(root, { 'node_modules/pkg/dagstack.toml': toml('vendored') });
    await link(root, 'plugins/vendored', join(root, 'node_modules/pkg'));
    const { entries } = summarise(await discover(root), root);
    expect(entries).toEqual(['node_modules/pkg tool/vendored']);
  });

  it('stops at maxDepth with a failure, and searches one level when not recursive', async () => {
    await writeTree(root, {
      'a/b/c/d/dagstack.toml': toml('deep'),
      'top/dagstack.toml': toml('top'),
    });
    const limited = summarise(await discover(root, { maxDepth: 2 }), root);
    expect(limited.entries).toEqual(['top tool/top']);
    expect(limited.failures).toEqual(['a/b/c DISCOVERY_ERROR:too_deep']);
    const flat = summarise(await discover(root, { recursive: false }), root);
    expect(flat).toEqual({ entries: ['top tool/top'], failures: [] });
  });

  it('treats a root that is itself a plugin folder as one plugin', async () => {
    await writeTree(root, { 'dagstack.toml': toml('solo'), 'sub/dagstack.toml': toml('nested') });
    const result = await discover(root);
    expect(result.entries.map((e) => [e.dir, e.manifest.name])).toEqual([[root, 'solo']]);
  });

  it('keeps the order of several roots', async () => {
    await writeTree(root, { 'z/dagstack.toml': toml('z-plugin') });
    await writeTree(outside, { 'a/dagstack.toml': toml('a-plugin') });
    const result = await discover([root, outside]);
    expect(result.entries.map((e) => e.manifest.name)).toEqual(['z-plugin', 'a-plugin']);
  });

  it('throws a typed error for a missing root or a file root', async () => {
    const missing = await discover(join(root, 'nope')).catch((e: unknown) => e);
    expect(isDiscoveryError(missing) && missing.reason).toBe('root_missing');
    await writeFile(join(root, 'file.txt'), 'x');
    const file = await discover(join(root, 'file.txt')).catch((e: unknown) => e);
    expect(isDiscoveryError(file) && file.reason).toBe('not_a_directory');
  });

  it('stops when the signal aborts', async () => {
    await buildMixedTree();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(discover(root, { signal: controller.signal })).rejects.toThrow('stop');
  });

  it('reports an unreadable folder as a failure and finds the rest', async () => {
    await writeTree(root, {
      'ok/dagstack.toml': toml('ok'),
      'locked/secret/dagstack.toml': toml('secret'),
    });
    await chmod(join(root, 'locked'), 0o700);
    await chmod(root, 0o755);
    // Root reads every folder; run the scan as an unprivileged user when we are root.
    const script = `import { discover } from '@dagstack/plugin-discovery';
      const r = await discover(${JSON.stringify(root)});
      process.stdout.write(JSON.stringify({ entries: r.entries.map((e) => e.manifest.name), failures: r.failures.map((f) => [f.path, f.error.reason, f.error.message]) }));`;
    const pkgDir = fileURLToPath(new URL('..', import.meta.url));
    const node = [process.execPath, '--input-type=module', '-e', script];
    const command =
      process.getuid?.() === 0
        ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node]
        : node;
    const out = execFileSync(command[0] as string, command.slice(1), {
      cwd: pkgDir,
      encoding: 'utf8',
    });
    const parsed = JSON.parse(out) as { entries: string[]; failures: [string, string, string][] };
    expect(parsed.entries).toEqual(['ok']);
    expect(parsed.failures).toHaveLength(1);
    expect(parsed.failures[0]?.[0]).toBe(join(root, 'locked'));
    expect(parsed.failures[0]?.[1]).toBe('unreadable');
    expect(parsed.failures[0]?.[2]).toContain('EACCES');
  });

  it('skips empty folders and plain files without reporting them', async () => {
    await mkdir(join(root, 'a/b/c'), { recursive: true });
    await writeFile(join(root, 'README.md'), '# plugins');
    expect(summarise(await discover(root), root)).toEqual({ entries: [], failures: [] });
  });
});

describe('discover(registry, roots, options) — the docs form', () => {
  it('hands the roots and options to the target and returns its result', async () => {
    await writeTree(root, { 'echo/dagstack.toml': toml('echo') });
    const seen: unknown[] = [];
    const target = {
      async discover(roots: string | readonly string[], options?: { ignore?: readonly string[] }) {
        seen.push(roots, options);
        return discover(roots, options);
      },
    };
    const result = await discover(target, root, { ignore: ['dist'] });
    expect(seen).toEqual([root, { ignore: ['dist'] }]);
    expect(result.entries.map((e) => e.manifest.name)).toEqual(['echo']);
  });

  it('refuses a missing roots argument with a typed error naming the fix', async () => {
    const target = { discover: async () => ({ entries: [], failures: [], scanned: 0 }) };
    const error = await (discover as (...args: unknown[]) => Promise<unknown>)(target).catch(
      (e: unknown) => e,
    );
    expect(isDiscoveryError(error)).toBe(true);
    expect((error as Error).message).toContain('needs the folder');
    expect((error as { hint?: string }).hint).toContain("discover(registry, 'plugins/')");
  });

  it('still treats a string or a list as roots (the scan form)', async () => {
    await writeTree(root, { 'a/dagstack.toml': toml('a'), 'b/dagstack.toml': toml('b') });
    const result = await discover([join(root, 'a'), join(root, 'b')]);
    expect(result.entries.map((e) => e.manifest.name)).toEqual(['a', 'b']);
  });
});
