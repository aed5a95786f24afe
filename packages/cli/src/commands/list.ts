import { relative } from 'node:path';
import type { PluginState } from '@dagstack/plugin-api';
import { inCliTerms } from '../cli-terms.js';
import { createHost, type HostOptions } from '../host.js';
import {
  CliError,
  type CliIo,
  EXIT,
  errorJson,
  masked,
  progress,
  table,
  UsageError,
  writeReport,
} from '../io.js';
import { bareMessage, problemLines } from '../report.js';

/** Usage of `list`. */
export const LIST_USAGE = `dagstack-plugins list <dir>... [--setup] [--kinds <dir>]... [--json]

Discovers plugin folders under each <dir> (and the remote manifests of
<dir>/plugins_registry/ and DAGSTACK_REMOTE_PLUGINS) and reports them. With --setup every
plugin this host can run is started (dependency order) and then stopped, so the
state column shows whether it really starts. A manifest that was skipped is
listed after the table, one problem per line, and warned about on stderr.
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
  if (dirs.length === 0) throw new UsageError('missing <dir> (a folder of plugins)');
  const host = await createHost({ io, ...options, command: 'list' });
  const show = progress(io);
  try {
    show.update(`discovering plugins under ${dirs.join(', ')}…`);
    const found = await host.discover(dirs);
    show.done();
    const skipped = host.warnSkipped();
    if (options.setup) {
      show.update(`starting ${found} plugin(s)…`);
      await host.registry.setupAll();
    }
    const manifests = new Map(host.registry.listManifests().map((m) => [`${m.kind}/${m.name}`, m]));
    const rows = host.registry.status();
    const plugins: ListedPlugin[] = rows.map((row) => {
      const key = `${row.kind}/${row.name}`;
      const manifest = manifests.get(key);
      return {
        name: row.name,
        kind: row.kind,
        runtime: row.runtime ?? manifest?.runtime.join('+') ?? null,
        priority: manifest?.priority ?? 0,
        state: row.state,
        reason: row.error === undefined ? null : inCliTerms(row.error.message),
        source: row.source,
      };
    });
    const failedToStart = options.setup
      ? plugins.filter((p) => p.state !== 'ready' && p.state !== 'degraded').length
      : 0;
    show.done();
    const summary = `${plugins.length} plugin(s), ${skipped.length} failure(s)${options.setup ? `, ${failedToStart} did not start` : ''}`;
    const error =
      skipped.length > 0
        ? new CliError(
            'DISCOVERY_FAILED',
            `${skipped.length} manifest(s) skipped: ${summary}`,
            'fix the manifests listed in failures',
          )
        : failedToStart > 0
          ? new CliError(
              'SETUP_FAILED',
              `${failedToStart} plugin(s) did not start: ${summary}`,
              'see the reason of each plugin that is not ready',
            )
          : undefined;
    if (options.json) {
      writeReport(io, error, {
        plugins,
        failures: skipped.map((f) => ({ path: f.path, error: errorJson(f.error) })),
      });
    } else {
      io.stdout.write(
        table(
          ['kind', 'name', 'runtime', 'priority', 'state', 'reason'],
          // The row names the plugin: the reason without its location, with its hint.
          plugins.map((p, i) => {
            const why = rows[i]?.error;
            return [
              p.kind,
              p.name,
              p.runtime ?? '-',
              String(p.priority),
              p.state,
              why === undefined
                ? ''
                : inCliTerms(
                    `${bareMessage(why)}${why.hint === undefined ? '' : ` Hint: ${why.hint}`}`,
                  ),
            ];
          }),
        ),
      );
      const cwd = io.cwd ?? process.cwd();
      // One problem per line under the file, which is named once.
      for (const { path, error: why } of skipped) {
        const lines = [
          `failed: ${relative(cwd, path) || path} (${why.code})`,
          ...problemLines(why).map((line) => `  ${line}`),
          ...(why.hint === undefined ? [] : [`  hint: ${inCliTerms(why.hint)}`]),
        ];
        io.stdout.write(masked(`${lines.join('\n')}\n`));
      }
      io.stdout.write(`${summary}\n`);
    }
    return error === undefined ? EXIT.ok : EXIT.failed;
  } finally {
    show.done();
    await host.close();
  }
}
