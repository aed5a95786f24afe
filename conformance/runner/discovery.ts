// Category `discovery`: write a tree (a file map, symlinks included), run one
// discovery source over it, compare the entries and failures in order.
import { delimiter } from 'node:path';
import {
  type DiscoveryResult,
  discover,
  discoverPackages,
  discoverRemote,
} from '@dagstack/plugin-discovery';
import { assertError, assertSubset, errorView, Mismatch, show } from './compare.js';
import { type FileMap, makeTempTree, type TempTree, writeFileMap } from './files.js';

export interface DiscoveryCase {
  id: string;
  description?: string;
  tree: FileMap;
  /** Plugin folders below roots (ADR-0006). */
  discover?: {
    roots?: string[];
    recursive?: boolean;
    follow_symlinks?: boolean;
    ignore?: string[];
    max_depth?: number;
  };
  /** `<dir>/plugins_registry/*` and the DAGSTACK_REMOTE_PLUGINS variable. */
  discover_remote?: {
    dir?: string;
    /** A string as is; a list of paths joined with the platform delimiter; an object or array as JSON. */
    env?: unknown;
  };
  /** npm packages in `<project>/node_modules` declaring a `dagstack` field. */
  discover_packages?: { project?: string };
  expect: {
    entries?: Record<string, unknown>[];
    failures?: Record<string, unknown>[];
    /** The whole call fails (a missing root, a root that is a file). */
    throws?: unknown;
  };
}

/** Replace absolute paths inside the tree by `/`-separated relative ones. */
function relativise(value: unknown, tree: TempTree): unknown {
  if (typeof value === 'string') {
    return value.startsWith(tree.root) ? tree.relative(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => relativise(v, tree));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = relativise(v, tree);
    return out;
  }
  return value;
}

function views(
  result: DiscoveryResult,
  tree: TempTree,
): { entries: unknown[]; failures: unknown[] } {
  const entries = result.entries.map((e) =>
    relativise(
      {
        name: e.manifest.name,
        kind: e.manifest.kind,
        dir: e.dir,
        source: e.source,
        manifest_source: e.manifest.source,
        manifest: e.manifest,
        warnings: e.warnings.map((w) => w.rule),
      },
      tree,
    ),
  );
  const failures = result.failures.map((f) =>
    relativise({ ...errorView(f.error), path: f.path }, tree),
  );
  return { entries, failures };
}

export async function runDiscoveryCase(
  c: DiscoveryCase,
  baseManifest: Readonly<Record<string, unknown>>,
): Promise<void> {
  const modes = [c.discover, c.discover_remote, c.discover_packages].filter((m) => m !== undefined);
  if (modes.length > 1) throw new Mismatch('fixture error: give one discovery source per case');
  const tree = await makeTempTree();
  try {
    await writeFileMap(tree, c.tree ?? {}, baseManifest);
    let result: DiscoveryResult | undefined;
    let thrown: unknown;
    try {
      if (c.discover_remote !== undefined) {
        const env = c.discover_remote.env;
        const value =
          env === undefined
            ? undefined
            : typeof env === 'string'
              ? env
              : Array.isArray(env) && env.every((p) => typeof p === 'string')
                ? env.join(delimiter)
                : JSON.stringify(env);
        result = await discoverRemote({
          ...(c.discover_remote.dir === undefined
            ? {}
            : { dir: tree.resolve(c.discover_remote.dir) }),
          env: value === undefined ? {} : { DAGSTACK_REMOTE_PLUGINS: value },
          cwd: tree.root,
        });
      } else if (c.discover_packages !== undefined) {
        result = await discoverPackages(tree.resolve(c.discover_packages.project ?? '.'));
      } else {
        const d = c.discover ?? {};
        result = await discover(
          (d.roots ?? ['.']).map((r) => tree.resolve(r)),
          {
            ...(d.recursive === undefined ? {} : { recursive: d.recursive }),
            ...(d.follow_symlinks === undefined ? {} : { followSymlinks: d.follow_symlinks }),
            ...(d.ignore === undefined ? {} : { ignore: d.ignore }),
            ...(d.max_depth === undefined ? {} : { maxDepth: d.max_depth }),
          },
        );
      }
    } catch (error) {
      thrown = error;
    }
    if (c.expect.throws !== undefined) {
      assertError(
        c.expect.throws,
        relativise(thrown === undefined ? undefined : errorView(thrown), tree),
        'throws',
      );
      return;
    }
    if (result === undefined) {
      throw new Mismatch(`discovery threw ${show(errorView(thrown))}`);
    }
    const got = views(result, tree);
    assertSubset(c.expect.entries ?? [], got.entries, 'entries');
    assertSubset(c.expect.failures ?? [], got.failures, 'failures');
  } finally {
    await tree.dispose();
  }
}
