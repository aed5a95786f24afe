import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { delimiter, dirname, extname, join, resolve } from 'node:path';
import {
  DiscoveryError,
  type Logger,
  type ManifestProblem,
  NOOP_LOGGER,
} from '@dagstack/plugin-api';
import { loadManifest, type ManifestResult, validateManifest } from '@dagstack/plugin-manifest';
import {
  compareStrings,
  type DiscoveryEntry,
  type DiscoveryFailure,
  type DiscoveryResult,
  type DiscoverySource,
  manifestFailure,
  rejectDuplicates,
} from './discover.js';
import { drainQueue } from './pool.js';

/**
 * Options of {@link discoverPackages}.
 * @since 0.1.0
 */
export interface DiscoverPackagesOptions {
  /** The `node_modules` folder to scan. @default `<projectDir>/node_modules` */
  nodeModules?: string;
  /** package.json files read at once. @default 16 */
  concurrency?: number;
  /** Receives a warning per failure. @default NOOP_LOGGER */
  logger?: Logger;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

async function listDirs(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort(compareStrings);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw error;
  }
}

function entryFrom(
  result: ManifestResult & { ok: true },
  dir: string,
  source: DiscoverySource,
  notes: ManifestProblem[] = [],
): DiscoveryEntry {
  return { manifest: result.manifest, dir, source, warnings: [...result.warnings, ...notes] };
}

/**
 * Find installed npm packages that declare a dagstack manifest in their
 * `package.json` (`"dagstack": { "manifest": "./dagstack-plugin.toml" }` or an
 * inline manifest), scoped packages included (ADR-0001 §Discovery sources,
 * native package convention). Linked packages (pnpm) are read at their real
 * path. A project without `node_modules` yields nothing.
 * @since 0.1.0
 */
export async function discoverPackages(
  projectDir: string,
  options: DiscoverPackagesOptions = {},
): Promise<DiscoveryResult> {
  const project = resolve(projectDir);
  try {
    await stat(project);
  } catch {
    throw new DiscoveryError('the project folder does not exist', {
      path: project,
      reason: 'root_missing',
    });
  }
  const nodeModules = resolve(project, options.nodeModules ?? 'node_modules');
  const packageDirs: string[] = [];
  for (const name of await listDirs(nodeModules)) {
    if (name.startsWith('@')) {
      for (const scoped of await listDirs(join(nodeModules, name)))
        packageDirs.push(join(nodeModules, name, scoped));
    } else {
      packageDirs.push(join(nodeModules, name));
    }
  }

  const results = new Map<
    string,
    { dir: string; result?: ManifestResult; failure?: DiscoveryFailure }
  >();
  await drainQueue(packageDirs, Math.max(1, options.concurrency ?? 16), async (dir) => {
    const file = join(dir, 'package.json');
    let declares = false;
    try {
      const doc: unknown = JSON.parse(await readFile(file, 'utf8'));
      declares = isObject(doc) && doc.dagstack !== undefined;
    } catch {
      return; // not a package, or not ours to judge: only dagstack packages are reported
    }
    if (!declares) return;
    const real = await realpath(dir);
    if (results.has(real)) return;
    results.set(real, { dir: real, result: await loadManifest(join(real, 'package.json')) });
  });

  const entries: DiscoveryEntry[] = [];
  const failures: DiscoveryFailure[] = [];
  for (const { dir, result } of [...results.values()].sort((a, b) =>
    compareStrings(a.dir, b.dir),
  )) {
    if (result === undefined) continue;
    if (result.ok) entries.push(entryFrom(result, dir, 'package'));
    else failures.push(manifestFailure(result, dir));
  }
  const unique = rejectDuplicates(entries, failures);
  const logger = options.logger ?? NOOP_LOGGER;
  for (const f of failures)
    logger.warn('plugin package failure', { path: f.path, error: f.error.message });
  return { entries: unique, failures, scanned: packageDirs.length };
}

/**
 * The environment variable listing out-of-process plugins.
 * @since 0.1.0
 */
export const REMOTE_PLUGINS_ENV = 'DAGSTACK_REMOTE_PLUGINS';

/**
 * Options of {@link discoverRemote}.
 * @since 0.1.0
 */
export interface DiscoverRemoteOptions {
  /** Folder whose `plugins_registry/` holds one manifest file per remote plugin. */
  dir?: string;
  /**
   * Environment to read {@link REMOTE_PLUGINS_ENV} from. Its value is either a
   * JSON manifest or JSON array of manifests, or a list of manifest files and
   * folders of manifest files separated by the platform's path delimiter.
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base for relative paths in the environment variable. @default process.cwd() */
  cwd?: string;
  /** Receives a warning per failure. @default NOOP_LOGGER */
  logger?: Logger;
}

