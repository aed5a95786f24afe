// The plugin server checks each call's input against the hook's input schema
// before the plugin sees it (MCP: servers must validate tool inputs). Bad input
// gets a HookValidationError tool error naming the field; the plugin is not called.
import {
  isPluginInvocationError,
  type JsonObject,
  type KindSpec,
  type PluginInvocationError,
} from '@dagstack/plugin-api';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';
import { createPluginServer } from '../src/index.js';
import { callThroughSession, QUIET, sdkClient } from './served.js';

function kindWith(input_schema: JsonObject): KindSpec {
  return {
    kind: 'demo',
    kind_api_version: '1.0.0',
    hooks: [{ name: 'greet', dispatch: 'singleton', mcp_exposed: true, input_schema }],
  };
}

const SCHEMA: JsonObject = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['who'],
  properties: { who: { type: 'string' }, times: { type: 'integer', minimum: 1 } },
};

interface Served {
  client: Client;
  seen: unknown[];
  warnings: string[];
}

/** Serve `greet` (it records what it gets); connect the SDK's own client. */
async function serve(schema: JsonObject, checkInput?: boolean): Promise<Served> {
  const seen: unknown[] = [];
  const warnings: string[] = [];
  const served = createPluginServer(
    {
      greet: (input: { who?: unknown }) => {
        seen.push(input);
        return { text: `hello ${String(input.who)}` };
      },
    },
    kindWith(schema),
    {
      name: 'p',
      logger: { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} },
      ...(checkInput === undefined ? {} : { checkInput }),
    },
  );
  return { client: await sdkClient(served), seen, warnings };
}

const textOf = (out: unknown): string =>
  ((out as { content?: { type: string; text: string }[] }).content ?? [])[0]?.text ?? '';

describe('input checks on the plugin server', () => {
  it('passes conforming input to the plugin', async () => {
    const { client, seen } = await serve(SCHEMA);
    const out = await client.callTool({
      name: 'demo.p.greet',
      arguments: { who: 'ada', times: 2 },
    });
    expect(out.isError).not.toBe(true);
    expect(out.structuredContent).toEqual({ text: 'hello ada' });
    expect(seen).toEqual([{ who: 'ada', times: 2 }]);
    await client.close();
  });

  it('answers a tool error naming the field, and never calls the plugin', async () => {
    const { client, seen } = await serve(SCHEMA);
    const wrongType = await client.callTool({ name: 'demo.p.greet', arguments: { who: 42 } });
    expect(wrongType.isError).toBe(true);
    expect(textOf(wrongType)).toContain('HookValidationError');
    expect(textOf(wrongType)).toContain('who');
    const missing = await client.callTool({ name: 'demo.p.greet', arguments: { times: 0 } });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/who|times/);
    expect(seen).toEqual([]);
    await client.close();
  });

  it('the host sees a typed error with the remote name, the plugin and the hook', async () => {
    const served = createPluginServer(
      { greet: () => ({ text: 'unreachable' }) },
      kindWith(SCHEMA),
      { name: 'p', logger: QUIET },
    );
    const error = await callThroughSession(served, kindWith(SCHEMA), 'greet', {
      who: ['not', 'a', 'string'],
    });
    expect(isPluginInvocationError(error)).toBe(true);
    expect((error as PluginInvocationError).remoteName).toBe('HookValidationError');
    expect((error as PluginInvocationError).plugin).toBe('p');
    expect((error as Error).message).toContain('input schema of "greet"');
  });

  it('checkInput: false hands the input to the plugin as it is', async () => {
    const { client, seen } = await serve(SCHEMA, false);
    const out = await client.callTool({ name: 'demo.p.greet', arguments: { who: 42 } });
    expect(out.isError).not.toBe(true);
    expect(seen).toEqual([{ who: 42 }]);
    await client.close();
  });

  it('a schema the validator cannot compile is reported once and not checked', async () => {
    const broken: JsonObject = { type: 'object', properties: { who: { type: 'no-such-type' } } };
    const { client, seen, warnings } = await serve(broken);
    for (const who of ['a', 'b']) {
      const out = await client.callTool({ name: 'demo.p.greet', arguments: { who } });
      expect(out.isError).not.toBe(true);
    }
    expect(seen).toEqual([{ who: 'a' }, { who: 'b' }]);
    expect(warnings.filter((w) => w.includes('does not compile'))).toHaveLength(1);
    await client.close();
  });
});
