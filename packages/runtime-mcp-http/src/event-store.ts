// Resumable event streams for the MCP HTTP server in event-stream mode: the
// SDK transport gives each event an id from this store and, when a client
// reconnects with `Last-Event-ID`, replays what that stream sent after it.
// One store per session, bounded, dropped with the session.
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

interface Stored {
  readonly id: string;
  readonly stream: string;
  readonly message: JSONRPCMessage;
}

/**
 * The events of one session, oldest first, at most `limit` of them: a client
 * that reconnects after more than `limit` later events has lost the gap (the
 * SDK then answers its GET as a fresh stream).
 */
export class SessionEventStore implements EventStore {
  readonly #limit: number;
  readonly #events: Stored[] = [];
  #next = 0;

  constructor(limit = 1000) {
    this.#limit = limit;
  }

  /** Events held now. */
  get size(): number {
    return this.#events.length;
  }

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    this.#next += 1;
    const id = `${streamId}.${this.#next}`;
    this.#events.push({ id, stream: streamId, message });
    if (this.#events.length > this.#limit)
      this.#events.splice(0, this.#events.length - this.#limit);
    return id;
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.#events.find((e) => e.id === eventId)?.stream;
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const at = this.#events.findIndex((e) => e.id === lastEventId);
    if (at < 0) return '';
    const stream = (this.#events[at] as Stored).stream;
    for (const event of this.#events.slice(at + 1)) {
      // Priming events (an id and no message) are not sent again.
      if (event.stream === stream && 'jsonrpc' in event.message)
        await send(event.id, event.message);
    }
    return stream;
  }
}
