import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadKindSpec } from '@dagstack/hookspec-codegen';
import type { KindSpec, Logger, RuntimeAdapter } from '@dagstack/plugin-api';
import { createStderrLogger, type LogLevel, PluginRegistry } from '@dagstack/plugin-registry';
import { createStandardResources } from '@dagstack/plugin-resources';
import { createMcpHttpRuntime } from '@dagstack/plugin-runtime-mcp-http';
import { createMcpStdioRuntime } from '@dagstack/plugin-runtime-mcp-stdio';
import { KIND_SPEC as ORCHESTRATOR_V1 } from '@dagstack/plugin-system/kinds/orchestrator/v1';
import { KIND_SPEC as TOOL_V1 } from '@dagstack/plugin-system/kinds/tool/v1';
import type { CliIo } from './io.js';
import { UsageError } from './io.js';

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
  // Every command reports the manifests discovery skipped in its own words
  // (list's failures, "call: skipped", "serve: skipped"), so discovery's own
  // warning per failure is logged at debug: printed once, not twice.
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
  return {
    registry,
    kinds,
    logger,
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
