// The notifications a host session takes from its MCP client: the listeners
// a gateway registers (log messages, resource updates, list changes) and the
// progress of gateway calls, taken off the transport in order.
//
// Owns: the listener set, the progress-token table and the hooks it installs
// on the client (fallbackNotificationHandler, transport.onmessage). May not
// touch: requests or their options (session.ts decides when a call's
// progress goes through here), nor server requests (server-requests.ts).
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { JSONRPCMessage, Progress } from '@modelcontextprotocol/sdk/types.js';
import type { McpNotification } from './peer.js';

/** Notification listeners and progress forwarders of one session. */
export class SessionNotifications {
  readonly #listeners = new Set<(notification: McpNotification) => void>();
  /** Progress forwarders of calls in flight, by the progress token the session gave them. */
  readonly #progress = new Map<string, (progress: Progress) => void>();
  #progressSeq = 0;
  /** Whether progress is taken off the transport (see install). */
  #progressHooked = false;

  /** Take the client's unhandled notifications, and its progress off the transport. */
  install(client: Client): void {
    const previous = client.fallbackNotificationHandler;
    client.fallbackNotificationHandler = async (notification) => {
      for (const listener of [...this.#listeners]) {
        try {
          listener(notification as McpNotification);
        } catch {
          // A listener's failure is its own; the others still hear it.
        }
      }
      await previous?.(notification);
    };
    // Progress for a gateway call is taken off the transport in order: the
    // SDK dispatches notifications a microtask late, after a response that
    // came in the same read, and drops a call's last progress when the
    // response has already settled the call.
    const transport = client.transport;
    if (transport !== undefined) {
      const deliver = transport.onmessage;
      transport.onmessage = ((message: JSONRPCMessage, extra?: unknown) => {
        if (
          this.#progress.size > 0 &&
          'method' in message &&
          message.method === 'notifications/progress'
        ) {
          const { progressToken, ...progress } = (message.params ?? {}) as Record<string, unknown>;
          const forward =
            typeof progressToken === 'string' ? this.#progress.get(progressToken) : undefined;
          if (forward !== undefined) {
            forward(progress as Progress);
            return;
          }
        }
        deliver?.call(transport, message, extra as never);
      }) as typeof transport.onmessage;
      this.#progressHooked = true;
    }
  }

  /** Add a listener; returns the function that removes it. */
  listen(listener: (notification: McpNotification) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Forward the progress sent with a new token to `forward`; returns the
   * token, or `undefined` when progress is not taken off the transport (the
   * caller then uses the SDK's `onprogress`).
   */
  track(forward: (progress: Progress) => void): string | undefined {
    if (!this.#progressHooked) return undefined;
    this.#progressSeq += 1;
    const token = `dagstack-progress-${this.#progressSeq}`;
    this.#progress.set(token, forward);
    return token;
  }

  /** Stop forwarding the progress of `token`. */
  untrack(token: string): void {
    this.#progress.delete(token);
  }
}
