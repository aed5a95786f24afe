// Interoperability: @modelcontextprotocol/server-everything (code nobody here
// wrote) in its Streamable HTTP mode loaded as a `tool` plugin; the SDK's own
// Client calling a plugin served with servePlugin; and one plugin object
// loaded in-process, over stdio and over HTTP with no code change.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PluginRegistry } from '@dagstack/plugin-registry';
import { createMcpStdioRuntime } from '@dagstack/plugin-runtime-mcp-stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ES module fixture without types
import { SuitePlugin } from '../../runtime-mcp-stdio/test/fixtures/suite/plugin.mjs';
import { servePlugin } from '../src/index.js';
import {
  closeAll,
  freePort,
  httpManifest,
  KINDS,
  makeRegistry,
  onClose,
  STDIO_FIXTURES,
} from './helpers.js';

afterEach(closeAll);

describe('@modelcontextprotocol/server-everything (streamableHttp mode) as a `tool` plugin', () => {
  it('get_schema lists its tools and execute calls them', async () => {
    const require = createRequire(import.meta.url);
    const entry = join(
      dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')),
      'dist',
      'index.js',
    );
    const port = await freePort();
    const child = spawn(process.execPath, [entry, 'streamableHttp'], {
      env: { PATH: process.env.PATH ?? '', PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    onClose(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    await new Promise<void>((resolve, reject) => {
      let text = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('listening on port')) resolve();
      });
      void exited.then(() => reject(new Error(`server-everything exited: ${text}`)));
    });

    const { registry, runtime } = makeRegistry();
    registry.registerKind(KINDS.tool);
    registry.registerManifest(httpManifest('everything', 'tool', `http://127.0.0.1:${port}/mcp`));
    const report = await registry.setupAll();
    expect(report.unavailable).toEqual([]);
    const schemas = (await registry.call('tool', 'get_schema', {})) as {
      plugin: string;
      value: { name: string; parameters: Record<string, unknown> }[];
    }[];
    const names = schemas[0]?.value.map((f) => f.name) ?? [];
    process.stdout.write(`server-everything tools: ${names.join(', ')}\n`);
    expect(names).toContain('echo');
    expect(names).toContain('get-sum');
    await expect(
      registry.call('tool', 'execute', { function: 'echo', args: { message: 'hello' } }),
    ).resolves.toEqual({ result: 'Echo: hello', is_error: false });
    const sum = (await registry.call('tool', 'execute', {
      function: 'get-sum',
      args: { a: 2, b: 3 },
    })) as { result: string; is_error: boolean };
    expect(sum.is_error).toBe(false);
    expect(String(sum.result)).toContain('5');
    expect(runtime.connections()[0]).toMatchObject({ state: 'up', breaker: 'closed' });
  });
});

describe('the SDK Client, with no dagstack code, calls a plugin served over HTTP', () => {
  it('lists the tools, calls one and gets structured errors', async () => {
    const served = await servePlugin(new SuitePlugin(), KINDS.suite, {
      transport: 'http',
      name: 'solo',
      auth: { token: 'sdk-token-1234' },
    });
    onClose(() => served.close());
    const client = new Client({ name: 'plain-sdk-client', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(served.url), {
        requestInit: { headers: { authorization: 'Bearer sdk-token-1234' } },
      }),
    );
    onClose(() => client.close());
    const listed = await client.listTools();
    expect(listed.tools.map((t) => t.name)).toContain('suite.solo.single');
    const ok = await client.callTool({ name: 'suite.solo.single', arguments: { text: 'hi' } });
    expect(ok.structuredContent).toEqual({ plugin: 'untagged', echo: 'hi' });
    const failed = await client.callTool({ name: 'suite.solo.fail', arguments: { message: 'no' } });
    expect(failed.isError).toBe(true);
    expect(failed._meta?.['dagstack.dev/error']).toMatchObject({ name: 'QuotaExceeded' });
  });
});

describe('one plugin, three runtimes, no code change', () => {
  it('the same SuitePlugin answers alike in-process, over stdio and over HTTP', async () => {
    const config = { suite: { alpha: { tag: 'alpha' } } };
    const base = {
      schema_version: '1',
      name: 'alpha',
      kind: 'suite',
      kind_api_version: '1',
      core_version: '>=0.1.0,<1.0.0',
    };
    // One object: attached in-process and served over HTTP.
    const object = new SuitePlugin();
    const served = await servePlugin(object, KINDS.suite, { transport: 'http', name: 'alpha' });
    onClose(() => served.close());

    const inProcess = new PluginRegistry({ healthChecks: false, env: {}, config });
    inProcess.registerKind(KINDS.suite);
    inProcess.registerManifest({
      ...base,
      runtime: 'in_process',
      entry_point: './plugin.mjs#SuitePlugin',
    });
    inProcess.attachPlugin('alpha', object);

    const stdio = new PluginRegistry({
      healthChecks: false,
      env: {},
      config,
      runtimes: [createMcpStdioRuntime()],
    });
    stdio.registerKind(KINDS.suite);
    stdio.registerManifest({
      ...base,
      runtime: 'mcp_stdio',
      mcp_stdio: { command: [process.execPath, join(STDIO_FIXTURES, 'suite', 'server.mjs')] },
    });

    const { registry: http } = makeRegistry({ config });
    http.registerKind(KINDS.suite);
    http.registerManifest(httpManifest('alpha', 'suite', served.url));

    const registries = { in_process: inProcess, mcp_stdio: stdio, mcp_http: http };
    for (const registry of [inProcess, stdio]) {
      onClose(async () => {
        registry.close();
        await registry.teardownAll().catch(() => undefined);
      });
    }
    const results: Record<string, unknown[]> = {};
    for (const [runtime, registry] of Object.entries(registries)) {
      expect((await registry.setupAll()).unavailable).toEqual([]);
      results[runtime] = [
        await registry.call('suite', 'single', { text: 'same' }),
        await registry.call('suite', 'chained', { text: 'x' }),
        await registry.call('suite', 'scalar', [1, 2, 3]),
        await registry.call('suite', 'whoami', {}, { metadata: { tenant_id: 't-9' } }),
        await registry
          .call('suite', 'fail', { message: 'boom' })
          .catch((e: { code: string; remoteName?: string; message: string }) => ({
            code: e.code,
            remoteName: e.remoteName,
          })),
      ];
      expect(registry.status()[0]).toMatchObject({ runtime, state: 'ready' });
    }
    expect(results.mcp_stdio).toEqual(results.in_process);
    expect(results.mcp_http).toEqual(results.in_process);
  });
});
