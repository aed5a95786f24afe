import type { PluginState } from '@dagstack/plugin-api';
import { createHost, type HostOptions } from '../host.js';
import {
  type CliIo,
  EXIT,
  errorJson,
  masked,
  progress,
  table,
  UsageError,
  writeJson,
} from '../io.js';

/** Usage of `list`. */
export const LIST_USAGE = `dagstack-plugins list <dir>... [--setup] [--kinds <dir>]... [--json]

Discovers plugin folders under each <dir> (and the remote manifests of
<dir>/plugins_registry/ and DAGSTACK_REMOTE_PLUGINS) and reports them. With --setup every
plugin this host can run is started (dependency order) and then stopped, so the
state column shows whether it really starts.
Exit codes: 0 everything found (and, with --setup, started), 1 a folder failed
discovery or a plugin did not start, 2 usage error.
`;

/** One plugin row of `list --json`. */
export interface ListedPlugin {
  /** The plugin's name. */
  readonly name: string;
  /** The plugin's kind. */
  readonly kind: string;
  /** The runtime chosen, else the declared runtimes joined with `+`; `null` if neither is known. */
  readonly runtime: string | null;
  /** The manifest's priority; 0 when there is no manifest. */
  readonly priority: number;
  /** The plugin's state. */
  readonly state: PluginState;
  /** Message of the error that made the plugin `unavailable` or `degraded`, else `null`. */
  readonly reason: string | null;
  /** Where the manifest came from: a file path, or `inline`. */
  readonly source: string;
}

/** `dagstack-plugins list`. */
export async function listCommand(
  io: CliIo,
  dirs: readonly string[],
  options: { json: boolean; setup: boolean } & Omit<HostOptions, 'io'>,
): Promise<number> {
  if (dirs.length === 0) throw new UsageError('list needs at least one folder');
  const host = await createHost({ io, ...options });
  const show = progress(io);
  try {
    show.update(`discovering plugins under ${dirs.join(', ')}…`);
    const found = await host.discover(dirs);
    if (options.setup) {
      show.update(`starting ${found} plugin(s)…`);
      await host.registry.setupAll();
    }
    const manifests = new Map(host.registry.listManifests().map((m) => [`${m.kind}/${m.name}`, m]));
    const plugins: ListedPlugin[] = host.registry.status().map((row) => {
      const key = `${row.kind}/${row.name}`;
      const manifest = manifests.get(key);
      return {
        name: row.name,
        kind: row.kind,
        runtime: row.runtime ?? manifest?.runtime.join('+') ?? null,
        priority: manifest?.priority ?? 0,
        state: row.state,
        reason: row.error?.message ?? null,
        source: row.source,
      };
    });
    const failures = host.registry
      .discoveryFailures()
      .map((f) => ({ path: f.path, error: errorJson(f.error) }));
    const failedToStart = options.setup
      ? plugins.filter((p) => p.state !== 'ready' && p.state !== 'degraded').length
      : 0;
    show.done();
    if (options.json) {
      writeJson(io, { plugins, failures });
    } else {
      io.stdout.write(
        table(
          ['kind', 'name', 'runtime', 'priority', 'state', 'reason'],
          plugins.map((p) => [
            p.kind,
            p.name,
            p.runtime ?? '-',
            String(p.priority),
            p.state,
            p.reason ?? '',
          ]),
        ),
      );
      for (const f of failures) {
        io.stdout.write(masked(`failed: ${f.path}: ${String(f.error.message)}\n`));
      }
      io.stdout.write(
        `${plugins.length} plugin(s), ${failures.length} failure(s)${options.setup ? `, ${failedToStart} did not start` : ''}\n`,
      );
    }
    return failures.length > 0 || failedToStart > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    show.done();
    await host.close();
  }
}
