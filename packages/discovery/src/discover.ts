import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import {
  AmbiguousPlugin,
  DiscoveryError,
  type DiscoveryFailureReason,
  type Logger,
  ManifestInvalid,
  type ManifestProblem,
  NOOP_LOGGER,
  type PluginManifest,
  type PluginRegistryError,
} from '@dagstack/plugin-api';
import {
  findManifestFile,
  loadManifest,
  MANIFEST_FILE_NAMES,
  type ManifestResult,
} from '@dagstack/plugin-manifest';
import { compileIgnore } from './ignore.js';
import { drainQueue } from './pool.js';

/**
 * Where an entry was found.
 * @since 0.1.0
 */
export type DiscoverySource = 'directory' | 'package' | 'registry-file' | 'env';

/**
 * One plugin found, with its validated manifest.
 * @since 0.1.0
 */
export interface DiscoveryEntry {
  /** The plugin's validated, normalised manifest. */
  readonly manifest: PluginManifest;
  /** The plugin folder (real path): entry points and relative commands resolve against it. */
  readonly dir: string;
  /** How the plugin was found. */
  readonly source: DiscoverySource;
  /** Manifest warnings and discovery notes (shadowed files, aliases through links). */
  readonly warnings: readonly ManifestProblem[];
}

/**
 * A path that did not yield a plugin, and why. Never thrown: collected.
 * @since 0.1.0
 */
export interface DiscoveryFailure {
  /** The folder or manifest file that failed. */
  readonly path: string;
  /** Why it failed (a `DiscoveryError`, `ManifestInvalid`, `AmbiguousPlugin`, ...). */
  readonly error: PluginRegistryError;
}

/**
 * What a discovery pass found.
 * @since 0.1.0
 */
export interface DiscoveryResult {
  /** Plugins found, in a deterministic order (root order, then path). */
  readonly entries: readonly DiscoveryEntry[];
  /** Paths that failed, in a deterministic order. */
  readonly failures: readonly DiscoveryFailure[];
  /** Number of folders read. */
  readonly scanned: number;
}

/**
 * Folder names skipped unless `ignore` is given.
 * @since 0.1.0
 */
export const DEFAULT_IGNORE: readonly string[] = Object.freeze([
  'node_modules',
  '.git',
  '.hg',
  '.svn',
  'dist',
  'build',
  'coverage',
  '.turbo',
  '.cache',
  '__pycache__',
  '.venv',
  'venv',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
  '.tox',
]);

/**
 * Options of {@link discover}.
 * @since 0.1.0
 */
export interface DiscoverOptions {
  /** Search below the roots' direct sub-folders too. @default true */
  recursive?: boolean;
  /**
   * Folders to skip, replacing the defaults (spread `DEFAULT_IGNORE` to
   * extend them): a name (`node_modules`), a name glob (`*.draft`, `tmp?`),
   * or a path glob below the root (`experimental/*`, `fixtures/**`; `*`
   * stays within one folder name, `**` spans any number of folders).
   * @default DEFAULT_IGNORE
   */
  ignore?: readonly string[];
  /**
   * Follow symlinked folders that stay inside a root (loops are reported).
   * When false, each symlinked folder is a `symlink_refused` failure.
   * @default true
   */
  followSymlinks?: boolean;
  /** Folders read at once. @default 16 */
  concurrency?: number;
  /** Deepest folder level searched below a root. @default 32 */
  maxDepth?: number;
  /** Aborts the pass; the returned promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Receives a warning per failure and a debug summary. @default NOOP_LOGGER */
  logger?: Logger;
}

interface Task {
  readonly path: string;
  readonly real: string;
  readonly depth: number;
  /** Real paths from the root to here, for loop detection through links. */
  readonly chain: readonly string[];
  readonly rootIndex: number;
  /** Reached by following a symlink. */
  readonly viaLink: boolean;
}

interface Found {
  readonly path: string;
  readonly real: string;
  readonly rootIndex: number;
  readonly viaLink: boolean;
  readonly result: ManifestResult;
}

