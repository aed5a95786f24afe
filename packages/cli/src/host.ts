import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { loadKindSpec } from '@dagstack/hookspec-codegen';
import type { KindSpec, LogFields, Logger, RuntimeAdapter } from '@dagstack/plugin-api';
import { createStderrLogger, type LogLevel, PluginRegistry } from '@dagstack/plugin-registry';
import { createStandardResources } from '@dagstack/plugin-resources';
import { createMcpHttpRuntime } from '@dagstack/plugin-runtime-mcp-http';
import { createMcpStdioRuntime } from '@dagstack/plugin-runtime-mcp-stdio';
import { KIND_SPEC as ORCHESTRATOR_V1 } from '@dagstack/plugin-system/kinds/orchestrator/v1';
import { KIND_SPEC as TOOL_V1 } from '@dagstack/plugin-system/kinds/tool/v1';
import { inCliTerms } from './cli-terms.js';
import { type CliIo, masked, UsageError } from './io.js';
import { firstProblem } from './report.js';

/** The kinds every command knows without `--kinds`. */
export const BUILT_IN_KINDS: readonly KindSpec[] = [TOOL_V1, ORCHESTRATOR_V1];

/** Options shared by the commands that start a registry. */
export interface HostOptions {
  readonly io: CliIo;
  /** Folders of kind YAMLs (`--kinds`), searched recursively for `*.yaml`. */
  readonly kindDirs?: readonly string[];
  /**
   * Lowest level of the log lines written to stderr (`--log-level`): JSON
   * lines, or one readable line each when stderr is a terminal.
   * @default "warn"
   */
  readonly logLevel?: LogLevel;
  /** Runtime adapters besides the in-process one. @default the mcp_stdio and mcp_http runtimes */
  readonly runtimes?: readonly RuntimeAdapter[];
  /** The command, for the prefix of the lines the host prints (`dagstack-plugins list: ...`). */
  readonly command?: string;
  /** `--json`: what the host tells the user goes to the log (stderr), never as prose. */
  readonly json?: boolean;
}

/** A registry with the built-in and `--kinds` hookspecs, and the standard resources. */
export interface Host {
  readonly registry: PluginRegistry;
  readonly kinds: ReadonlyMap<string, KindSpec>;
  readonly logger: Logger;
  /**
   * Register the plugins of the folders `dirs` (relative to the CLI's working
   * folder), of the `plugins_registry/` folder in each, and of
   * `DAGSTACK_REMOTE_PLUGINS`. Returns how many entries were found.
   */
  discover(dirs: readonly string[]): Promise<number>;
  /**
   * Tell the user something on stderr: one line `dagstack-plugins <command>:
   * <text>`, or with `--json` a log record at `info`.
   */
  notice(text: string, fields?: LogFields): void;
  /**
   * Warn the user on stderr: one line `dagstack-plugins <command>: warning:
   * <text>`, or with `--json` a log record at `warn`. Shown at the default log
   * level; `--log-level error` hides it.
   */
  warn(text: string, fields?: LogFields): void;
  /**
   * Warn once for every manifest discovery skipped (invalid, unreadable,
   * refused): `skipped <file>: <first problem>`. Returns them all.
   */
  warnSkipped(): ReturnType<PluginRegistry['discoveryFailures']>;
  /** Stop every plugin and release the resources; never throws. */
  close(): Promise<void>;
}

/** Resolve a command-line path against the CLI's working folder. */
export function resolvePath(io: CliIo, path: string): string {
  return resolve(io.cwd ?? process.cwd(), path);
}

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') out.push(...(await yamlFiles(path)));
    else if (entry.isFile() && /\.ya?ml$/.test(entry.name) && !entry.name.startsWith('.'))
      out.push(path);
  }
  return out;
}

/**
 * Load the kind YAMLs under `dirs` (a file may be given directly). A YAML that
 * is not a hookspec fails with `HookspecInvalid` naming the file.
 */
