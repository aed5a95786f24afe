// The shared adapter suite (adapter-suite.ts) for the same plugin under the
// in-process runtime and under mcp_stdio.
import { join } from 'node:path';
import { PluginRegistry } from '@dagstack/plugin-registry';
import { createMcpStdioRuntime } from '../src/index.js';
import { describeAdapterSuite } from './adapter-suite.js';
import { FIXTURES } from './helpers.js';

const SUITE_DIR = join(FIXTURES, 'suite');
const CONFIG = { suite: { alpha: { tag: 'alpha' }, beta: { tag: 'beta' } } };
const PLUGINS = [
  { name: 'alpha', priority: 10, supports_extensions: ['.md'] },
  { name: 'beta', priority: 5, supports_extensions: ['.py'] },
];

describeAdapterSuite('in_process', async ({ manifest }) => {
  const registry = new PluginRegistry({
    healthChecks: false,
    env: {},
    config: CONFIG,
    resources: { region: 'eu-1' },
  });
  for (const { name, ...extra } of PLUGINS) {
    registry.registerManifest(
      manifest(name, { ...extra, runtime: 'in_process', entry_point: './plugin.mjs#SuitePlugin' }),
      join(SUITE_DIR, 'dagstack.json'),
      { dir: SUITE_DIR },
    );
  }
  return registry;
});

describeAdapterSuite('mcp_stdio', async ({ manifest }) => {
  const registry = new PluginRegistry({
    healthChecks: false,
    env: {},
    config: CONFIG,
    resources: { region: 'eu-1' },
    runtimes: [createMcpStdioRuntime()],
  });
  for (const { name, ...extra } of PLUGINS) {
    registry.registerManifest(
      manifest(name, {
        ...extra,
        runtime: 'mcp_stdio',
        mcp_stdio: { command: [process.execPath, join(SUITE_DIR, 'server.mjs')] },
      }),
      join(SUITE_DIR, 'dagstack.json'),
      { dir: SUITE_DIR },
    );
  }
  return registry;
});