const isInside = (parent: string, child: string): boolean =>
  child === parent || child.startsWith(parent.endsWith(sep) ? parent : `${parent}${sep}`);

/** Compare by UTF-16 code units: the same order on every machine and locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function failure(
  path: string,
  reason: DiscoveryFailureReason,
  message: string,
  hint?: string,
): DiscoveryFailure {
  return {
    path,
    error: new DiscoveryError(message, { path, reason, ...(hint === undefined ? {} : { hint }) }),
  };
}

/** A failure for a manifest that did not validate. */
export function manifestFailure(
  result: ManifestResult & { ok: false },
  path: string,
): DiscoveryFailure {
  return {
    path,
    error: new ManifestInvalid({
      problems: result.problems,
      path: result.source,
      ...(result.name === undefined ? {} : { plugin: result.name }),
    }),
  };
}

/**
 * Remove every entry whose `(kind, name)` is declared more than once, and
 * report each copy as an {@link AmbiguousPlugin} failure naming all paths.
 */
export function rejectDuplicates(
  entries: readonly DiscoveryEntry[],
  failures: DiscoveryFailure[],
): DiscoveryEntry[] {
  const byKey = new Map<string, DiscoveryEntry[]>();
  for (const entry of entries) {
    const key = `${entry.manifest.kind}\u0000${entry.manifest.name}`;
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [entry]);
    else list.push(entry);
  }
  const kept: DiscoveryEntry[] = [];
  for (const entry of entries) {
    const same = byKey.get(
      `${entry.manifest.kind}\u0000${entry.manifest.name}`,
    ) as DiscoveryEntry[];
    if (same.length === 1) {
      kept.push(entry);
      continue;
    }
    failures.push({
      path: entry.manifest.source,
      error: new AmbiguousPlugin({
        kind: entry.manifest.kind,
        plugin: entry.manifest.name,
        path: entry.manifest.source,
        candidates: same.map((e) => e.manifest.source),
        reason: 'duplicate_name',
      }),
    });
  }
  return kept;
}

/**
 * Find plugin folders below one or more roots (ADR-0006). A folder holding a
 * manifest is a plugin and is not searched further. Never throws for one bad
 * plugin: invalid manifests, unreadable folders, symlink loops and duplicate
 * names become `failures`. Throws {@link DiscoveryError} only when a root is
 * missing or is not a folder.
 *
 * Order is deterministic: roots in the order given, then paths in code-unit
 * order. A folder reachable through a link is read once; the alias is noted
 * as a warning on the entry.
 *
 * Manifests are read with `loadManifest`, which parses and validates large
 * files (32 K characters or more) on a worker thread: one hostile manifest
 * (1 MiB of unknown keys) does not block the event loop, and its failure lists
 * at most 100 problems.
 * @since 0.1.0
 */
export function discover(
  roots: string | readonly string[],
  options?: DiscoverOptions,
): Promise<DiscoveryResult>;
/**
 * The docs' form: discover plugin folders below `roots` and register every
 * valid one in `registry` (what `registry.discover(roots, options)` does).
 * Returns what was registered and what failed; one bad plugin never throws.
 *
 * ```ts
 * const registry = new PluginRegistry();
 * const result = await discover(registry, 'plugins/', { ignore: ['node_modules', 'dist'] });
 * ```
 * @since 0.2.0
 */
export function discover(
  registry: DiscoveryTarget,
  roots: string | readonly string[],
  options?: DiscoverOptions,
): Promise<DiscoveryResult>;
export function discover(
  first: string | readonly string[] | DiscoveryTarget,
  second?: string | readonly string[] | DiscoverOptions,
  third?: DiscoverOptions,
): Promise<DiscoveryResult> {
  if (isDiscoveryTarget(first)) {
    if (typeof second !== 'string' && !Array.isArray(second)) {
      return Promise.reject(
        new DiscoveryError('discover(registry, roots) needs the folder(s) to search', {
          path: String(second),
          reason: 'root_missing',
          hint: "pass the plugins folder as the second argument, e.g. discover(registry, 'plugins/')",
        }),
      );
    }
    return first.discover(second as string | readonly string[], third);
  }
  return scan(first, (second ?? {}) as DiscoverOptions);
}

