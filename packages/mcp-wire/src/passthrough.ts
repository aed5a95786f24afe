// Resources, prompts, completions and logging of the plain MCP servers behind
// a gateway (createRegistryServer), passed through to the served client.
//
// With one server offering a feature its names, URIs and cursors travel
// unchanged (a transparent gateway). With several, lists are merged (each
// page holds the next page of every server; the cursor remembers where each
// one stands), prompt names get a `<plugin>.` prefix, and a resource URI goes
// to the server that listed it (or whose template matches it).
//
// Notifications come through one hub per peer, shared by every gateway
// session on it (a Streamable HTTP gateway has one per client): resource
// subscriptions are counted across sessions and an update reaches only the
// sessions that subscribed; the server's log level is the most verbose one a
// session asked for, and each session gets the messages at its own level.
import type { Logger } from '@dagstack/plugin-api';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  type LoggingLevel,
  McpError,
  ReadResourceRequestSchema,
  type ServerCapabilities,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpNotification, McpPeer, ServedPeer } from './peer.js';
import { passOn } from './rpc-error.js';

/** MCP's "resource not found" error code. */
const RESOURCE_NOT_FOUND = -32002;

const LEVELS: readonly LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

type Feature = 'resources' | 'prompts' | 'logging' | 'completions';

function offers(peer: McpPeer, feature: Feature): boolean {
  return peer.serverCapabilities()?.[feature] !== undefined;
}

/**
 * What a gateway in front of `peers` announces: tools always, and each of
 * resources, prompts, logging, completions when at least one peer does (with
 * `subscribe`/`listChanged` when at least one announced those).
 */
export function gatewayCapabilities(peers: readonly ServedPeer[]): ServerCapabilities {
  const caps = peers.map((p) => p.peer.serverCapabilities() ?? {});
  const out: ServerCapabilities = {
    tools: caps.some((c) => c.tools?.listChanged === true) ? { listChanged: true } : {},
  };
  const resources = caps.filter((c) => c.resources !== undefined);
  if (resources.length > 0) {
    out.resources = {
      ...(resources.some((c) => c.resources?.subscribe === true) ? { subscribe: true } : {}),
      ...(resources.some((c) => c.resources?.listChanged === true) ? { listChanged: true } : {}),
    };
  }
  const prompts = caps.filter((c) => c.prompts !== undefined);
  if (prompts.length > 0) {
    out.prompts = prompts.some((c) => c.prompts?.listChanged === true) ? { listChanged: true } : {};
  }
  if (caps.some((c) => c.logging !== undefined)) out.logging = {};
  if (caps.some((c) => c.completions !== undefined)) out.completions = {};
  return out;
}

/** The peers' `instructions`: one server's as sent, several labelled by plugin. */
export function gatewayInstructions(peers: readonly ServedPeer[]): string | undefined {
  const given = peers
    .map((p) => ({ plugin: p.plugin, text: p.peer.instructions() }))
    .filter(
      (p): p is { plugin: string; text: string } => typeof p.text === 'string' && p.text !== '',
    );
  if (given.length === 0) return undefined;
  if (given.length === 1) return given[0]?.text;
  return given.map((p) => `## ${p.plugin}\n\n${p.text}`).join('\n\n');
}

