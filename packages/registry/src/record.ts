/**
 * The registry's per-plugin record, shared by registry.ts and the modules it
 * delegates to (health.ts, states.ts, audit.ts, context.ts).
 *
 * Owns: the `PluginRecord` shape and the `kind/name` key. A leaf module: it
 * imports only types from packages, never another file of this package.
 */

import type {
  HealthStatus,
  ManifestProblem,
  PluginHandle,
  PluginManifest,
  PluginRegistryError,
  PluginState,
  Runtime,
  RuntimeReportedState,
} from '@dagstack/plugin-api';
import type { InFlightCalls } from '@dagstack/plugin-dispatch';

export interface PluginRecord {
  manifest: PluginManifest;
  /** Made `unavailable` by its runtime's own report; a later report may revive it. */
  runtimeDown?: boolean;
  /** The last state its runtime reported while it was starting. */
  startReport?:
    | { state: RuntimeReportedState; reason: PluginRegistryError | undefined }
    | undefined;
  readonly key: string;
  dir: string | undefined;
  state: PluginState;
  runtime: Runtime | undefined;
  handle: PluginHandle | undefined;
  attached: object | undefined;
  error: PluginRegistryError | undefined;
  untrusted: boolean;
  contentHash: string | undefined;
  warnings: ManifestProblem[];
  readonly inFlight: InFlightCalls;
  readonly configListeners: Set<(config: Readonly<Record<string, unknown>>) => void>;
  config: Readonly<Record<string, unknown>>;
  health: HealthStatus | undefined;
  healthFailures: number;
  healthTimer: ReturnType<typeof setInterval> | undefined;
  /** Made `unavailable` by failing health checks (polling goes on; an `ok` brings it back). */
  healthDown: boolean;
}

/** A record's key in the registry: `kind/name`. */
export const keyOf = (kind: string, name: string): string => `${kind}/${name}`;
