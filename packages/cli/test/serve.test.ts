// `dagstack-plugins serve --stdio` as an MCP client meets it: the built
// executable in a real child process, driven by the SDK's own Client, with a
// governance middleware plugin applied to every call.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { PACKAGE_DIR, plugin, tempDir, writeTree } from './helpers.js';

const BIN = join(PACKAGE_DIR, 'dist/bin.js');
const clients: Client[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  // Closing the client closes the child's stdin; the transport kills it if it lingers.
  for (const client of clients.splice(0)) await client.close();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function tree(): string {
  return writeTree(tempDir(), {
    ...prefixed(
      'calc',
      plugin(
        { name: 'calc', kind: 'tool' },
        `get_schema() { return [{ name: 'add', description: 'Adds a and b.', parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } } }]; }
  execute({ function: fn, args }, call) {
    console.log('noise that must not reach the protocol stream');
    return { result: args.a + args.b, tenant: call.metadata.tenant_id ?? null };
  }`,
      ),
    ),
    'governance/dagstack.toml': `[plugin]
schema_version = "1"
name = "governance"
kind = "horizontal_middleware"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:Governance"
priority = 1000

[plugin.chain_wrap]
kinds = ["tool"]
hooks = ["execute"]
`,
    'governance/plugin.js': `export class Governance {
  before(call, args) {
    if (call.metadata.tenant_id === undefined) throw new Error('tenant_id is required');
    return args;
  }
}
`,
  });
}

async function serve(dir: string): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'serve', dir, '--stdio'],
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const client = new Client({ name: 'serve-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return { client, stderr: () => err };
}

describe('serve --stdio', () => {
  it('lists the hooks of the registry as MCP tools and calls them through the middleware', async () => {
    const { client, stderr } = await serve(tree());
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(['tool.calc.execute.add', 'tool.execute']);

    const ok = await client.callTool({
      name: 'tool.calc.execute.add',
      arguments: { a: 2, b: 40 },
      _meta: { 'dagstack.dev/metadata': { tenant_id: 'acme' } },
    });
    expect(ok.isError).toBeFalsy();
    expect(ok.structuredContent).toEqual({ result: 42, tenant: 'acme' });

    const denied = await client.callTool({
      name: 'tool.calc.execute.add',
      arguments: { a: 1, b: 1 },
    });
    expect(denied.isError).toBe(true);
    expect(JSON.stringify(denied.content)).toContain('tenant_id is required');

    // The plugin's console.log went to stderr, not into the protocol stream.
    expect(stderr()).toContain('noise that must not reach the protocol stream');
    expect(stderr()).toContain(
      '2 plugin(s) ready (governance, calc); 1 expose tools; 2 tool(s): tool.calc.execute.add, tool.execute',
    );
  });

  it('with no plugin ready: lists what it skipped and exits 1, unless --allow-empty', async () => {
    const { cli } = await import('./helpers.js');
    const root = writeTree(tempDir(), {
      'broken/dagstack.toml': '[plugin]\nname = "broken"\n',
      ...prefixed(
        'crashing',
        plugin({ name: 'crashing', kind: 'tool' }, 'setup() { throw new Error("no start"); }'),
      ),
    });
    const refused = await cli(['serve', root, '--http']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/serve: warning: skipped .*broken\/dagstack\.toml: \/kind: /);
    expect(refused.stderr).toMatch(/serve: warning: crashing is unavailable: .*no start/);
    expect(refused.stderr).toContain('0 plugin(s) ready (none); 0 expose tools; 0 tool(s)');
    expect(refused.stderr).toContain(
      'dagstack-plugins serve: no plugin is ready, so there is nothing to serve; fix the plugins reported above, or pass --allow-empty to serve anyway\n',
    );
    expect(refused.stdout).toBe('');

    // --allow-empty serves anyway (over stdio: ends when stdin closes).
    const child = spawn(process.execPath, [BIN, 'serve', root, '--stdio', '--allow-empty'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', () => {
        if (stderr.includes('serving MCP on stdio')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.stdin.end();
    expect(await exited).toBe(0);
  });

  it('usage errors: neither or both transports, a public host without a token, a bad port', async () => {
    const { cli } = await import('./helpers.js');
    expect((await cli(['serve', '.'])).code).toBe(2);
    expect((await cli(['serve'])).code).toBe(2);
    expect((await cli(['serve', '.', '--stdio', '--http'])).code).toBe(2);
    const open = await cli(['serve', '.', '--http', '--host', '0.0.0.0']);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain('--token-env');
    expect(open.stderr).toContain('--insecure-no-auth');
    const httpOnly = await cli(['serve', '.', '--stdio', '--allowed-host', 'a.example']);
    expect(httpOnly.code).toBe(2);
    expect(httpOnly.stderr).toContain('--allowed-host go with --http');
    expect((await cli(['serve', '.', '--http', '--session-idle', '0'])).code).toBe(2);
    expect((await cli(['serve', '.', '--http', '--port', 'eighty'])).code).toBe(2);
    const unset = await cli(['serve', '.', '--http', '--token-env', 'NOT_SET_ANYWHERE']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('NOT_SET_ANYWHERE');
  });
});

describe('serve --http', () => {
  it('serves the registry on 127.0.0.1 with a bearer token; calls go through the middleware', async () => {
    const secret = 'serve-test-token-41d9';
    const { url, child, stderr } = await serveHttp(['--token-env', 'SERVE_TOKEN'], {
      SERVE_TOKEN: secret,
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);

    const client = new Client({ name: 'serve-http-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { Authorization: `Bearer ${secret}` } },
      }),
    );
    clients.push(client);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'tool.calc.execute.add',
      'tool.execute',
    ]);
    const ok = await client.callTool({
      name: 'tool.calc.execute.add',
      arguments: { a: 1, b: 2 },
      _meta: { 'dagstack.dev/metadata': { tenant_id: 'acme' } },
    });
    expect(ok.structuredContent).toEqual({ result: 3, tenant: 'acme' });

    const intruder = new Client({ name: 'intruder', version: '1.0.0' });
    await expect(
      intruder.connect(
        new StreamableHTTPClientTransport(new URL(url), {
          requestInit: { headers: { Authorization: 'Bearer wrong' } },
        }),
      ),
    ).rejects.toThrow();
    expect(stderr()).not.toContain(secret);

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('serve --http and DNS rebinding', () => {
  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'x', version: '1' },
    },
  });

  /** A raw POST with chosen Host / Origin headers (fetch cannot forge Host). */
  async function post(
    url: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: string }> {
    const { request } = await import('node:http');
    const target = new URL(url);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...headers,
          },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.once('error', reject);
      req.end(initialize);
    });
  }

  it('refuses a forged Host or Origin with 403 and a JSON-RPC error; --allowed-host admits a name', async () => {
    const { url } = await serveHttp([]);
    const port = new URL(url).port;
    const forgedHost = await post(url, { host: `evil.example:${port}` });
    expect(forgedHost.status).toBe(403);
    expect(JSON.parse(forgedHost.body)).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } });
    const forgedOrigin = await post(url, { origin: 'http://evil.example' });
    expect(forgedOrigin.status).toBe(403);
    const local = await post(url, { origin: `http://localhost:${port}` });
    expect(local.status).toBe(200);
    expect(local.body).toContain('"serverInfo"');

    const admitted = await serveHttp(['--allowed-host', 'tools.internal']);
    const named = await post(admitted.url, {
      host: `tools.internal:${new URL(admitted.url).port}`,
    });
    expect(named.status).toBe(200);
  });
});

/** `serve <tree> --http --json` in a child process; resolves once it printed its URL. */
async function serveHttp(
  extra: readonly string[],
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve', tree(), '--http', '--json', ...extra], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('}')) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, child, stderr: () => stderr };
}

function prefixed(dir: string, files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [`${dir}/${k}`, v]));
}
