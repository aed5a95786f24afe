// A plain MCP server that adds a tool while it runs: its
// notifications/tools/list_changed makes the registry read the plugin's
// catalogue again, so tool.execute reaches the new function without a reload.
import { fileURLToPath } from 'node:url';
import { isFunctionNotFound } from '@dagstack/plugin-api';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, eventually, KINDS, makeRegistry, stdioManifest } from './helpers.js';

afterEach(closeAll);

const SERVER = fileURLToPath(new URL('./fixtures/growing/server.mjs', import.meta.url));

describe('a plugin whose tool list changes', () => {
  it('is routed to its new function after notifications/tools/list_changed', async () => {
    const { registry } = makeRegistry();
    registry.registerKind(KINDS.tool);
    registry.registerManifest(stdioManifest('growing', 'tool', SERVER));
    const report = await registry.setupAll();
    expect(report.unavailable).toEqual([]);

    const before = await registry
      .call('tool', 'execute', { function: 'late', args: {} })
      .catch((e: unknown) => e);
    expect(isFunctionNotFound(before)).toBe(true);
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
    expect(await registry.functions('tool')).toEqual(new Map([['growing', ['grow', 'late']]]));
  });
});
