// The plugin server checks each result against the output schema it publishes
// (MCP: a server that publishes an outputSchema must conform to it). A plugin
// that breaks its kind's contract gets a tool error naming the mismatch, which
// an SDK client reads as a tool error and the host as a typed error, instead
// of structured content that fails the client's own check.
import {
  isPluginInvocationError,
  type KindSpec,
  type PluginInvocationError,
} from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import { createPluginServer } from '../src/index.js';
import { callThroughSession, QUIET, sdkClient } from './served.js';

const KIND: KindSpec = {
  kind: 'demo',
  kind_api_version: '1.0.0',
  hooks: [
    {
      name: 'answer',
      dispatch: 'singleton',
      mcp_exposed: true,
      input_schema: { type: 'object' },
      output_schema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        required: ['result'],
        properties: { result: { type: 'integer' } },
      },
    },
  ],
};

/** Serve `answer` returning `output`; connect the SDK's own client. */
async function serve(output: unknown, checkOutput?: boolean) {
  return sdkClient(
    createPluginServer({ answer: () => output }, KIND, {
      name: 'p',
      logger: QUIET,
      ...(checkOutput === undefined ? {} : { checkOutput }),
    }),
  );
}

describe('output checks on the plugin server', () => {
  it('passes a conforming result through unchanged', async () => {
    const client = await serve({ result: 42 });
    const out = await client.callTool({ name: 'demo.p.answer', arguments: {} });
    expect(out.isError).not.toBe(true);
    expect(out.structuredContent).toEqual({ result: 42 });
    await client.close();
  });

  it('answers a tool error naming the mismatch; the SDK client accepts it as one', async () => {
    const client = await serve({ echoed: 'hi' });
    const out = await client.callTool({ name: 'demo.p.answer', arguments: {} });
    expect(out.isError).toBe(true);
    const text = (out.content as { type: string; text: string }[])[0]?.text ?? '';
    expect(text).toContain('HookValidationError');
    expect(text).toContain('"answer"');
    expect(text).toContain('result');
    await client.close();
  });

  it('a wrong type inside the result is caught too', async () => {
    const client = await serve({ result: 'forty-two' });
    const out = await client.callTool({ name: 'demo.p.answer', arguments: {} });
    expect(out.isError).toBe(true);
    await client.close();
  });

  it('the host sees a typed error with the remote name and the plugin', async () => {
    const served = createPluginServer({ answer: () => ({ echoed: 'hi' }) }, KIND, {
      name: 'p',
      logger: QUIET,
    });
    const error = await callThroughSession(served, KIND, 'answer', {});
    expect(isPluginInvocationError(error)).toBe(true);
    expect((error as PluginInvocationError).remoteName).toBe('HookValidationError');
    expect((error as PluginInvocationError).plugin).toBe('p');
  });

  it('checkOutput: false sends the result as it is (and the SDK client refuses it)', async () => {
    const client = await serve({ echoed: 'hi' }, false);
    await expect(client.callTool({ name: 'demo.p.answer', arguments: {} })).rejects.toThrow(
      /output schema/i,
    );
    await client.close();
  });
});
