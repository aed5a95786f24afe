// The service a handle talks to, as the manifest names it: its URL, the
// headers every request carries (the credentials among them, from
// auth.token or the environment variable auth.token_env names), the secret to
// redact from what the service says, and the keep-alive agent, TLS options
// included, that every session of the handle shares. Resolved once, when the
// handle is made; it opens no connection and keeps no state (connection.ts
// uses it, and destroys the agent on close).
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { type McpHttpSpec, PluginLoadError, type PluginManifest } from '@dagstack/plugin-api';

/** Where and how a handle reaches its service. Holds the credentials: never logged. */
export interface Endpoint {
  readonly url: URL;
  /** Sent with every request, lower-case names, credentials included. */
  readonly headers: Record<string, string>;
  /** The token, when the manifest gives `auth`: redacted from remote text. */
  readonly secret: string | undefined;
  readonly agent: HttpAgent | HttpsAgent;
}

/**
 * Resolve the endpoint of `manifest`'s `[plugin.mcp_http]`; `env` is where
 * `auth.token_env` is read. Throws `PluginLoadError` when the token is
 * missing.
 */
export function resolveEndpoint(
  manifest: PluginManifest,
  spec: McpHttpSpec,
  env: Readonly<Record<string, string | undefined>>,
): Endpoint {
  const url = new URL(spec.url);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.headers)) headers[name.toLowerCase()] = value;
  const auth = spec.auth;
  let secret: string | undefined;
  if (auth !== undefined) {
    secret = auth.token_env === undefined ? auth.token : env[auth.token_env];
    if (secret === undefined || secret === '') {
      throw new PluginLoadError(
        auth.token_env === undefined
          ? 'the mcp_http auth has no token'
          : `the environment variable ${auth.token_env} named by the mcp_http auth token_env is not set`,
        {
          plugin: manifest.name,
          kind: manifest.kind,
          path: manifest.source,
          hint:
            auth.token_env === undefined
              ? 'name the environment variable that holds the token in [plugin.mcp_http] auth.token_env'
              : `set ${auth.token_env} in the host's environment`,
        },
      );
    }
    headers[auth.header.toLowerCase()] = auth.scheme === null ? secret : `${auth.scheme} ${secret}`;
  }
  const tls =
    url.protocol === 'https:'
      ? {
          rejectUnauthorized: spec.tls_verify,
          ...(spec.tls_ca_bundle === undefined ? {} : { ca: readFileSync(spec.tls_ca_bundle) }),
        }
      : {};
  const agentOptions = { keepAlive: true, maxSockets: 64, ...tls };
  const agent =
    url.protocol === 'https:' ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  return { url, headers, secret, agent };
}
