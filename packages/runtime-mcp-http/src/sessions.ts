// The session table of the MCP HTTP server: open sessions by id (least
// recently used first), sessions being opened, their in-flight and stream
// counters, idle expiry on a timer, LRU eviction for a newcomer, ending and
// forgetting sessions, and their teardown on close. It owns each session's
// SDK transport; it does not check requests (Host/Origin, path, credentials)
// nor answer refusals: serve.ts does that and calls the methods below.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@dagstack/plugin-api';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SessionEventStore } from './event-store.js';
import type { McpSessionServer } from './serve-options.js';

interface Session {
  readonly served: McpSessionServer;
  readonly transport: StreamableHTTPServerTransport;
  /** Set once the client initialised the session. */
  id: string | undefined;
  /** Requests in flight other than the standalone event stream. */
  busy: number;
  /** Standalone `GET` event streams open (0 or 1). */
  streams: number;
  /** When a request of the session last started or ended (ms since the epoch). */
  lastActive: number;
  /** Closed by the server (idle, evicted) or by the client (DELETE). */
  ended: boolean;
}

/** What the table needs from the endpoint's options (defaults already applied). */
export interface SessionTableOptions {
  readonly maxSessions: number;
  readonly idleMs: number;
  readonly maxBytes: number;
  readonly jsonResponse: boolean;
  readonly sseRetryMs: number;
  readonly logger: Logger;
}

/** The sessions of one endpoint. Starts its idle sweep when constructed. */
export class SessionTable {
  readonly #options: SessionTableOptions;
  /** Open sessions by id, least recently used first (re-inserted on every use). */
  readonly #sessions = new Map<string, Session>();
  /** Sessions whose `initialize` is in flight and has no id yet. */
  readonly #opening = new Set<Session>();
  /** The last session that expired or was evicted with a `shutdown` (see McpSessionServer). */
  #retired: McpSessionServer | undefined;
  readonly #sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(options: SessionTableOptions) {
    this.#options = options;
    const { idleMs } = options;
    this.#sweeper = Number.isFinite(idleMs)
      ? setInterval(() => this.#sweep(), Math.min(Math.max(Math.floor(idleMs / 4), 25), 30_000))
      : undefined;
    this.#sweeper?.unref();
  }

  /** Sessions open now. */
  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Make room for a new session: when `maxSessions` are open or opening,
   * evict the least recently used one with nothing in flight. `false` when
   * every session is busy (nothing was evicted).
   */
  makeRoom(): boolean {
    if (this.#sessions.size + this.#opening.size < this.#options.maxSessions) return true;
    const victim = this.#evictable();
    if (victim === undefined) return false;
    this.#end(victim, 'evicted');
    return true;
  }

  /** Serve the first request of a new session (an `initialize`) with `served`. */
  async open(served: McpSessionServer, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { jsonResponse, maxBytes, sseRetryMs, logger } = this.#options;
    const session: Session = {
      served,
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        enableJsonResponse: jsonResponse,
        maxRequestBodySize: maxBytes,
        // Event streams are resumable: ids, a retry hint, replay after Last-Event-ID.
        ...(jsonResponse ? {} : { eventStore: new SessionEventStore(), retryInterval: sseRetryMs }),
        onsessioninitialized: (id) => {
          if (session.ended) return;
          session.id = id;
          session.lastActive = Date.now();
          this.#opening.delete(session);
          this.#sessions.set(id, session);
        },
        onsessionclosed: () => this.#forget(session),
      }),
      id: undefined,
      busy: 0,
      streams: 0,
      lastActive: Date.now(),
      ended: false,
    };
    session.transport.onclose = () => this.#forget(session);
    served.server.onerror = (error) => logger.warn('MCP transport error', { error: error.message });
    this.#opening.add(session);
    this.#track(session, req, res);
    try {
      await served.server.connect(session.transport);
      await session.transport.handleRequest(req, res);
    } finally {
      this.#opening.delete(session);
      // A first request that did not initialize leaves nothing behind.
      if (session.id === undefined) {
        session.ended = true;
        await served.server.close().catch(() => {});
      }
    }
  }

  /**
   * Pass a request to the open session `id`. `false`, with nothing sent,
   * when there is no such session.
   */
  async forward(id: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const session = this.#sessions.get(id);
    if (session === undefined) return false;
    this.#track(session, req, res);
    await session.transport.handleRequest(req, res);
    return true;
  }

  /** Stop the idle sweep (on close, or when the server failed to listen). */
  stopSweeping(): void {
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
  }

  /**
   * End every session on close: run the `shutdown` of each open one (or, when
   * none is open, of the last retired one), then close their SDK servers.
   */
  async closeAll(): Promise<void> {
    const { logger } = this.#options;
    const open = [...this.#sessions.values()];
    this.#sessions.clear();
    // Nobody is left to tear down what a session that went away set up.
    const teardowns = open.length === 0 && this.#retired !== undefined ? [this.#retired] : [];
    this.#retired = undefined;
    for (const served of [...open.map((s) => s.served), ...teardowns]) {
      try {
        await served.shutdown?.();
      } catch (error) {
        logger.error('teardown failed', {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    for (const session of open) {
      session.ended = true;
      await session.served.server.close().catch(() => undefined);
    }
  }

  #touch(session: Session): void {
    session.lastActive = Date.now();
    const id = session.id;
    if (id !== undefined && this.#sessions.get(id) === session) {
      this.#sessions.delete(id);
      this.#sessions.set(id, session);
    }
  }

  #forget(session: Session): void {
    session.ended = true;
    this.#opening.delete(session);
    const id = session.id;
    if (id !== undefined && this.#sessions.get(id) === session) this.#sessions.delete(id);
  }

  /** The server ends a session on its own: close its SDK server, not what is behind it. */
  #end(session: Session, reason: 'idle' | 'evicted'): void {
    if (session.ended) return;
    this.#forget(session);
    if (session.served.shutdown !== undefined) this.#retired = session.served;
    const { logger, maxSessions } = this.#options;
    const fields = { reason, idleMs: Date.now() - session.lastActive, open: this.#sessions.size };
    if (reason === 'evicted') {
      logger.info('MCP session closed to admit a new client (maxSessions reached)', {
        ...fields,
        maxSessions,
      });
    } else {
      logger.debug('MCP session closed after being idle', fields);
    }
    void session.served.server.close().catch(() => undefined);
  }

  /** Count a request of `session` until its response closes. */
  #track(session: Session, req: IncomingMessage, res: ServerResponse): void {
    const stream = req.method === 'GET';
    if (stream) session.streams += 1;
    else session.busy += 1;
    this.#touch(session);
    res.once('close', () => {
      if (stream) session.streams -= 1;
      else session.busy -= 1;
      this.#touch(session);
    });
  }

  /** The session to evict for a newcomer: least recently used, nothing in flight. */
  #evictable(): Session | undefined {
    let withStream: Session | undefined;
    for (const session of this.#sessions.values()) {
      if (session.busy > 0) continue;
      if (session.streams === 0) return session;
      withStream ??= session;
    }
    return withStream;
  }

  #sweep(): void {
    const now = Date.now();
    for (const session of this.#sessions.values()) {
      // Ordered by last use: the rest were used more recently.
      if (now - session.lastActive < this.#options.idleMs) break;
      if (session.busy === 0 && session.streams === 0) this.#end(session, 'idle');
    }
  }
}
