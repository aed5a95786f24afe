// The shared adapter suite of the MCP runtimes (runtime-mcp-stdio's
// test/adapter-suite.ts) for the same plugin served over HTTP with this
// package's servePlugin, on 127.0.0.1.
import { join } from 'node:path';
import { PluginRegistry } from '@dagstack/plugin-registry';
import { afterAll } from 'vitest';
import { describeAdapterSuite } from '../../runtime-mcp-stdio/test/adapter-suite.js';
// @ts-expect-error -- a plain ES module fixture without types
import { SuitePlugin } from '../../runtime-mcp-stdio/test/fixtures/suite/plugin.mjs';
import { createMcpHttpRuntime, type ServedHttpPlugin, servePlugin } from '../src/index.js';
import { KINDS, STDIO_FIXTURES } from './helpers.js';

const SUITE_DIR = join(STDIO_FIXTURES, 'suite');
const CONFIG = { suite: { alpha: { tag: 'alpha' }, beta: { tag: 'beta' } } };
const PLUGINS = [
  { name: 'alpha', priority: 10, supports_extensions: ['.md'] },
  { name: 'beta', priority: 5, supports_extensions: ['.py'] },
];
const servers: ServedHttpPlugin[] = [];

afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describeAdapterSuite('mcp_http', async ({ manifest }) => {
  const runtime = createMcpHttpRuntime();
  const registry = new PluginRegistry({
    healthChecks: false,
    env: {},
    config: CONFIG,
    resources: { region: 'eu-1' },
    runtimes: [runtime],
  });
  for (const { name, ...extra } of PLUGINS) {
    const served = await servePlugin(new SuitePlugin(), KINDS.suite, {
      transport: 'http',
      name,
      auth: { token: `suite-token-${name}` },
    });
    servers.push(served);
    registry.registerManifest(
      manifest(name, {
        ...extra,
        runtime: 'mcp_http',
        mcp_http: { url: served.url, auth: { token: `suite-token-${name}` } },
      }),
      join(SUITE_DIR, 'dagstack.json'),
      { dir: SUITE_DIR },
    );
  }
  return registry;
});
