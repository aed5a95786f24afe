// The types shared by the modules of the host-side plugin handle: the
// resolved runtime settings, where a handle and its circuit breaker stand,
// and the record of one live MCP session. Types only: no runtime code, no
// imports from the package's other modules but types.
import type { ServerRequestHandlers, SetupParams, WireSession } from '@dagstack/plugin-mcp-wire';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { HttpFetch } from './http-exchange.js';

/** Everything a handle needs besides the manifest (runtime options, resolved). */
export interface HttpSettings {
  readonly maxMessageBytes: number;
  readonly callTimeoutMs: number | undefined;
  readonly retryAttempts: number | undefined;
  readonly retryInitialDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly breakerThreshold: number | undefined;
  readonly breakerCooldownMs: number | undefined;
  readonly reconnectInitialDelayMs: number;
  readonly reconnectMaxDelayMs: number;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly serverRequests: ServerRequestHandlers | undefined;
}

/** Where a handle stands. `down`: no usable service; calls fail fast while it reconnects. */
export type ConnectionState = 'idle' | 'up' | 'down' | 'stopping' | 'stopped';

/** The circuit breaker's position (`half_open`: a trial is in flight). */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** One MCP session with the service, on its own transport and fetch. */
export interface Live {
  readonly client: Client;
  /** Streamable HTTP, or the deprecated HTTP+SSE transport of a service that speaks only that. */
  readonly transport: StreamableHTTPClientTransport | SSEClientTransport;
  readonly http: HttpFetch;
  readonly session: WireSession;
  /** The setup parameters the plugin was last set up with on this session. */
  setupFor: SetupParams | undefined;
}