/**
 * Anything that registers what a discovery finds: a `PluginRegistry` (its
 * `discover(roots, options)` method). The first argument of the docs' form
 * of {@link discover}.
 * @since 0.2.0
 */
export interface DiscoveryTarget {
  /** Discover below `roots` and register every valid plugin. */
  discover(roots: string | readonly string[], options?: DiscoverOptions): Promise<DiscoveryResult>;
}

function isDiscoveryTarget(value: unknown): value is DiscoveryTarget {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as DiscoveryTarget).discover === 'function'
  );
}

async function scan(
  roots: string | readonly string[],
  options: DiscoverOptions,
): Promise<DiscoveryResult> {
  const rootList = (typeof roots === 'string' ? [roots] : [...roots]).map((r) => resolve(r));
  const ignored = compileIgnore(options.ignore ?? DEFAULT_IGNORE);
  const recursive = options.recursive ?? true;
  const followSymlinks = options.followSymlinks ?? true;
  const maxDepth = options.maxDepth ?? 32;
  const logger = options.logger ?? NOOP_LOGGER;

  const realRoots: string[] = [];
  for (const root of rootList) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(root);
    } catch {
      throw new DiscoveryError('the plugin root does not exist', {
        path: root,
        reason: 'root_missing',
        hint: 'create the folder or pass the right path to discover()',
      });
    }
    if (!info.isDirectory()) {
      throw new DiscoveryError('the plugin root is not a folder', {
        path: root,
        reason: 'not_a_directory',
        hint: 'pass the folder that contains the plugin folders',
      });
    }
    realRoots.push(await realpath(root));
  }

  const found: Found[] = [];
  const failures: (DiscoveryFailure & { rootIndex: number })[] = [];
  let scanned = 0;

  const worker = async (task: Task, enqueue: (next: Task) => void): Promise<void> => {
    let listing: Dirent[];
    try {
      listing = await readdir(task.path, { withFileTypes: true });
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'error';
      failures.push({
        ...failure(
          task.path,
          'unreadable',
          `cannot read the folder (${code})`,
          'fix its permissions or add it to ignore',
        ),
        rootIndex: task.rootIndex,
      });
      return;
    }
    scanned += 1;
    const names = new Set(listing.map((d) => d.name));
    if (
      MANIFEST_FILE_NAMES.some((n) => names.has(n)) &&
      (await findManifestFile(task.path)) !== undefined
    ) {
      found.push({
        path: task.path,
        real: task.real,
        rootIndex: task.rootIndex,
        viaLink: task.viaLink,
        result: await loadManifest(task.path),
      });
      return;
    }
    if (!recursive && task.depth >= 1) return;
    const base = rootList[task.rootIndex] as string;
    for (const dirent of listing) {
      const path = join(task.path, dirent.name);
      if (ignored(dirent.name, relative(base, path).split(sep).join('/'))) continue;
      if (dirent.isDirectory()) {
        const next = {
          path,
          real: join(task.real, dirent.name),
          depth: task.depth + 1,
          rootIndex: task.rootIndex,
          viaLink: task.viaLink,
        };
        if (next.depth > maxDepth) {
          failures.push({
            ...failure(path, 'too_deep', `deeper than ${maxDepth} levels below the root`),
            rootIndex: task.rootIndex,
          });
          continue;
        }
        enqueue({ ...next, chain: [...task.chain, next.real] });
        continue;
      }
      if (!dirent.isSymbolicLink()) continue;
      let target: string;
      try {
        target = await realpath(path);
      } catch {
        failures.push({
          ...failure(
            path,
            'unreadable',
            'the symlink points to nothing',
            'remove the dangling link or fix its target',
          ),
          rootIndex: task.rootIndex,
        });
        continue;
      }
      const isDir = await stat(target).then(
        (i) => i.isDirectory(),
        () => false,
      );
      if (!isDir) continue;
      if (!followSymlinks) {
        failures.push({
          ...failure(
            path,
            'symlink_refused',
            `a symlinked folder (to ${target}) is not followed`,
            'pass followSymlinks: true or replace the link with the folder',
          ),
          rootIndex: task.rootIndex,
        });
        continue;
      }
      if (!realRoots.some((root) => isInside(root, target))) {
        failures.push({
          ...failure(
            path,
            'symlink_outside_root',
            `the symlink leaves the plugin root (to ${target})`,
            'move the plugin inside the root or pass its folder as another root',
          ),
          rootIndex: task.rootIndex,
        });
        continue;
      }
      if (task.chain.includes(target)) {
        failures.push({
          ...failure(
            path,
            'symlink_loop',
            `the symlink points back to ${target}, which contains it`,
            'remove the link',
          ),
          rootIndex: task.rootIndex,
        });
        continue;
      }
      if (task.depth + 1 > maxDepth) {
        failures.push({
          ...failure(path, 'too_deep', `deeper than ${maxDepth} levels below the root`),
          rootIndex: task.rootIndex,
        });
        continue;
      }
      enqueue({
        path,
        real: target,
        depth: task.depth + 1,
        chain: [...task.chain, target],
        rootIndex: task.rootIndex,
        viaLink: true,
      });
    }
  };

  await drainQueue(
    rootList.map((path, rootIndex) => ({
      path,
      real: realRoots[rootIndex] as string,
      depth: 0,
      chain: [realRoots[rootIndex] as string],
      rootIndex,
      viaLink: false,
    })),
    Math.max(1, options.concurrency ?? 16),
    worker,
    options.signal,
  );

  // One entry per real folder. The path not through a link wins, else the
  // first in order; the others are aliases through links.
  const order = (
    a: { rootIndex: number; path: string },
    b: { rootIndex: number; path: string },
  ): number => a.rootIndex - b.rootIndex || compareStrings(a.path, b.path);
  found.sort((a, b) => Number(a.viaLink) - Number(b.viaLink) || order(a, b));
  const byReal = new Map<string, { entry: Found; aliases: string[] }>();
  for (const item of found) {
    const seen = byReal.get(item.real);
    if (seen === undefined) byReal.set(item.real, { entry: item, aliases: [] });
    else seen.aliases.push(item.path);
  }
  const winners = [...byReal.values()].sort((a, b) => order(a.entry, b.entry));

  const entries: DiscoveryEntry[] = [];
  const allFailures: (DiscoveryFailure & { rootIndex: number })[] = [...failures];
  for (const { entry, aliases } of winners) {
    if (!entry.result.ok) {
      allFailures.push({
        ...manifestFailure(entry.result, entry.result.source),
        rootIndex: entry.rootIndex,
      });
      continue;
    }
    const notes: ManifestProblem[] = aliases.map((alias) => ({
      pointer: '',
      message: `also reachable as ${alias} through a symlink; read once`,
      source: alias,
      rule: 'alias',
    }));
    entries.push({
      manifest: entry.result.manifest,
      dir: entry.real,
      source: 'directory',
      warnings: [...entry.result.warnings, ...notes],
    });
  }
  const duplicates: DiscoveryFailure[] = [];
  const unique = rejectDuplicates(entries, duplicates);
  const sortedFailures = [
    ...allFailures.sort(order),
    ...duplicates.map((d) => ({ ...d, rootIndex: Number.MAX_SAFE_INTEGER })),
  ].map(({ path, error }) => ({ path, error }));
  for (const f of sortedFailures)
    logger.warn('plugin discovery failure', {
      path: f.path,
      code: f.error.code,
      error: f.error.message,
    });
  logger.debug('plugin discovery done', {
    roots: rootList,
    plugins: unique.length,
    failures: sortedFailures.length,
    scanned,
  });
  return { entries: unique, failures: sortedFailures, scanned };
}
