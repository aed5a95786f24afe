// Finds the fixture files, checks their envelope (format 1), and turns every
// case into a runnable entry that names its file and id.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { Mismatch } from './compare.js';
import { type CoreVersionCase, runCoreVersionCase } from './core-version.js';
import { type DiscoveryCase, runDiscoveryCase } from './discovery.js';
import {
  type ManifestCase,
  type ManifestExpectation,
  runManifestCase,
  runManifestFolder,
} from './manifests.js';
import { runScenario, type ScenarioCase } from './scenario.js';
import { runWireCase, type WireCase } from './wire.js';

/** The fixture format this runner implements. */
export const FORMAT = 1;

/** Categories in reporting order, with their folder under `conformance/`. */
export const CATEGORIES = {
  manifests: 'manifests',
  core_version: 'core-version',
  discovery: 'discovery',
  lifecycle: 'lifecycle',
  dispatch: 'dispatch',
  wire: 'wire',
} as const;

export type Category = keyof typeof CATEGORIES;

/** The conformance folder (fixtures, README, known failures). */
export const CONFORMANCE_ROOT: string = fileURLToPath(new URL('../', import.meta.url));

/** One case, ready to run. */
export interface ConformanceCase {
  readonly category: Category;
  /** Fixture file, `/`-separated, relative to `conformance/`. */
  readonly file: string;
  readonly id: string;
  readonly description: string | undefined;
  /** Set when the case is listed in known-failures.yaml. */
  readonly knownFailure: string | undefined;
  /** Set when this runner cannot execute the case (the reason). */
  readonly notRunnable: string | undefined;
  run(): Promise<void>;
}

interface SuiteFile {
  format: number;
  category: string;
  description?: string;
  /** Manifest fields merged under `inline` manifests and `{ plugin: ... }` file-map entries. */
  base_manifest?: Record<string, unknown>;
  /** Case fields merged under every case (shallow; `host` and `kinds` merged one level deeper). */
  defaults?: Record<string, unknown>;
  cases: Record<string, unknown>[];
}

const ID_RE = /^[a-z0-9][a-z0-9._-]*$/;

const toPosix = (path: string): string => path.split(sep).join('/');

function listFiles(dir: string, recursive: boolean): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const dirent of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, dirent.name);
    if (dirent.isDirectory()) {
      if (recursive) out.push(...listFiles(path, true));
    } else if (/\.(ya?ml|json)$/.test(dirent.name)) {
      out.push(path);
    }
  }
  return out.sort();
}

function parseFile(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
}

function fail(file: string, message: string): never {
  throw new Error(`conformance fixture ${file}: ${message}`);
}

/** Read known-failures.yaml: `file#id` → reason. */
export function readKnownFailures(root: string = CONFORMANCE_ROOT): Map<string, string> {
  const path = join(root, 'known-failures.yaml');
  const known = new Map<string, string>();
  if (!existsSync(path)) return known;
  const doc = parseFile(path) as { format?: number; known_failures?: unknown[] } | null;
  if (doc?.format !== FORMAT) fail('known-failures.yaml', `format must be ${FORMAT}`);
  for (const item of doc.known_failures ?? []) {
    const entry = item as { file?: unknown; id?: unknown; reason?: unknown };
    if (
      typeof entry.file !== 'string' ||
      typeof entry.id !== 'string' ||
      typeof entry.reason !== 'string'
    ) {
      fail('known-failures.yaml', 'every entry needs file, id and reason');
    }
    known.set(`${entry.file}#${entry.id}`, entry.reason);
  }
  return known;
}

function merge(
  defaults: Record<string, unknown>,
  c: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults, ...c };
  for (const key of ['host', 'kinds', 'plugin']) {
    const a = defaults[key];
    const b = c[key];
    if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
      out[key] = { ...a, ...b };
    }
  }
  return out;
}

