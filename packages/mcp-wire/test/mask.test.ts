// The `mask` seam: what the servers send back as errors, and what the
// JSON-line logger writes, pass through the function the host gives (the CLI
// passes maskSecrets of @dagstack/plugin-manifest, which this package may
// not import). Without one nothing is changed.
import {
  type KindSpec,
  PluginRegistryError,
  type PluginState,
  ToolCallFailed,
} from '@dagstack/plugin-api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  createJsonLineLogger,
  createPluginServer,
  createRegistryServer,
  META_KEYS,
  METHODS,
  type ServedRegistry,
} from '../src/index.js';
import { QUIET, sdkClient } from './served.js';

const SECRET = 'sk-wire-secret-3e9d';

/** A stand-in for maskSecrets: values under `api_key` and `password` become `[M]`. */
function mask<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (key, v) => (key === 'api_key' || key === 'password' ? '[M]' : v)),
  ) as T;
}

class Refused extends PluginRegistryError {
  static override readonly code: string = 'REFUSED';
  readonly request: Record<string, unknown>;
  constructor(request: Record<string, unknown>) {
    super('the upstream refused the request', { plugin: 'alice', kind: 'demo' });
    this.request = request;
  }
  protected override details(): Record<string, unknown> {
    return { request: this.request };
  }
}

const DEMO: KindSpec = {
  kind: 'demo',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'greet', dispatch: 'singleton', mcp_exposed: true }],
};

function registry(error: unknown): ServedRegistry {
  const plugins: { name: string; kind: string; state: PluginState }[] = [
    { name: 'alice', kind: 'demo', state: 'ready' },
  ];
  return {
    plugins: () => plugins,
    kindSpec: (kind) => (kind === 'demo' ? DEMO : undefined),
    call: () => Promise.reject(error),
  };
}

async function callServed(
  served: ServedRegistry,
  options: Parameters<typeof createRegistryServer>[1],
): Promise<Record<string, unknown>> {
  const server = createRegistryServer(served, options);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'mask-test', version: '1.0.0' });
  await client.connect(clientSide);
  try {
    return (await client.callTool({
      name: 'demo.alice.greet',
      arguments: { password: SECRET },
    })) as Record<string, unknown>;
  } finally {
    await client.close();
    await server.close();
  }
}

describe('createRegistryServer mask', () => {
  it('is applied to the structured error a client gets', async () => {
    const result = await callServed(registry(new Refused({ api_key: SECRET, region: 'eu' })), {
      mask,
    });
    expect(result.isError).toBe(true);
    const carried = (result._meta as Record<string, unknown>)[META_KEYS.error];
    expect(carried).toMatchObject({
      code: 'REFUSED',
      details: { request: { api_key: '[M]', region: 'eu' } },
    });
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });

  it('is applied to the text of a failed tool result', async () => {
    const failed = new ToolCallFailed({
      plugin: 'alice',
      kind: 'demo',
      hook: 'greet',
      function: 'greet',
      output: { content: [], is_error: true, error_message: `https://u:${SECRET}@example.com` },
    });
    const urlMask = <T>(value: T): T =>
      (typeof value === 'string' ? value.replace(SECRET, '[M]') : value) as T;
    const result = await callServed(registry(failed), { mask: urlMask });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });

  it('changes nothing when not given', async () => {
    const result = await callServed(registry(new Refused({ api_key: SECRET })), {});
    expect(JSON.stringify(result)).toContain(SECRET);
  });
});

describe('createPluginServer mask', () => {
  it('is applied to tool errors and to setup errors', async () => {
    const plugin = {
      setup(ctx: { config: Record<string, unknown> }) {
        if (ctx.config.fail === true) throw new Refused({ api_key: SECRET });
      },
      greet() {
        throw new Refused({ api_key: SECRET, who: 'world' });
      },
    };
    const served = createPluginServer(plugin, DEMO, { name: 'alice', logger: QUIET, mask });
    const client = await sdkClient(served);
    try {
      const result = await client.callTool({ name: 'demo.alice.greet', arguments: {} });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result)).not.toContain(SECRET);
      expect(JSON.stringify(result)).toContain('world');
      const setup = await client
        .request(
          { method: METHODS.setup, params: { config: JSON.stringify({ fail: true }) } },
          z.looseObject({}),
        )
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(setup).toBeInstanceOf(Error);
      expect(JSON.stringify((setup as { data?: unknown }).data)).toContain('REFUSED');
      expect(JSON.stringify((setup as { data?: unknown }).data)).not.toContain(SECRET);
    } finally {
      await client.close();
    }
  });
});

describe('createJsonLineLogger mask', () => {
  it("masks each record's fields, bindings included", () => {
    let text = '';
    const stream = {
      write: (chunk: string) => {
        text += chunk;
        return true;
      },
    };
    const logger = createJsonLineLogger({ stream, mask, bindings: { password: SECRET } });
    logger.info('configured', { config: { api_key: SECRET, region: 'eu' } });
    const record = JSON.parse(text) as Record<string, unknown>;
    expect(record).toMatchObject({
      level: 'info',
      msg: 'configured',
      password: '[M]',
      config: { api_key: '[M]', region: 'eu' },
    });
  });
});