const MANIFEST_EXTENSIONS = new Set(['.toml', '.json']);

async function manifestFilesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory() && MANIFEST_EXTENSIONS.has(extname(e.name)))
    .map((e) => join(dir, e.name))
    .sort(compareStrings);
}

/** Remote entries must be runnable without local code: an MCP runtime. */
function remoteCheck(entry: DiscoveryEntry): DiscoveryFailure | undefined {
  if (entry.manifest.runtime.some((r) => r === 'mcp_stdio' || r === 'mcp_http')) return undefined;
  return {
    path: entry.manifest.source,
    error: new DiscoveryError(
      'an out-of-process registry entry must use the mcp_stdio or mcp_http runtime',
      {
        path: entry.manifest.source,
        plugin: entry.manifest.name,
        reason: 'not_remote',
        hint: 'in-process plugins are discovered from their folders; declare runtime = "mcp_stdio" or "mcp_http"',
      },
    ),
  };
}

/**
 * Find out-of-process plugins declared in `<dir>/plugins_registry/*.toml|json`
 * and in the {@link REMOTE_PLUGINS_ENV} environment variable (ADR-0001
 * §Discovery sources, manifest registry). Every entry must use an MCP runtime.
 * A missing `plugins_registry` folder or an unset variable yields nothing.
 * @since 0.1.0
 */
export async function discoverRemote(
  options: DiscoverRemoteOptions = {},
): Promise<DiscoveryResult> {
  const entries: DiscoveryEntry[] = [];
  const failures: DiscoveryFailure[] = [];
  let scanned = 0;
  const take = (
    result: ManifestResult,
    dir: string,
    source: DiscoverySource,
    path: string,
  ): void => {
    scanned += 1;
    if (!result.ok) {
      failures.push(manifestFailure(result, path));
      return;
    }
    const entry = entryFrom(result, dir, source);
    const notRemote = remoteCheck(entry);
    if (notRemote === undefined) entries.push(entry);
    else failures.push(notRemote);
  };

  if (options.dir !== undefined) {
    const registryDir = join(resolve(options.dir), 'plugins_registry');
    let files: string[] = [];
    try {
      files = await manifestFilesIn(registryDir);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'ENOENT') {
        failures.push({
          path: registryDir,
          error: new DiscoveryError(`cannot read the folder (${code ?? 'error'})`, {
            path: registryDir,
            reason: 'unreadable',
          }),
        });
      }
    }
    for (const file of files) take(await loadManifest(file), dirname(file), 'registry-file', file);
  }

  const value = (options.env ?? process.env)[REMOTE_PLUGINS_ENV]?.trim();
  if (value !== undefined && value !== '') {
    const cwd = resolve(options.cwd ?? process.cwd());
    if (value.startsWith('{') || value.startsWith('[')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch (error) {
        failures.push({
          path: `env:${REMOTE_PLUGINS_ENV}`,
          error: new DiscoveryError(
            `is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
            {
              path: `env:${REMOTE_PLUGINS_ENV}`,
              reason: 'unreadable',
              hint: 'set it to a JSON manifest, a JSON array of manifests, or a list of manifest paths',
            },
          ),
        });
      }
      const list = Array.isArray(parsed) ? parsed : parsed === undefined ? [] : [parsed];
      list.forEach((manifest, i) => {
        const source = `env:${REMOTE_PLUGINS_ENV}[${i}]`;
        // The form of a dagstack.json file ({ "plugin": { ... } }) is accepted too.
        const table =
          isObject(manifest) && Object.keys(manifest).length === 1 && isObject(manifest.plugin)
            ? manifest.plugin
            : manifest;
        take(validateManifest(table, { source }), cwd, 'env', source);
      });
    } else {
      for (const item of value.split(delimiter).filter((p) => p.trim() !== '')) {
        const path = resolve(cwd, item.trim());
        let files: string[];
        try {
          files = (await stat(path)).isDirectory() ? await manifestFilesIn(path) : [path];
        } catch {
          failures.push({
            path,
            error: new DiscoveryError(`${REMOTE_PLUGINS_ENV} names a path that does not exist`, {
              path,
              reason: 'root_missing',
            }),
          });
          continue;
        }
        for (const file of files) take(await loadManifest(file), dirname(file), 'env', file);
      }
    }
  }

  const unique = rejectDuplicates(entries, failures);
  const logger = options.logger ?? NOOP_LOGGER;
  for (const f of failures)
    logger.warn('remote plugin failure', { path: f.path, error: f.error.message });
  return { entries: unique, failures, scanned };
}
