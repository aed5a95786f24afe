import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpClient, HttpResponse } from '@dagstack/plugin-api';
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

describe('FetchHttpClient: get, post, put, delete', () => {
  it('get and delete send the method and no body; the result is an HttpResponse', async () => {
    const client: HttpClient = new FetchHttpClient({ baseUrl: base });
    const res: HttpResponse = await client.get('/items?page=1');
    expect(res.status).toBe(200);
    expect(res.ok).toBe(true);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ path: '/items?page=1', method: 'GET' });
    const gone = await client.delete('/items/7', { headers: { 'x-reason': 'cleanup' } });
    expect(await gone.text()).toBe('{"path":"/items/7","method":"DELETE"}');
    const missing = await client.get(new URL('/missing', base));
    expect([missing.status, missing.ok]).toEqual([404, false]);
    await missing.arrayBuffer();
    expect(seen.map((r) => [r.method, r.url, r.body])).toEqual([
      ['GET', '/items?page=1', ''],
      ['DELETE', '/items/7', ''],
      ['GET', '/missing', ''],
    ]);
    expect(seen[1]?.headers['x-reason']).toBe('cleanup');
  });

  it('post and put send data as JSON with content-type application/json', async () => {
    const client = new FetchHttpClient({ baseUrl: base, headers: { 'x-tenant': 'acme' } });
    await (await client.post('/items', { name: 'a', tags: ['x'], n: 1.5, none: null })).text();
    await (await client.put('/items/1', [1, 'two', { three: 3 }])).text();
    await (await client.post('/flag', false)).text();
    await (await client.put('/null', null)).text();
    expect(seen.map((r) => [r.method, r.url, r.body, r.headers['content-type']])).toEqual([
      ['POST', '/items', '{"name":"a","tags":["x"],"n":1.5,"none":null}', 'application/json'],
      ['PUT', '/items/1', '[1,"two",{"three":3}]', 'application/json'],
      ['POST', '/flag', 'false', 'application/json'],
      ['PUT', '/null', 'null', 'application/json'],
    ]);
    expect(seen.every((r) => r.headers['x-tenant'] === 'acme')).toBe(true);
  });

  it("keeps the request's own content type, method-of-the-member and body-of-the-argument", async () => {
    const client = new FetchHttpClient({ baseUrl: base });
    await (
      await client.post(
        '/ld',
        { '@id': 'x' },
        { method: 'PATCH', body: 'ignored', headers: { 'Content-Type': 'application/ld+json' } },
      )
    ).text();
    expect(seen[0]).toMatchObject({
      method: 'POST',
      body: '{"@id":"x"}',
      headers: { 'content-type': 'application/ld+json' },
    });
  });

  it('sends strings, bytes, form data, search params, blobs and streams as they are', async () => {
    const client = new FetchHttpClient({ baseUrl: base });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('chunk-1,'));
        controller.enqueue(new TextEncoder().encode('chunk-2'));
        controller.close();
      },
    });
    const form = new FormData();
    form.set('field', 'value');
    const bodies: unknown[] = [
      'plain text',
      new TextEncoder().encode('bytes'),
      new TextEncoder().encode('buffer').buffer,
      new URLSearchParams({ q: 'a b' }),
      new Blob(['blob'], { type: 'text/plain' }),
      stream,
      form,
    ];
    for (const body of bodies) await (await client.put('/raw', body)).text();
    const got = seen.map((r) => [r.body, r.headers['content-type']]);
    expect(got.slice(0, 6)).toEqual([
      ['plain text', 'text/plain;charset=UTF-8'],
      ['bytes', undefined],
      ['buffer', undefined],
      ['q=a+b', 'application/x-www-form-urlencoded;charset=UTF-8'],
      ['blob', 'text/plain'],
      ['chunk-1,chunk-2', undefined],
    ]);
    expect(got[6]?.[0]).toContain('name="field"');
    expect(got[6]?.[1]).toMatch(/^multipart\/form-data; boundary=/);
  });

  it('an undefined body sends none; a body without a JSON form is a typed error', async () => {
    const client = new FetchHttpClient({ baseUrl: base });
    await (await client.post('/empty', undefined)).text();
    expect(seen[0]).toMatchObject({ method: 'POST', body: '' });
    expect(seen[0]?.headers['content-type']).toBeUndefined();
    await expect(client.post('/big', { n: 1n })).rejects.toSatisfy(isResourceError);
    await expect(client.put('/fn', () => 1)).rejects.toThrow(/has no JSON form/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(client.post('/cycle', cyclic)).rejects.toThrow(/cannot be sent as JSON/);
    expect(seen).toHaveLength(1);
  });

  it('the four go through fetch: base URL, timeout and an injected fetch apply', async () => {
    const calls: string[] = [];
    const client = new FetchHttpClient({
      baseUrl: 'https://api.example.test/v1/',
      fetch: async (input, init) => {
        calls.push(`${init?.method} ${String(input)} ${String(init?.body ?? '')}`);
        return new Response('{}');
      },
    });
    await client.get('a');
    await client.post('b', { x: 1 });
    await client.put('c', 'raw');
    await client.delete('d');
    expect(calls).toEqual([
      'GET https://api.example.test/v1/a ',
      'POST https://api.example.test/v1/b {"x":1}',
      'PUT https://api.example.test/v1/c raw',
      'DELETE https://api.example.test/v1/d ',
    ]);
    const slow = new FetchHttpClient({ baseUrl: base, timeoutMs: 50 });
    await expect(slow.post('/hang', { a: 1 })).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
