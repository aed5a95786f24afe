// Resumable event streams (MCP transport spec, "Resumability and
// Redelivery"): in event-stream mode every event carries an id and the first
// one a retry hint; a client whose POST stream broke reconnects with GET and
// Last-Event-ID and receives what it missed, the call's answer included.
import { type ClientRequest, request as httpRequest } from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  LATEST_PROTOCOL_VERSION,
  ListToolsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionEventStore } from '../src/event-store.js';
import { serveMcpHttp } from '../src/index.js';
import { closeAll, memoryLogger, onClose } from './helpers.js';

afterEach(closeAll);

interface Event {
  readonly id: string | undefined;
  readonly retry: string | undefined;
  readonly data: string;
}

/** Parse the complete events of an event-stream text. */
function events(text: string): Event[] {
  return text
    .split('\n\n')
    .slice(0, -1)
    .map((block) => {
      const field = (name: string): string | undefined =>
        block
          .split('\n')
          .find((line) => line.startsWith(`${name}:`))
          ?.slice(name.length + 1)
          .trim();
      return { id: field('id'), retry: field('retry'), data: field('data') ?? '' };
    });
}

/** A request whose event stream is read as it comes; `until` decides when enough arrived. */
function stream(
  url: string,
  method: 'POST' | 'GET',
  headers: Record<string, string>,
  body: string | undefined,
  until: (received: Event[]) => boolean,
): Promise<{ status: number; sessionId: string | undefined; events: Event[]; req: ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        agent: false,
        headers: {
          accept: 'application/json, text/event-stream',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        const sessionId = res.headers['mcp-session-id'] as string | undefined;
        const check = (): void => {
          const seen = events(text);
          if (until(seen)) resolve({ status: res.statusCode ?? 0, sessionId, events: seen, req });
        };
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          check();
        });
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, sessionId, events: events(text), req });
        });
      },
    );
    req.on('error', reject);
    onClose(() => {
      req.destroy();
    });
    req.end(body);
  });
}

describe('resumable event streams', () => {
  it('ids and a retry hint on every stream; a reconnecting GET gets the missed answer', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const endpoint = await serveMcpHttp(
      () => {
        const server = new Server(
          { name: 'resumable', version: '1.0.0' },
          { capabilities: { tools: {} } },
        );
        server.setRequestHandler(ListToolsRequestSchema, async () => ({
          tools: [{ name: 'slow', inputSchema: { type: 'object' as const } }],
        }));
        server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
          const token = request.params._meta?.progressToken as string;
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken: token, progress: 1, total: 2 },
          });
          await gate;
          return { content: [{ type: 'text' as const, text: 'finished while you were away' }] };
        });
        return { server };
      },
      { jsonResponse: false, sseRetryMs: 250, logger: memoryLogger([]) },
    );
    onClose(() => endpoint.close());

    const init = await stream(
      endpoint.url,
      'POST',
      {},
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: LATEST_PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
      (seen) => seen.some((e) => e.data.includes('"result"')),
    );
    expect(init.status).toBe(200);
    const session = {
      'mcp-session-id': init.sessionId as string,
      'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
    };

    // The call's stream: a priming event (id + retry), then the progress.
    const call = await stream(
      endpoint.url,
      'POST',
      session,
      JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'slow', arguments: {}, _meta: { progressToken: 'p1' } },
      }),
      (seen) => seen.some((e) => e.data.includes('notifications/progress')),
    );
    const [priming, progress] = call.events;
    expect(priming?.id).toMatch(/\S/);
    expect(priming?.retry).toBe('250');
    expect(progress?.id).toMatch(/\S/);
    expect(progress?.id).not.toBe(priming?.id);
    // The connection breaks before the answer; then the tool finishes.
    call.req.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();

    const resumed = await stream(
      endpoint.url,
      'GET',
      { ...session, 'last-event-id': progress?.id as string },
      undefined,
      (seen) => seen.some((e) => e.data.includes('finished while you were away')),
    );
    expect(resumed.status).toBe(200);
    const answer = resumed.events.find((e) => e.data.includes('"id":7'));
    expect(answer?.id).toMatch(/\S/);
    expect(JSON.parse(answer?.data as string)).toMatchObject({
      id: 7,
      result: { content: [{ type: 'text', text: 'finished while you were away' }] },
    });
    // The progress the client already had is not sent again.
    expect(resumed.events.some((e) => e.data.includes('notifications/progress'))).toBe(false);
  });

  it('the store keeps the last events of a session only, and replays one stream', async () => {
    const store = new SessionEventStore(4);
    const message = (n: number) => ({ jsonrpc: '2.0' as const, method: 'note', params: { n } });
    const a1 = await store.storeEvent('a', message(1));
    await store.storeEvent('b', message(2));
    const a3 = await store.storeEvent('a', message(3));
    await store.storeEvent('a', message(4));
    await store.storeEvent('b', message(5));
    // Four kept: the oldest is gone.
    expect(store.size).toBe(4);
    expect(await store.getStreamIdForEventId(a1)).toBeUndefined();
    expect(await store.getStreamIdForEventId(a3)).toBe('a');
    await store.storeEvent('a', message(6));
    expect(store.size).toBe(4);
    const replayed: unknown[] = [];
    const stream = await store.replayEventsAfter(a3, {
      send: async (_id, m) => {
        replayed.push(m);
      },
    });
    // After a3 on stream a only: 4 and 6, not b's 5.
    expect(stream).toBe('a');
    expect(replayed).toEqual([message(4), message(6)]);
  });
});
