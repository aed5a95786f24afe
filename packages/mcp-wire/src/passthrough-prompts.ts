// Prompts and completions of the plain MCP servers behind a gateway, passed
// through to the served client. With one server offering prompts their names
// travel unchanged; with several, prompts/list is merged and every name gets
// a `<plugin>.` prefix, which prompts/get and completion/complete strip to
// route the request. A completion for a resource template goes to the
// server that listed the template.
//
// Owns: the prompt and completion request handlers and prompt routing. May
// not touch: resource routes beyond reading them (passthrough-resources.ts
// fills them in), nor notifications (passthrough.ts, passthrough-hub.ts).
import {
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import {
  forwardTo,
  mergedList,
  offers,
  type PassthroughScope,
  unavailable,
} from './passthrough-forward.js';
import type { ResourceRoutes } from './passthrough-resources.js';
import type { ServedPeer } from './peer.js';

/**
 * Set the prompt handlers on the scope's server when it announces prompts,
 * and the completion handler when it announces completions. `resources`
 * routes completions of resource templates.
 */
export function installPromptPassthrough(scope: PassthroughScope, resources: ResourceRoutes): void {
  const { server, capabilities, logger } = scope;
  const prefixed = scope.plugins.prompts.length > 1;
  /** The peer and its own name for a prompt name the client uses. */
  const routePrompt = (name: string): { served: ServedPeer; name: string } => {
    const peers = scope.offering('prompts');
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
      const peers = scope.offering('prompts');
      if (!prefixed) {
        const only = peers[0];
        if (only === undefined) throw unavailable('prompts');
        return (await forwardTo(only, 'prompts/list', request.params, extra.signal)) as never;
      }
      return (await mergedList(
        logger,
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
      return (await forwardTo(
        served,
        'prompts/get',
        { ...request.params, name },
        extra.signal,
      )) as never;
    });
  }

  if (capabilities.completions !== undefined) {
    server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
      const ref = request.params.ref as Record<string, unknown>;
      const peers = scope.offering('completions');
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
        const owner = resources.templates.get(ref.uri)?.plugin ?? resources.owners.get(ref.uri);
        served = peers.find((p) => p.plugin === owner);
      }
      if (served === undefined || !offers(served.peer, 'completions')) {
        // Nothing to complete from: no values, as MCP allows.
        return { completion: { values: [], hasMore: false } } as never;
      }
      return (await forwardTo(served, 'completion/complete', params, extra.signal)) as never;
    });
  }
}
