// Interoperability with MCP code nobody here wrote: the SDK's own Client
// calling a plugin served with servePlugin, and @modelcontextprotocol/
// server-everything loaded through a manifest as a `tool` plugin.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isPluginLoadError } from '@dagstack/plugin-api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, FIXTURES, KINDS, makeRegistry, stdioManifest } from './helpers.js';

afterEach(closeAll);

const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => undefined);
});

async function sdkClient(
  script: string,
  name: string,
): Promise<{ client: Client; stderr: string[] }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [script],
    env: { PATH: process.env.PATH ?? '', DAGSTACK_PLUGIN_NAME: name },
    stderr: 'pipe',
  });
  const stderr: string[] = [];
  transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const client = new Client({ name: 'plain-sdk-client', version: '1.0.0' });
  clients.push(client);
  await client.connect(transport);
  return { client, stderr };
}

describe('the SDK Client, with no dagstack code, calls a plugin served with servePlugin', () => {
  it('lists and calls the tool-kind functions (one tool per function)', async () => {
    const { client, stderr } = await sdkClient(join(FIXTURES, 'calc', 'server.mjs'), 'calc');
    const listed = await client.listTools();
    expect(listed.tools.map((t) => t.name)).toEqual([
      'tool.calc.execute.add',
      'tool.calc.execute.mul',
    ]);
    expect(listed.tools[0]?.inputSchema).toMatchObject({ type: 'object', required: ['a', 'b'] });
    const result = await client.callTool({
      name: 'tool.calc.execute.add',
      arguments: { a: 2, b: 3 },
      _meta: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({
      result: 5,
      trace: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    expect(JSON.parse((result.content as { text: string }[])[0]?.text ?? '')).toEqual(
      result.structuredContent,
    );
    // The plugin's console.log went to stderr, not into the protocol stream.
    await expect.poll(() => stderr.join('')).toContain('executing add');
  });

  it('calls hooks of a custom kind with their schemas and gets structured errors', async () => {
    const { client } = await sdkClient(join(FIXTURES, 'suite', 'server.mjs'), 'solo');
    const listed = await client.listTools();
    expect(listed.tools.map((t) => t.name)).toContain('suite.solo.single');
    const single = listed.tools.find((t) => t.name === 'suite.solo.single');
    expect(single?.inputSchema).toMatchObject({ type: 'object', required: ['text'] });
    expect(single?.outputSchema).toMatchObject({ type: 'object', required: ['plugin', 'echo'] });
    // A plain client gets the plugin set up with an empty configuration.
    const ok = await client.callTool({ name: 'suite.solo.single', arguments: { text: 'hi' } });
    expect(ok.structuredContent).toEqual({ plugin: 'untagged', echo: 'hi' });
    const failed = await client.callTool({ name: 'suite.solo.fail', arguments: { message: 'no' } });
    expect(failed.isError).toBe(true);
    expect((failed.content as { text: string }[])[0]?.text).toBe('QuotaExceeded: no');
    expect(failed._meta?.['dagstack.dev/error']).toMatchObject({
      name: 'QuotaExceeded',
      code: 'QUOTA_EXCEEDED',
      plugin: 'solo',
      hook: 'fail',
    });
  });
});

describe('@modelcontextprotocol/server-everything as a `tool` plugin', () => {
  const require = createRequire(import.meta.url);
  const everything = join(
    dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')),
    'dist',
    'index.js',
  );

  it('get_schema lists its tools and execute calls echo; host secrets stay out of its env', async () => {
    process.env.DAGSTACK_TEST_HOST_SECRET = 'do-not-leak';
    try {
      const { registry } = makeRegistry();
      registry.registerKind(KINDS.tool);
      registry.registerManifest(
        stdioManifest(
          'everything',
          'tool',
          [process.execPath, everything, 'stdio'],
          {},
          {
            env: { FROM_MANIFEST: 'yes' },
          },
        ),
      );
      const report = await registry.setupAll();
      expect(report.unavailable).toEqual([]);
      const schemas = (await registry.call('tool', 'get_schema', {})) as {
        plugin: string;
        value: { name: string; description: string; parameters: Record<string, unknown> }[];
      }[];
      expect(schemas).toHaveLength(1);
      const names = schemas[0]?.value.map((f) => f.name) ?? [];
      expect(names).toContain('echo');
      expect(names).toContain('get-sum');
      expect(schemas[0]?.value.find((f) => f.name === 'echo')?.parameters).toMatchObject({
        type: 'object',
        properties: { message: { type: 'string' } },
      });
      await expect(
        registry.call('tool', 'execute', { function: 'echo', args: { message: 'hello' } }),
      ).resolves.toEqual({ result: 'Echo: hello', is_error: false });
      const env = (await registry.call('tool', 'execute', { function: 'get-env', args: {} })) as {
        result: string;
      };
      expect(env.result).toContain('FROM_MANIFEST');
      expect(env.result).toContain('DAGSTACK_PLUGIN_NAME');
      expect(env.result).not.toContain('do-not-leak');
      expect(env.result).not.toContain('DAGSTACK_TEST_HOST_SECRET');
    } finally {
      delete process.env.DAGSTACK_TEST_HOST_SECRET;
    }
  });

  it('is refused for a kind that is not tool-like, with the reason', async () => {
    const { registry } = makeRegistry();
    registry.registerKind(KINDS.suite);
    registry.registerManifest(
      stdioManifest('everything', 'suite', [process.execPath, everything, 'stdio']),
    );
    const report = await registry.setupAll();
    const error = report.unavailable[0]?.error;
    expect(isPluginLoadError(error)).toBe(true);
    expect(error?.message).toMatch(/does not announce the dagstack capability/);
  });
});
