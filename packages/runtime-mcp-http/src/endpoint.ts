// The service a handle talks to, as the manifest names it: its URL, the
// headers every request carries (a token's credentials among them, from
// auth.token or the environment variable auth.token_env names), or the
// OAuth client credentials that fetch the token per request
// (client-credentials.ts), the secrets to redact from what the service says,
// and the keep-alive agent, TLS options included, that every session of the
// handle shares. Resolved once, when the handle is made; it opens no
// connection (connection.ts uses it, and closes it).
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  type Logger,
  type McpHttpSpec,
  PluginLoadError,
  type PluginManifest,
} from '@dagstack/plugin-api';
import { ClientCredentials, clientCredentialsOf } from './client-credentials.js';

/** Where and how a handle reaches its service. Holds the credentials: never logged. */
export interface Endpoint {
  readonly url: URL;
  /** Sent with every request, lower-case names, a fixed token's credentials included. */
  readonly headers: Record<string, string>;
  /** The OAuth client credentials, when the manifest's auth is the client-credentials grant. */
  readonly credentials: ClientCredentials | undefined;
  /** The secrets to redact from remote text: the token, or the client secret and latest tokens. */
  secrets(): readonly string[];
  /** What to do when the service refuses the credentials (401/403). */
  readonly refusedHint: string;
  readonly agent: HttpAgent | HttpsAgent;
  /** Drop the agent's connections and cut a token request in flight. */
  close(): void;
}

/**
 * Resolve the endpoint of `manifest`'s `[plugin.mcp_http]`; `env` is where
 * `auth.token_env` (or the client id and secret) is read. Throws
 * `PluginLoadError` when a credential is missing.
 */
export function resolveEndpoint(
  manifest: PluginManifest,
  spec: McpHttpSpec,
  env: Readonly<Record<string, string | undefined>>,
  logger: Logger,
): Endpoint {
  const url = new URL(spec.url);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.headers)) headers[name.toLowerCase()] = value;
  const auth = spec.auth;
  const oauth = clientCredentialsOf(auth);
  // The CA bundle is read only when something is reached over https.
  const https = url.protocol === 'https:' || oauth?.token_url?.startsWith('https:') === true;
  const tls = {
    rejectUnauthorized: spec.tls_verify,
    ...(spec.tls_ca_bundle === undefined || !https ? {} : { ca: readFileSync(spec.tls_ca_bundle) }),
  };
  let credentials: ClientCredentials | undefined;
  let secret: string | undefined;
  let refusedHint = 'check the token the manifest gives for this service';
  if (oauth !== undefined) {
    credentials = new ClientCredentials(manifest, oauth, env, tls, logger);
    refusedHint = credentials.refusedHint;
  } else if (auth !== undefined) {
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
    if (auth.token_env !== undefined) refusedHint = `check the token in ${auth.token_env}`;
  }
  const agentOptions = {
    keepAlive: true,
    maxSockets: 64,
    ...(url.protocol === 'https:' ? tls : {}),
  };
  const agent =
    url.protocol === 'https:' ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const fixed: readonly string[] = secret === undefined ? [] : [secret];
  return {
    url,
    headers,
    credentials,
    secrets: () => credentials?.secrets() ?? fixed,
    refusedHint,
    agent,
    close: () => {
      credentials?.close();
      agent.destroy();
    },
  };
}
