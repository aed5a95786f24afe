// Resources of the plain MCP servers behind a gateway, passed through to the
// served client: resources/list and resources/templates/list (one server's
// as sent, several merged), resources/read routed to the server that listed
// the URI (or whose template matches it, or the first that has it), and
// resources/subscribe and unsubscribe through the peer hubs.
//
// Owns: the resource request handlers and the routes they learn (URI and
// template owners, which completions read). May not touch: the session's
// peers or hubs beyond what PassthroughScope and hubOf give, nor
// notifications/resources/updated (passthrough.ts delivers those).
import {
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {
  forwardTo,
  mergedList,
  type PassthroughScope,
  unavailable,
} from './passthrough-forward.js';
import { hubOf } from './passthrough-hub.js';
import type { ServedPeer } from './peer.js';
import { passOn } from './rpc-error.js';
import { isJsonObject } from './values.js';

/** MCP's "resource not found" error code. */
const RESOURCE_NOT_FOUND = -32002;

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

/** Where the resource URIs of one gateway session go, as its lists and reads taught it. */
export interface ResourceRoutes {
  /** Which plugin listed (or last served) each resource URI. */
  readonly owners: ReadonlyMap<string, string>;
  /** Each resource template: the plugin that listed it and the URIs it expands to. */
  readonly templates: ReadonlyMap<string, { readonly plugin: string; readonly pattern: RegExp }>;
}

/**
 * Set the resource handlers on the scope's server, when it announces
 * resources (subscribe and unsubscribe when it announces `subscribe`).
 * Returns the routes they fill in, empty while nothing was listed or read.
 */
export function installResourcePassthrough(scope: PassthroughScope): ResourceRoutes {
  const { server, capabilities, session, logger } = scope;
  /** Which plugin listed a resource URI, and each resource template. */
  const owners = new Map<string, string>();
  const templates = new Map<string, { plugin: string; pattern: RegExp }>();
  if (capabilities.resources === undefined) return { owners, templates };

  const single = scope.plugins.resources.length === 1;
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
    const peers = scope.offering('resources');
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
      const peers = scope.offering('resources');
      if (single) {
        const only = peers[0];
        if (only === undefined) throw unavailable('resources');
        const result = await forwardTo(only, method, request.params, extra.signal);
        const items = result[key];
        if (Array.isArray(items))
          for (const item of items) if (isJsonObject(item)) note(only.plugin, item);
        return result as never;
      }
      return (await mergedList(
        logger,
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
  return { owners, templates };
}
