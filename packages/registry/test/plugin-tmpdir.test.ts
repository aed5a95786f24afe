// The `tmpdir` resource through the registry: each plugin that declares it
// gets its own sub-folder of the host's folder (context.ts passes the
// plugin's key as the container's owner).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createTmpdir, ResourceRegistry, type Tmpdir } from '@dagstack/plugin-resources';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginRegistry } from '../src/index.js';

const SOURCE = `
export class Scratch {
  async setup(ctx) {
    const dir = ctx.resources.get('tmpdir');
    const file = await dir.createFile('scratch', '.txt');
    ctx.resources.get('journal').push({ plugin: ctx.config.name, dir: dir.path, file });
  }
}
`;

async function writeScratch(root: string, name: string): Promise<void> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'dagstack.toml'),
    `[plugin]
schema_version = "1"
name = "${name}"
kind = "tool"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:Scratch"

[plugin.resources]
required = ["tmpdir", "journal"]
`,
  );
  await writeFile(join(dir, 'plugin.js'), SOURCE);
}

let root: string;
let host: Tmpdir;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'dagstack-plugin-tmpdir-'));
  host = createTmpdir('host-', { parent: root });
});
afterEach(async () => {
  await host.cleanup();
  await rm(root, { recursive: true, force: true });
});

describe('tmpdir per plugin', () => {
  it('gives each plugin its own sub-folder of the host tmpdir', async () => {
    await writeScratch(join(root, 'plugins'), 'alpha');
    await writeScratch(join(root, 'plugins'), 'beta');
    const journal: { plugin: string; dir: string; file: string }[] = [];
    const registry = new PluginRegistry({
      logger: 'silent',
      healthChecks: false,
      // A ResourceRegistry at both places the docs pass one.
      resources: new ResourceRegistry({ journal }),
      config: { tool: { alpha: { name: 'alpha' }, beta: { name: 'beta' } } },
    });
    try {
      await registry.discover(join(root, 'plugins'));
      const report = await registry.setupAll({
        resources: new ResourceRegistry().register('tmpdir', host),
      });
      expect([...report.started].sort()).toEqual(['alpha', 'beta']);
      expect(journal).toHaveLength(2);
      const [a, b] = [...journal].sort((x, y) => x.plugin.localeCompare(y.plugin));
      expect(a?.dir).not.toBe(b?.dir);
      for (const entry of journal) {
        expect(dirname(entry.dir)).toBe(host.path);
        expect(entry.file).toBe(join(entry.dir, 'scratch.txt'));
        expect(existsSync(entry.file)).toBe(true);
      }
      expect((await readdir(host.path)).sort()).toEqual(
        journal.map((j) => j.dir.slice(host.path.length + 1)).sort(),
      );
      // Teardown removes each plugin's folder (ADR-0003), before the host cleans up.
      await registry.teardownAll();
      for (const entry of journal) expect(existsSync(entry.dir)).toBe(false);
      expect(existsSync(host.path)).toBe(true);
    } finally {
      await registry.teardownAll();
      registry.close();
    }
    await host.cleanup();
    expect(existsSync(host.path)).toBe(false);
  });
});
