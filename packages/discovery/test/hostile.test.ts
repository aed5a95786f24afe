// One hostile manifest in a tree: discovery still finds the other plugins,
// reports the hostile one with a capped problem list and no secret in it,
// and never blocks the event loop for long (the manifest is read on the
// validation thread of @dagstack/plugin-manifest). Real files on disk.
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isManifestInvalid } from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discover } from '../src/index.js';
import { toml, writeTree } from './tree.js';

let root: string;
beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'dagstack-hostile-')));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** 70,000 unknown keys: about 1 MB of TOML, under the 1 MiB limit. */
function hostile(): string {
  const lines = [toml('hostile')];
  for (let i = 0; i < 70_000; i += 1) lines.push(`x${i} = ${i}`);
  return `${lines.join('\n')}\n`;
}

describe('a tree with one hostile manifest', () => {
  it('keeps the event loop responsive and caps the problems', async () => {
    const text = hostile();
    expect(text.length).toBeGreaterThan(900_000);
    expect(text.length).toBeLessThan(1024 * 1024);
    await writeTree(root, { 'a/dagstack.toml': toml('a'), 'z/dagstack.toml': toml('z') });
    // The first validation in a process compiles the manifest schema (once,
    // 50-300 ms depending on the machine's load): not the hostile file's doing.
    expect((await discover(root)).entries).toHaveLength(2);
    await writeTree(root, { 'hostile/dagstack.toml': text });

    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    // The monitor records a block only once its timer has fired before it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const result = await discover(root);
    // One more turn of the monitor's timer: a block that ends just before
    // discover() resolves is recorded only when the timer fires after it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    delay.disable();
    // The longest time the event loop could not run anything else. The target
    // is ~100 ms; the bound is generous for a loaded 2-core machine (before:
    // 10.6 s for 8,000 keys; 70,000 keys did not finish in 30 s).
    const longestMs = delay.max / 1e6;
    expect(longestMs).toBeLessThan(250);

    expect(result.entries.map((e) => e.manifest.name)).toEqual(['a', 'z']);
    expect(result.failures).toHaveLength(1);
    const failure = result.failures[0];
    expect(failure?.path).toBe(join(root, 'hostile', 'dagstack.toml'));
    const error = failure?.error;
    expect(isManifestInvalid(error)).toBe(true);
    if (isManifestInvalid(error)) {
      expect(error.plugin).toBe('hostile');
      expect(error.problems).toHaveLength(101);
      expect(error.problems[0]).toMatchObject({ pointer: '/x0', rule: 'additionalProperties' });
      expect(error.problems[100]).toMatchObject({ pointer: '', rule: 'limit' });
      expect(error.problems[100]?.message).toContain('69,900 more problems');
    }
  });

  it('reports a secret of the wrong type without showing it', async () => {
    await writeTree(root, {
      'leaky/dagstack.toml': toml(
        'leaky',
        'tool',
        '[plugin.mcp_stdio.env]\nAPI_TOKEN = ["sk-live-123456"]\nDB_PASSWORD = { value = "hunter2" }\n',
      ).replace('runtime = "in_process"', 'runtime = "mcp_stdio"\ncommand = ["node", "s.js"]'),
    });
    const result = await discover(root);
    expect(result.failures).toHaveLength(1);
    const error = result.failures[0]?.error;
    const printed = `${error?.message}\n${JSON.stringify(error)}`;
    expect(printed).toContain('/mcp_stdio/env/API_TOKEN');
    expect(printed).toContain('[MASKED]');
    expect(printed).not.toContain('sk-live-123456');
    expect(printed).not.toContain('hunter2');
  });
});
