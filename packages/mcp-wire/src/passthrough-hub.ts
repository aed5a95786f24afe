// The notification hub of one plain MCP server behind a gateway, shared by
// every gateway session on it (a Streamable HTTP gateway has one session per
// client): the server's notifications fan out to the attached sessions,
// resource subscriptions are counted across sessions (the server is asked to
// subscribe once, to unsubscribe when the last holder leaves), and the
// server's log level is the most verbose one any session asked for.
//
// Owns: PeerHub, HubSession, the peer → hub table (hubOf) and LEVELS. May
// not touch: the gateway's server or its handlers; which notifications a
// session passes on to its client is passthrough.ts's (HubSession.deliver).
import type { LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import type { McpNotification, McpPeer, ServedPeer } from './peer.js';

/** MCP's logging levels, most verbose first. */
export const LEVELS: readonly LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

/** The part of a gateway session the hubs talk to. */
export interface HubSession {
  /** A notification from the server of `plugin`, for the session to pass on or drop. */
  deliver(plugin: string, notification: McpNotification): void;
}

/** One peer's notifications, subscriptions and log level, shared by the sessions on it. */
export class PeerHub {
  readonly #peer: McpPeer;
  readonly #plugin: string;
  readonly #sessions = new Set<HubSession>();
  readonly #subscribers = new Map<string, Set<HubSession>>();
  readonly #levels = new Map<HubSession, LoggingLevel>();
  #upstreamLevel: LoggingLevel | undefined;
  #off: (() => void) | undefined;

  constructor(peer: McpPeer, plugin: string) {
    this.#peer = peer;
    this.#plugin = plugin;
  }

  /** Pass the peer's notifications to `session` too (the first session starts listening). */
  attach(session: HubSession): void {
    if (this.#sessions.has(session)) return;
    this.#sessions.add(session);
    this.#off ??= this.#peer.onNotification((notification) => {
      for (const s of [...this.#sessions]) s.deliver(this.#plugin, notification);
    });
  }

  /** The session ended: drop its subscriptions (unsubscribing what nobody else holds). */
  detach(session: HubSession): void {
    if (!this.#sessions.delete(session)) return;
    this.#levels.delete(session);
    for (const [uri, holders] of this.#subscribers) {
      if (holders.delete(session) && holders.size === 0) {
        this.#subscribers.delete(uri);
        this.#peer
          .request({ method: 'resources/unsubscribe', params: { uri } })
          .catch(() => undefined);
      }
    }
    if (this.#sessions.size === 0) {
      this.#off?.();
      this.#off = undefined;
    }
  }

  /** Does `session` hold a subscription to `uri`? */
  subscribed(session: HubSession, uri: string): boolean {
    return this.#subscribers.get(uri)?.has(session) === true;
  }

  /** Subscribe `session` to `uri`; the server is asked only for the first holder. */
  async subscribe(session: HubSession, uri: string, signal: AbortSignal): Promise<void> {
    const holders = this.#subscribers.get(uri);
    if (holders !== undefined) {
      holders.add(session);
      return;
    }
    await this.#peer.request({ method: 'resources/subscribe', params: { uri } }, { signal });
    const now = this.#subscribers.get(uri) ?? new Set<HubSession>();
    now.add(session);
    this.#subscribers.set(uri, now);
  }

  /** Drop the subscription of `session`; the server is told when no holder is left. */
  async unsubscribe(session: HubSession, uri: string, signal: AbortSignal): Promise<void> {
    const holders = this.#subscribers.get(uri);
    if (holders === undefined || !holders.delete(session) || holders.size > 0) return;
    this.#subscribers.delete(uri);
    await this.#peer.request({ method: 'resources/unsubscribe', params: { uri } }, { signal });
  }

  /** A session's level; the server gets the most verbose one any session asked for. */
  async setLevel(session: HubSession, level: LoggingLevel, signal: AbortSignal): Promise<void> {
    this.#levels.set(session, level);
    let verbose: LoggingLevel = level;
    for (const l of this.#levels.values()) {
      if (LEVELS.indexOf(l) < LEVELS.indexOf(verbose)) verbose = l;
    }
    if (verbose === this.#upstreamLevel) return;
    await this.#peer.request(
      { method: 'logging/setLevel', params: { level: verbose } },
      { signal },
    );
    this.#upstreamLevel = verbose;
  }
}

const HUBS = new WeakMap<McpPeer, PeerHub>();

/** The hub of a served peer, made on first use (one per peer, however many sessions). */
export function hubOf(served: ServedPeer): PeerHub {
  let hub = HUBS.get(served.peer);
  if (hub === undefined) {
    hub = new PeerHub(served.peer, served.plugin);
    HUBS.set(served.peer, hub);
  }
  return hub;
}
