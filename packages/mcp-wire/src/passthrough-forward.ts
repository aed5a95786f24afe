// What the pass-through handlers of one gateway session share: the scope
// installPassthrough builds for them (which plugins offer which feature), a
// request forwarded to one server, and one page of a list merged over
// several servers (the cursor remembers where each one stands).
//
// Owns: PassthroughScope, Feature, offers, forwardTo, mergedList and the
// "not available" error. May not touch: the server's request handlers
// (passthrough-resources.ts, passthrough-prompts.ts, passthrough.ts set
// them), nor notifications (passthrough-hub.ts).
import type { Logger } from '@dagstack/plugin-api';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { ErrorCode, McpError, type ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { HubSession } from './passthrough-hub.js';
import type { McpPeer, ServedPeer } from './peer.js';
import { passOn } from './rpc-error.js';
import { isJsonObject } from './values.js';

/** A server feature a gateway passes through. */
export type Feature = 'resources' | 'prompts' | 'logging' | 'completions';

/** Did the peer announce `feature` in `initialize`? */
export function offers(peer: McpPeer, feature: Feature): boolean {
  return peer.serverCapabilities()?.[feature] !== undefined;
}

/** What the feature handlers of one gateway session work with (built by installPassthrough). */
export interface PassthroughScope {
  /** The gateway's server of this session. */
  readonly server: Server;
  /** What the server announces (handlers are set for these only). */
  readonly capabilities: ServerCapabilities;
  /** Where failures of one peer are reported. */
  readonly logger: Logger;
  /** This session, as the peer hubs know it. */
  readonly session: HubSession;
  /** The plugins that offered each feature when the session began. */
  readonly plugins: Readonly<Record<Feature, readonly string[]>>;
  /** The peers offering `feature` now (only plugins that offered it when the session began). */
  offering(feature: Feature): ServedPeer[];
}

/** The error for a feature whose only plugin has no peer now. */
export function unavailable(feature: string): McpError {
  return new McpError(
    ErrorCode.InternalError,
    `the plugin serving ${feature} is not available now (it may be restarting)`,
  );
}

/**
 * One page of a list over several peers. The cursor holds each peer's own
 * cursor (or `null` before its first page); peers without one are done.
 * A peer whose request fails is left out of the page with a warning to
 * `logger`, unless the request was cancelled.
 */
export async function mergedList(
  logger: Logger,
  method: string,
  key: string,
  peers: readonly ServedPeer[],
  cursor: string | undefined,
  signal: AbortSignal,
  map: (plugin: string, item: Record<string, unknown>) => Record<string, unknown>,
): Promise<Record<string, unknown>> {
  let positions: Record<string, string | null>;
  if (cursor === undefined) {
    positions = Object.fromEntries(peers.map((p) => [p.plugin, null]));
  } else {
    try {
      positions = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<
        string,
        string | null
      >;
      if (!isJsonObject(positions)) throw new Error('not an object');
    } catch {
      throw new McpError(ErrorCode.InvalidParams, `invalid cursor for ${method}`);
    }
  }
  const pages = await Promise.all(
    peers
      .filter((p) => Object.hasOwn(positions, p.plugin))
      .map(async (p) => {
        const at = positions[p.plugin];
        try {
          const page = await p.peer.request(
            { method, params: typeof at === 'string' ? { cursor: at } : {} },
            { signal },
          );
          return { plugin: p.plugin, page };
        } catch (error) {
          if (signal.aborted) throw passOn(error);
          logger.warn(`${method} failed for one plugin; listing the others`, {
            plugin: p.plugin,
            error: error instanceof Error ? error.message : String(error),
          });
          return undefined;
        }
      }),
  );
  const items: Record<string, unknown>[] = [];
  const next: Record<string, string> = {};
  for (const entry of pages) {
    if (entry === undefined) continue;
    const list = entry.page[key];
    if (Array.isArray(list)) {
      for (const item of list) if (isJsonObject(item)) items.push(map(entry.plugin, item));
    }
    if (typeof entry.page.nextCursor === 'string') next[entry.plugin] = entry.page.nextCursor;
  }
  return {
    [key]: items,
    ...(Object.keys(next).length === 0
      ? {}
      : { nextCursor: Buffer.from(JSON.stringify(next), 'utf8').toString('base64url') }),
  };
}

/** Forward a request to one peer; the result as the server sent it. */
export async function forwardTo(
  served: ServedPeer,
  method: string,
  params: Record<string, unknown> | undefined,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  try {
    return await served.peer.request({ method, params }, { signal });
  } catch (error) {
    throw passOn(error);
  }
}