export async function loadKinds(io: CliIo, dirs: readonly string[]): Promise<KindSpec[]> {
  const specs: KindSpec[] = [];
  for (const dir of dirs) {
    const path = resolvePath(io, dir);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) throw new UsageError(`--kinds ${dir}: no such file or folder`);
    const files = info.isDirectory() ? await yamlFiles(path) : [path];
    for (const file of files) specs.push(await loadKindSpec(file));
  }
  return specs;
}

/** Build a registry for a command. */
export async function createHost(options: HostOptions): Promise<Host> {
  const { io } = options;
  const tty = io.stderr.isTTY === true;
  // Masks each record's fields by key (maskSecrets) itself.
  const logger = createStderrLogger({
    level: options.logLevel ?? 'warn',
    // On a terminal a log line first clears the progress line it would run into.
    stream: {
      isTTY: tty,
      write: (line: string) => io.stderr.write(tty ? `\r\u001b[2K${line}` : line),
    },
    bindings: { source: 'dagstack-plugins' },
  });
  // Every command reports the manifests discovery skipped itself, one warning
  // line each (warnSkipped), so discovery's own warning per failure is logged
  // at debug: printed once, not twice.
  const discoveryLogger: Logger = {
    debug: logger.debug,
    info: logger.info,
    warn: logger.debug,
    error: logger.error,
  };
  const kinds = new Map<string, KindSpec>(BUILT_IN_KINDS.map((k) => [k.kind, k]));
  for (const spec of await loadKinds(io, options.kindDirs ?? [])) kinds.set(spec.kind, spec);
  const standard = createStandardResources({ logger });
  const registry = new PluginRegistry({
    logger,
    resources: standard.resources,
    env: io.env ?? process.env,
    runtimes: options.runtimes ?? [
      createMcpStdioRuntime(),
      createMcpHttpRuntime({ env: io.env ?? process.env }),
    ],
    healthChecks: false,
  });
  for (const spec of kinds.values()) registry.registerKind(spec);
  let closed = false;
  const where = `dagstack-plugins${options.command === undefined ? '' : ` ${options.command}`}`;
  const warns = (options.logLevel ?? 'warn') !== 'error';
  const warned = new Set<string>();
  const warn = (text: string, fields?: LogFields): void => {
    if (options.json === true) logger.warn(inCliTerms(text), fields);
    else if (warns) io.stderr.write(masked(inCliTerms(`${where}: warning: ${text}\n`)));
  };
  return {
    registry,
    kinds,
    logger,
    notice(text, fields) {
      if (options.json === true) logger.info(inCliTerms(text), fields);
      else io.stderr.write(masked(inCliTerms(`${where}: ${text}\n`)));
    },
    warn,
    warnSkipped() {
      const failures = registry.discoveryFailures();
      const cwd = io.cwd ?? process.cwd();
      for (const { path, error } of failures) {
        if (warned.has(path)) continue;
        warned.add(path);
        const problem = firstProblem(error);
        warn(`skipped ${relative(cwd, path) || path}: ${problem}`, {
          path,
          code: error.code,
          problem,
        });
      }
      return failures;
    },
    async discover(dirs) {
      const roots = dirs.map((d) => resolvePath(io, d));
      let found = (await registry.discover(roots, { logger: discoveryLogger })).entries.length;
      // Remote entries: each folder's plugins_registry/, then the environment once.
      for (const dir of roots) {
        found += (await registry.discoverRemote({ dir, env: {}, logger: discoveryLogger })).entries
          .length;
      }
      found += (
        await registry.discoverRemote({ cwd: io.cwd ?? process.cwd(), logger: discoveryLogger })
      ).entries.length;
      return found;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await registry.teardownAll();
      } catch (error) {
        logger.warn('teardown reported errors', { error: String(error) });
      }
      registry.close();
      await standard.close();
    },
  };
}
