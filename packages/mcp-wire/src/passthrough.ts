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
//
// Owns: what a gateway announces (capabilities, instructions), the session
// side of the hubs (which notifications reach this session's client, attach
// and detach as peers come and go or the session ends) and logging/setLevel.
// May not touch: the per-feature request handlers (passthrough-resources.ts,
// passthrough-prompts.ts), list merging and forwarding
// (passthrough-forward.ts), nor the hubs' bookkeeping (passthrough-hub.ts).
import type { Logger } from '@dagstack/plugin-api';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  type LoggingLevel,
  type ServerCapabilities,
  SetLevelRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { type Feature, offers, type PassthroughScope } from './passthrough-forward.js';
import { type HubSession, hubOf, LEVELS, type PeerHub } from './passthrough-hub.js';
import { installPromptPassthrough } from './passthrough-prompts.js';
import { installResourcePassthrough } from './passthrough-resources.js';
import type { McpNotification, ServedPeer } from './peer.js';
import { passOn } from './rpc-error.js';

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
            plugins.logging.length > 1 && params.logger === undefined
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
  const plugins: Record<Feature, readonly string[]> = {
    resources: pluginsOffering('resources'),
    prompts: pluginsOffering('prompts'),
    logging: pluginsOffering('logging'),
    completions: pluginsOffering('completions'),
  };

  const scope: PassthroughScope = {
    server,
    capabilities,
    logger,
    session,
    plugins,
    offering: (feature) =>
      current()
        .filter((p) => plugins[feature].includes(p.plugin) && offers(p.peer, feature))
        .sort((a, b) => (a.plugin < b.plugin ? -1 : a.plugin > b.plugin ? 1 : 0)),
  };

  const resources = installResourcePassthrough(scope);
  installPromptPassthrough(scope, resources);

  if (capabilities.logging !== undefined) {
    server.setRequestHandler(SetLevelRequestSchema, async (request, extra) => {
      level = request.params.level;
      const peers = scope.offering('logging');
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
