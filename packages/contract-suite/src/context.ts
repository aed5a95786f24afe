/**
 * The shared context of one suite run: the plugin under test (`Target`) as
 * the runner resolved it from the options, the in-process runs the checks
 * read, and the recorder lookup they write to.
 *
 * Owns: these shapes and `createTarget`. A leaf: it imports no other module of
 * `src/` at run time (types only), so every check can import it without a
 * circle. It may not run the plugin, record results or decide a check.
 */

import { realpathSync } from 'node:fs';
import type { PluginManifest } from '@dagstack/plugin-api';
import { DEFAULT_NOW, DEFAULT_SEED, type Outcome, type Settled } from '../host/session.mjs';
import type { CheckId } from './checks.js';
import type { Instrumentation } from './instrument.js';
import type { CheckRecorder } from './report.js';
import type { ContractSample, ContractSuiteOptions, PluginSource } from './types.js';

/** Everything the checks need to know about the plugin under test. */
export interface Target {
  readonly manifest: PluginManifest;
  readonly dir: string;
  /** Real path of `dir`: stack frames use real paths. */
  readonly pluginDir: string;
  readonly entry: { file: string; exportName: string | undefined } | undefined;
  readonly plugin: PluginSource | undefined;
  readonly samples: readonly ContractSample[];
  readonly seed: string | number;
  readonly now: number;
  readonly config: Readonly<Record<string, unknown>>;
  readonly options: ContractSuiteOptions;
  readonly where: { plugin: string; kind: string; path: string };
}

/** One in-process run of the samples through a fresh instance. */
export interface InProcessRun {
  readonly setup: Settled;
  readonly results: Settled[];
  readonly teardown: Settled | undefined;
  readonly outcomes: Outcome[];
  readonly undeclared: { name: string; stack: string }[];
  readonly tmpdirEntries: string[];
}

/**
 * The in-process runs: `a` and `b` two instances of one imported module, `c`
 * a fresh import, `d` a fresh import with the production resources (only for
 * `input_hash` plugins when the resources check runs).
 */
export interface InProcessRuns {
  readonly a: InProcessRun;
  readonly b: InProcessRun;
  readonly c: InProcessRun;
  readonly d: InProcessRun | undefined;
}

/** What the ambient-state recorders saw during the in-process runs. */
export interface AmbientRecord {
  readonly events: Instrumentation['events'];
  readonly globals: { key: string; change: string }[];
}

/** The recorder of a selected check; `undefined` when the check is not selected. */
export type RecorderLookup = (id: CheckId) => CheckRecorder | undefined;

function realDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

/** The target of a run, from the read manifest, its folder and entry point, and the options. */
export function createTarget(
  manifest: PluginManifest,
  dir: string | undefined,
  entry: Target['entry'],
  options: ContractSuiteOptions,
): Target {
  return {
    manifest,
    dir: dir ?? process.cwd(),
    pluginDir: realDir(dir ?? process.cwd()),
    entry,
    plugin: options.plugin,
    samples: options.samples ?? [],
    seed: options.seed ?? DEFAULT_SEED,
    now: options.now instanceof Date ? options.now.getTime() : (options.now ?? DEFAULT_NOW),
    config: options.config ?? {},
    options,
    where: { plugin: manifest.name, kind: manifest.kind, path: manifest.source },
  };
}
