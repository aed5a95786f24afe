// A manifest listing several runtimes (R1): the registry loads the plugin under
// the first one this host has; when that load fails it tries the next listed
// one. The docs' case: a Python plugin declaring ["in_process", "mcp_stdio"]
// cannot be imported by a TypeScript host and runs over stdio instead. Real
// plugin folders on disk, real child processes, reaped after every test.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPluginLoadError, type PluginLoadError } from '@dagstack/plugin-api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeAll,
  FIXTURES,
  KINDS,
  type LogRecord,
  makeRegistry,
  memoryLogger,
} from './helpers.js';

const SUITE_SERVER = join(FIXTURES, 'suite', 'server.mjs');
const dirs: string[] = [];

afterEach(async () => {
  await closeAll();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A plugin folder holding `toml` as its dagstack.toml (and, with `withModule`, the suite plugin as plugin.mjs). */
async function pluginFolder(toml: string, withModule = false): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'dagstack-fallback-'));
  dirs.push(root);
  const dir = join(root, 'plugin');
  await cp(join(FIXTURES, 'suite'), dir, { recursive: true });
  if (!withModule) await rm(join(dir, 'plugin.mjs'));
  // The suite server imports ../../../dist and ../kinds.json: serve it from the fixture instead.
  await rm(join(dir, 'server.mjs'));
  await writeFile(join(dir, 'dagstack.toml'), toml);
  return root;
}

const header = (runtime: string, entryPoint: string) => `[plugin]
schema_version = "1"
name = "dual"
kind = "suite"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = ${runtime}
entry_point = "${entryPoint}"
startup_timeout_sec = 30

[plugin.mcp_stdio]
`;

describe('runtime fallback', () => {
  it('a plugin the host cannot import in-process runs over stdio, with a warning naming why', async () => {
    const root = await pluginFolder(
      `${header('["in_process", "mcp_stdio"]', 'dual_plugin.server:Plugin')}command = [${JSON.stringify(process.execPath)}, ${JSON.stringify(SUITE_SERVER)}]\n`,
    );
    const records: LogRecord[] = [];
    const { registry } = makeRegistry({ logger: memoryLogger(records) });
    registry.registerKind(KINDS.suite);
    const found = await registry.discover(root);
    expect(found.failures).toEqual([]);
    // Chosen at registration: the first listed runtime the host has.
    expect(registry.status()[0]?.runtime).toBe('in_process');
    const report = await registry.setupAll();
    expect(report.unavailable).toEqual([]);
    const row = registry.status()[0];
    expect(row?.state).toBe('ready');
    expect(row?.runtime).toBe('mcp_stdio');
    expect(await registry.call('suite', 'single', { text: 'hi' })).toEqual({
      plugin: 'untagged',
      echo: 'hi',
    });
    const warning = records.find((r) => r.message.includes('could not be loaded under in_process'));
    expect(warning?.level).toBe('warn');
    expect(warning?.message).toContain('trying mcp_stdio');
    expect(String(warning?.fields?.error)).toContain('dual_plugin.server');
  });

  it('follows the manifest order: a stdio command that cannot start falls back to in_process', async () => {
    const root = await pluginFolder(
      `${header('["mcp_stdio", "in_process"]', 'plugin:SuitePlugin')}command = ["/nonexistent/dagstack-no-such-binary"]\n`,
      true,
    );
    const { registry } = makeRegistry();
    registry.registerKind(KINDS.suite);
    await registry.discover(root);
    expect(registry.status()[0]?.runtime).toBe('mcp_stdio');
    const report = await registry.setupAll();
    expect(report.unavailable).toEqual([]);
    expect(registry.status()[0]?.runtime).toBe('in_process');
    expect(await registry.call('suite', 'single', { text: 'local' })).toEqual({
      plugin: 'untagged',
      echo: 'local',
    });
  });

  it('when every listed runtime fails, the error names each one and why', async () => {
    const root = await pluginFolder(
      `${header('["in_process", "mcp_stdio"]', 'dual_plugin.server:Plugin')}command = ["/nonexistent/dagstack-no-such-binary"]\n`,
    );
    const { registry } = makeRegistry();
    registry.registerKind(KINDS.suite);
    await registry.discover(root);
    const report = await registry.setupAll();
    expect(report.unavailable.map((u) => u.plugin)).toEqual(['dual']);
    const error = report.unavailable[0]?.error as PluginLoadError;
    expect(isPluginLoadError(error)).toBe(true);
    expect(error.plugin).toBe('dual');
    expect(error.message).toContain('could not be loaded under any of its runtimes');
    expect(error.message).toMatch(/in_process \(.*dual_plugin\.server.*\); mcp_stdio \(/);
    expect(error.hint).toContain('in_process');
    expect(isPluginLoadError(error.cause)).toBe(true);
  });

  it('a single runtime keeps its own error, unchanged', async () => {
    const root = await pluginFolder(
      `${header('"in_process"', 'dual_plugin.server:Plugin')}command = ["unused"]\n`,
    );
    const { registry } = makeRegistry();
    registry.registerKind(KINDS.suite);
    await registry.discover(root);
    const report = await registry.setupAll();
    const error = report.unavailable[0]?.error as PluginLoadError;
    expect(isPluginLoadError(error)).toBe(true);
    expect(error.message).not.toContain('any of its runtimes');
    expect(error.entryPoint).toBe('dual_plugin.server:Plugin');
  });
});