/** A regular expression for the URIs an RFC 6570 template can expand to. */
function templatePattern(template: string): RegExp {
  let source = '';
  let at = 0;
  for (const match of template.matchAll(/\{([^}]*)\}/g)) {
    source += template.slice(at, match.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const expression = match[1] ?? '';
    source += /^[+#./;?&]/.test(expression) ? '.*' : '[^/?#]*';
    at = (match.index ?? 0) + match[0].length;
  }
  source += template.slice(at).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${source}$`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The part of a gateway session the hubs talk to. */
interface HubSession {
  deliver(plugin: string, notification: McpNotification): void;
}

/** One peer's notifications, subscriptions and log level, shared by the sessions on it. */
class PeerHub {
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

  subscribed(session: HubSession, uri: string): boolean {
    return this.#subscribers.get(uri)?.has(session) === true;
  }

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

function hubOf(served: ServedPeer): PeerHub {
  let hub = HUBS.get(served.peer);
  if (hub === undefined) {
    hub = new PeerHub(served.peer, served.plugin);
    HUBS.set(served.peer, hub);
  }
  return hub;
}

/** Options of {@link installPassthrough}. */
export interface PassthroughOptions {
  /** Every plugin's MCP peer now. */
  readonly peers: () => readonly ServedPeer[];
  /** The peers when the server was created (what its capabilities were computed from). */
  readonly initial: readonly ServedPeer[];
  /** What the server announces (handlers are set for these only). */
  readonly capabilities: ServerCapabilities;
  /** A peer's tool list changed. */
  readonly onToolsChanged: () => void;
  readonly logger: Logger;
}

/**
 * Set the pass-through handlers on `server` and forward the peers'
 * notifications to its client until it closes.
 */
export function installPassthrough(server: Server, options: PassthroughOptions): void {
  const { capabilities, logger } = options;
  const hubs = new Set<PeerHub>();
  let closed = false;
  let level: LoggingLevel | undefined;

  const session: HubSession = {
    deliver(plugin, notification) {
      const params = notification.params ?? {};
      let forward: McpNotification | undefined;
      switch (notification.method) {
        case 'notifications/message': {
          if (capabilities.logging === undefined) return;
          const at = LEVELS.indexOf(params.level as LoggingLevel);
          if (level !== undefined && at >= 0 && at < LEVELS.indexOf(level)) return;
          forward =
            loggingPlugins.length > 1 && params.logger === undefined
              ? { method: notification.method, params: { ...params, logger: plugin } }
              : notification;
          break;
        }
        case 'notifications/resources/updated': {
          const hub = hubByPlugin.get(plugin);
          if (typeof params.uri !== 'string' || hub?.subscribed(session, params.uri) !== true)
            return;
          forward = notification;
          break;
        }
        case 'notifications/resources/list_changed':
          if (capabilities.resources?.listChanged !== true) return;
          forward = notification;
          break;
        case 'notifications/prompts/list_changed':
          if (capabilities.prompts?.listChanged !== true) return;
          forward = notification;
          break;
        case 'notifications/tools/list_changed':
          options.onToolsChanged();
          if (capabilities.tools?.listChanged !== true) return;
          forward = { method: notification.method };
          break;
        default:
          return;
      }
      server.notification(forward as never).catch((error: unknown) => {
        logger.debug('a notification of a plugin server could not be passed on', {
          plugin,
          method: notification.method,
          error: error instanceof Error ? error.message : String(error),
        });
      });
    },
  };

  const hubByPlugin = new Map<string, PeerHub>();

  /**
   * Every peer now, attached to this session. A restarted plugin has a new
   * peer: the old one's hub is let go (its subscriptions died with it).
   */
  const current = (): readonly ServedPeer[] => {
    const peers = options.peers();
    if (!closed) {
      const now = new Set<PeerHub>();
      for (const served of peers) {
        const hub = hubOf(served);
        now.add(hub);
        hubByPlugin.set(served.plugin, hub);
        if (!hubs.has(hub)) {
          hubs.add(hub);
          hub.attach(session);
        }
      }
      for (const hub of hubs) {
        if (now.has(hub)) continue;
        hubs.delete(hub);
        hub.detach(session);
      }
    }
    return peers;
  };

  // Detach when the session ends, whoever else sets onclose later.
  let userOnclose: (() => void) | undefined = server.onclose;
  Object.defineProperty(server, 'onclose', {
    configurable: true,
    enumerable: true,
    get: () => () => {
      closed = true;
      for (const hub of hubs) hub.detach(session);
      hubs.clear();
      userOnclose?.();
    },
    set: (fn: (() => void) | undefined) => {
      userOnclose = fn;
    },
  });

  // Notifications flow once the client is initialized (or made a request):
  // a server that never gets a client holds no place in the hubs.
  const initialized = server.oninitialized;
  server.oninitialized = () => {
    current();
    initialized?.();
  };

  const pluginsOffering = (feature: Feature): string[] =>
    options.initial.filter((p) => offers(p.peer, feature)).map((p) => p.plugin);
  const resourcePlugins = pluginsOffering('resources');
  const promptPlugins = pluginsOffering('prompts');
  const loggingPlugins = pluginsOffering('logging');
  const completionPlugins = pluginsOffering('completions');

  /** The peers offering `feature` now (only plugins that offered it when the session began). */
  const offering = (feature: Feature, plugins: readonly string[]): ServedPeer[] =>
    current()
      .filter((p) => plugins.includes(p.plugin) && offers(p.peer, feature))
      .sort((a, b) => (a.plugin < b.plugin ? -1 : a.plugin > b.plugin ? 1 : 0));

  const unavailable = (feature: string): McpError =>
    new McpError(
      ErrorCode.InternalError,
      `the plugin serving ${feature} is not available now (it may be restarting)`,
    );

  /**
   * One page of a list over several peers. The cursor holds each peer's own
   * cursor (or `null` before its first page); peers without one are done.
   */
  const mergedList = async (
    method: string,
    key: string,
    peers: readonly ServedPeer[],
    cursor: string | undefined,
    signal: AbortSignal,
    map: (plugin: string, item: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<Record<string, unknown>> => {
    let positions: Record<string, string | null>;
    if (cursor === undefined) {
      positions = Object.fromEntries(peers.map((p) => [p.plugin, null]));
    } else {
      try {
        positions = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<
          string,
          string | null
        >;
        if (!isRecord(positions)) throw new Error('not an object');
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
        for (const item of list) if (isRecord(item)) items.push(map(entry.plugin, item));
      }
      if (typeof entry.page.nextCursor === 'string') next[entry.plugin] = entry.page.nextCursor;
    }
    return {
      [key]: items,
      ...(Object.keys(next).length === 0
        ? {}
        : { nextCursor: Buffer.from(JSON.stringify(next), 'utf8').toString('base64url') }),
    };
  };

  /** Forward a request to one peer; the result as the server sent it. */
  const forward = async (
    served: ServedPeer,
    method: string,
    params: Record<string, unknown> | undefined,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> => {
    try {
      return await served.peer.request({ method, params }, { signal });
    } catch (error) {
      throw passOn(error);
    }
  };

  // --- resources -----------------------------------------------------------

  /** Which plugin listed a resource URI, and each resource template. */
  const owners = new Map<string, string>();
  const templates = new Map<string, { plugin: string; pattern: RegExp }>();

  if (capabilities.resources !== undefined) {
    const single = resourcePlugins.length === 1;
    const note = (plugin: string, item: Record<string, unknown>): Record<string, unknown> => {
      if (typeof item.uri === 'string') owners.set(item.uri, plugin);
      if (typeof item.uriTemplate === 'string' && !templates.has(item.uriTemplate)) {
        try {
          templates.set(item.uriTemplate, {
            plugin,
            pattern: templatePattern(item.uriTemplate),
          });
        } catch {
          // A template we cannot read routes nothing.
        }
      }
      return item;
    };
    /** The peers to try for a URI, most likely first. */
    const routeUri = (uri: string): ServedPeer[] => {
      const peers = offering('resources', resourcePlugins);
      if (single) return peers;
      const owner =
        owners.get(uri) ??
        [...templates.values()].find((t) => t.pattern.test(uri))?.plugin ??
        undefined;
      if (owner !== undefined) {
        const found = peers.find((p) => p.plugin === owner);
        return found === undefined ? [] : [found];
      }
      return peers;
    };
    const list =
      (method: string, key: string) =>
      async (
        request: { params?: { cursor?: string | undefined } & Record<string, unknown> },
        extra: { signal: AbortSignal },
      ): Promise<never> => {
        const peers = offering('resources', resourcePlugins);
        if (single) {
          const only = peers[0];
          if (only === undefined) throw unavailable('resources');
          const result = await forward(only, method, request.params, extra.signal);
          const items = result[key];
          if (Array.isArray(items))
            for (const item of items) if (isRecord(item)) note(only.plugin, item);
          return result as never;
        }
        return (await mergedList(
          method,
          key,
          peers,
          request.params?.cursor,
          extra.signal,
          note,
        )) as never;
      };
    server.setRequestHandler(ListResourcesRequestSchema, list('resources/list', 'resources'));
    server.setRequestHandler(
      ListResourceTemplatesRequestSchema,
      list('resources/templates/list', 'resourceTemplates'),
    );
    server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
      const uri = request.params.uri;
      const peers = routeUri(uri);
      if (peers.length === 0) throw unavailable('resources');
      // Not listed and no template matches: the first server that has it.
      let failure: unknown;
      for (const served of peers) {
        try {
          const result = await served.peer.request(
            { method: 'resources/read', params: request.params },
            { signal: extra.signal },
          );
          owners.set(uri, served.plugin);
          return result as never;
        } catch (error) {
          if (extra.signal.aborted) throw passOn(error);
          failure = error;
        }
      }
      if (peers.length === 1) throw passOn(failure);
      throw new McpError(RESOURCE_NOT_FOUND, `Resource ${uri} not found`, { uri });
    });
    if (capabilities.resources.subscribe === true) {
      const subscriber = (uri: string): ServedPeer => {
        const peers = routeUri(uri).filter(
          (p) => p.peer.serverCapabilities()?.resources?.subscribe === true,
        );
        const only = peers[0];
        if (only === undefined || (peers.length > 1 && !owners.has(uri))) {
          throw new McpError(
            ErrorCode.InvalidParams,
            `no plugin server is known to offer ${uri}: list or read it before subscribing`,
          );
        }
        return only;
      };
      server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
        const served = subscriber(request.params.uri);
        try {
          await hubOf(served).subscribe(session, request.params.uri, extra.signal);
        } catch (error) {
          throw passOn(error);
        }
        return {} as never;
      });
      server.setRequestHandler(UnsubscribeRequestSchema, async (request, extra) => {
        const served = subscriber(request.params.uri);
        try {
          await hubOf(served).unsubscribe(session, request.params.uri, extra.signal);
        } catch (error) {
          throw passOn(error);
        }
        return {} as never;
      });
    }
  }

  // --- prompts -------------------------------------------------------------

  const prefixed = promptPlugins.length > 1;
  /** The peer and its own name for a prompt name the client uses. */
  const routePrompt = (name: string): { served: ServedPeer; name: string } => {
    const peers = offering('prompts', promptPlugins);
    if (!prefixed) {
      const only = peers[0];
      if (only === undefined) throw unavailable('prompts');
      return { served: only, name };
    }
    // Longest plugin name first: plugin names may hold dots.
    for (const served of [...peers].sort((a, b) => b.plugin.length - a.plugin.length)) {
      if (name.startsWith(`${served.plugin}.`)) {
        return { served, name: name.slice(served.plugin.length + 1) };
      }
    }
    throw new McpError(ErrorCode.InvalidParams, `Prompt ${name} not found`);
  };

  if (capabilities.prompts !== undefined) {
    server.setRequestHandler(ListPromptsRequestSchema, async (request, extra) => {
      const peers = offering('prompts', promptPlugins);
      if (!prefixed) {
        const only = peers[0];
        if (only === undefined) throw unavailable('prompts');
        return (await forward(only, 'prompts/list', request.params, extra.signal)) as never;
      }
      return (await mergedList(
        'prompts/list',
        'prompts',
        peers,
        request.params?.cursor,
        extra.signal,
        (plugin, item) =>
          typeof item.name === 'string' ? { ...item, name: `${plugin}.${item.name}` } : item,
      )) as never;
    });
    server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
      const { served, name } = routePrompt(request.params.name);
      return (await forward(
        served,
        'prompts/get',
        { ...request.params, name },
        extra.signal,
      )) as never;
    });
  }

  // --- completions ---------------------------------------------------------

  if (capabilities.completions !== undefined) {
    server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
      const ref = request.params.ref as Record<string, unknown>;
      const peers = offering('completions', completionPlugins);
      let served: ServedPeer | undefined;
      let params: Record<string, unknown> = request.params;
      if (ref.type === 'ref/prompt' && typeof ref.name === 'string' && prefixed) {
        const routed = routePrompt(ref.name);
        served = routed.served;
        params = { ...request.params, ref: { ...ref, name: routed.name } };
      } else if (peers.length === 1) {
        served = peers[0];
      } else if (ref.type === 'ref/resource' && typeof ref.uri === 'string') {
        // A template's URI, as resources/templates/list gave it.
        const owner = templates.get(ref.uri)?.plugin ?? owners.get(ref.uri);
        served = peers.find((p) => p.plugin === owner);
      }
      if (served === undefined || !offers(served.peer, 'completions')) {
        // Nothing to complete from: no values, as MCP allows.
        return { completion: { values: [], hasMore: false } } as never;
      }
      return (await forward(served, 'completion/complete', params, extra.signal)) as never;
    });
  }

  // --- logging -------------------------------------------------------------

  if (capabilities.logging !== undefined) {
    server.setRequestHandler(SetLevelRequestSchema, async (request, extra) => {
      level = request.params.level;
      const peers = offering('logging', loggingPlugins);
      const results = await Promise.allSettled(
        peers.map((p) => hubOf(p).setLevel(session, request.params.level, extra.signal)),
      );
      const failed = results.find((r) => r.status === 'rejected');
      if (failed !== undefined && results.every((r) => r.status === 'rejected')) {
        throw passOn((failed as PromiseRejectedResult).reason);
      }
      return {} as never;
    });
  }
}
