// A plain MCP server over HTTP that adds a tool while it runs: its
// notifications/tools/list_changed (on the standalone GET stream) makes the
// registry read the plugin's catalogue again, so tool.execute reaches the new
// function without a reload.
import { isFunctionNotFound } from '@dagstack/plugin-api';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { serveMcpHttp } from '../src/index.js';
import {
  closeAll,
  eventually,
  httpManifest,
  KINDS,
  makeRegistry,
  memoryLogger,
  onClose,
} from './helpers.js';

afterEach(closeAll);

describe('an HTTP plugin whose tool list changes', () => {
  it('is routed to its new function after notifications/tools/list_changed', async () => {
    const endpoint = await serveMcpHttp(
      () => {
        const server = new McpServer({ name: 'growing', version: '1.0.0' });
        server.registerTool('grow', { description: 'Adds the tool late.' }, async () => {
          server.registerTool('late', { description: 'Added at run time.' }, async () => ({
            content: [{ type: 'text', text: 'late answer' }],
          }));
          return { content: [{ type: 'text', text: 'grown' }] };
        });
        return { server: server.server };
      },
      { jsonResponse: false, logger: memoryLogger([]) },
    );
    onClose(() => endpoint.close());
    const { registry } = makeRegistry();
    registry.registerKind(KINDS.tool);
    registry.registerManifest(httpManifest('growing', 'tool', endpoint.url));
    expect((await registry.setupAll()).unavailable).toEqual([]);

    const before = await registry
      .call('tool', 'execute', { function: 'late', args: {} })
      .catch((e: unknown) => e);
    expect(isFunctionNotFound(before) && before.available).toEqual(['grow']);
    await registry.call('tool', 'execute', { function: 'grow', args: {} });
    let answer: unknown;
    await eventually(async () => {
      answer = await registry
        .call('tool', 'execute', { function: 'late', args: {} })
        .catch((e: unknown) => e);
      return !isFunctionNotFound(answer);
    });
    expect(answer).toMatchObject({ result: 'late answer', is_error: false });
  });
});
