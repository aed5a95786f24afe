import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FetchHttpClient, isResourceError } from '../src/index.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base: string;
let seen: Seen[];
/** Requests to /hang are held until the test ends. */
let held: ServerResponse[];

beforeEach(async () => {
  seen = [];
  held = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (req.url === '/hang') {
        held.push(res);
        return;
      }
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url, method: req.method }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('FetchHttpClient', () => {
  it('sends requests through fetch and returns the Response', async () => {
    const client = new FetchHttpClient();
    const res = await client.fetch(`${base}/hello?x=1`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ path: '/hello?x=1', method: 'GET' });
    const missing = await client.fetch(new URL('/missing', base));
    expect(missing.status).toBe(404);
  });

  it('resolves relative URLs against the base URL', async () => {
    const client = new FetchHttpClient({ baseUrl: `${base}/api/v1/` });
    await (await client.fetch('items?page=2')).text();
    await (await client.fetch('/root')).text();
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/items?page=2', '/root']);
    expect(client.resolve('items').href).toBe(`${base}/api/v1/items`);
  });

  it('sends default headers; the request headers win', async () => {
    const client = new FetchHttpClient({
      baseUrl: base,
      headers: { 'x-tenant': 'acme', 'user-agent': 'dagstack-test' },
    });
    await (
      await client.fetch('/h', {
        method: 'POST',
        headers: { 'x-tenant': 'override', 'content-type': 'application/json' },
        body: JSON.stringify({ a: 1 }),
      })
    ).text();
    const request = seen[0];
    expect(request?.method).toBe('POST');
    expect(request?.headers['x-tenant']).toBe('override');
    expect(request?.headers['user-agent']).toBe('dagstack-test');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toBe('{"a":1}');
  });

  it('a timeout aborts a request the server never answers', async () => {
    const client = new FetchHttpClient({ baseUrl: base, timeoutMs: 50 });
    await expect(client.fetch('/hang')).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(seen.map((s) => s.url)).toEqual(['/hang']);
  });

  it("the caller's signal still aborts when a timeout is configured", async () => {
    const client = new FetchHttpClient({ baseUrl: base, timeoutMs: 60_000 });
    const controller = new AbortController();
    const pending = client.fetch('/hang', { signal: controller.signal });
    await expect.poll(() => seen.length).toBe(1);
    controller.abort(new Error('user cancelled'));
    await expect(pending).rejects.toThrow('user cancelled');
  });

  it('uses an injected fetch', async () => {
    const calls: string[] = [];
    const client = new FetchHttpClient({
      baseUrl: 'https://api.example.test/',
      headers: { authorization: 'Bearer t' },
      fetch: async (input, init) => {
        calls.push(`${String(input)} ${new Headers(init?.headers).get('authorization')}`);
        return new Response('ok');
      },
    });
    expect(await (await client.fetch('v1/x')).text()).toBe('ok');
    expect(calls).toEqual(['https://api.example.test/v1/x Bearer t']);
  });

  it('refuses bad options and unresolvable URLs with typed errors', async () => {
    expect(() => new FetchHttpClient({ timeoutMs: 0 })).toThrow(/not a positive number/);
    expect(() => new FetchHttpClient({ baseUrl: 'not a url' })).toThrow(/not an absolute URL/);
    const client = new FetchHttpClient();
    await expect(client.fetch('relative/path')).rejects.toSatisfy(isResourceError);
    await expect(client.fetch('relative/path')).rejects.toThrow(/give the client a baseUrl/);
  });
});