type Runner = (c: Record<string, unknown>, suite: SuiteFile) => Promise<void>;

const RUNNERS: Record<Category, Runner> = {
  manifests: (c, s) => runManifestCase(c as unknown as ManifestCase, s.base_manifest ?? {}),
  core_version: async (c) => runCoreVersionCase(c as unknown as CoreVersionCase),
  discovery: (c, s) => runDiscoveryCase(c as unknown as DiscoveryCase, s.base_manifest ?? {}),
  lifecycle: (c) => runScenario(c as unknown as ScenarioCase),
  dispatch: (c) => runScenario(c as unknown as ScenarioCase),
  wire: (c) => runWireCase(c as unknown as WireCase),
};

/** Every case of every category, in a stable order. */
export function loadCases(root: string = CONFORMANCE_ROOT): ConformanceCase[] {
  const known = readKnownFailures(root);
  const used = new Set<string>();
  const cases: ConformanceCase[] = [];
  const add = (c: Omit<ConformanceCase, 'knownFailure'>): void => {
    const key = `${c.file}#${c.id}`;
    used.add(key);
    cases.push({ ...c, knownFailure: known.get(key) });
  };

  for (const [category, folder] of Object.entries(CATEGORIES) as [Category, string][]) {
    const dir = join(root, folder);
    if (category === 'manifests') {
      for (const group of ['valid', 'invalid'] as const) {
        const groupDir = join(dir, group);
        if (!existsSync(groupDir)) continue;
        for (const name of readdirSync(groupDir, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => d.name)
          .sort()) {
          const caseDir = join(groupDir, name);
          const file = toPosix(relative(root, join(caseDir, 'expected.json')));
          const expected = parseFile(join(caseDir, 'expected.json')) as ManifestExpectation;
          add({
            category,
            file,
            id: `${group}/${name}`,
            description: expected.description,
            notRunnable: undefined,
            run: () => runManifestFolder(caseDir, group === 'valid', expected),
          });
        }
      }
    }
    // Suite files: directly in the folder for manifests (its sub-folders are folder cases),
    // anywhere below it for the other categories.
    for (const path of listFiles(dir, category !== 'manifests')) {
      const file = toPosix(relative(root, path));
      const suite = parseFile(path) as SuiteFile | null;
      if (suite === null || typeof suite !== 'object') fail(file, 'not a mapping');
      if (suite.format !== FORMAT)
        fail(file, `format must be ${FORMAT}, got ${String(suite.format)}`);
      if (suite.category !== category)
        fail(file, `category must be "${category}", got "${suite.category}"`);
      if (!Array.isArray(suite.cases) || suite.cases.length === 0)
        fail(file, 'cases must be a non-empty list');
      const ids = new Set<string>();
      for (const raw of suite.cases) {
        const id = raw.id;
        if (typeof id !== 'string' || !ID_RE.test(id))
          fail(file, `bad case id ${JSON.stringify(id)}`);
        if (ids.has(id)) fail(file, `duplicate case id "${id}"`);
        ids.add(id);
        const c = merge(suite.defaults ?? {}, raw);
        const runner = RUNNERS[category];
        add({
          category,
          file,
          id,
          description: typeof raw.description === 'string' ? raw.description : undefined,
          notRunnable: undefined,
          run: () => runner(c, suite),
        });
      }
    }
  }
  for (const key of known.keys()) {
    if (!used.has(key)) fail('known-failures.yaml', `lists ${key}, which is not a case`);
  }
  return cases;
}

/** Run one case; a failure message starts with the fixture file and the case id. */
export async function runCase(c: ConformanceCase): Promise<void> {
  try {
    await c.run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const wrapped = new Error(`${c.file} [${c.id}]: ${message}`);
    if (!(error instanceof Mismatch) && error instanceof Error && error.stack !== undefined) {
      wrapped.stack = `${wrapped.message}\n${error.stack}`;
    }
    throw wrapped;
  }
}
