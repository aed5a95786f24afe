/**
 * The `manifest` check (ADR-0001 §Manifest schema): read the manifest the
 * options give (a path, a raw or normalised object, or one guessed for a bare
 * `plugin`), report its problems and warnings, then resolve its entry point.
 *
 * Owns: turning `options.manifest` / `options.plugin` into a manifest, its
 * source and folder. It writes only to the manifest check's recorder, and may
 * not import or run the plugin (resolving the entry point only finds it).
 */

import { dirname, join } from 'node:path';
import {
  ManifestInvalid,
  type ManifestProblem,
  type PluginManifest,
  type PluginRegistryError,
} from '@dagstack/plugin-api';
import { loadManifest, validateManifest } from '@dagstack/plugin-manifest';
import { resolveEntryPoint } from '@dagstack/plugin-registry';
import type { Target } from '../context.js';
import { isClass } from '../instance.js';
import type { CheckRecorder } from '../report.js';
import type { ContractSuiteOptions } from '../types.js';

/** The manifest as read from the options. */
export interface ManifestReading {
  /** The valid manifest; `undefined` when it could not be read. */
  readonly manifest: PluginManifest | undefined;
  /** Why it could not be read. */
  readonly problems: readonly ManifestProblem[];
  /** The manifest file, `inline`, or `undefined` when none was given. */
  readonly source: string | undefined;
  /** The plugin folder: `options.dir`, else the manifest file's folder. */
  readonly dir: string | undefined;
}

function looksNormalised(
  input: PluginManifest | Readonly<Record<string, unknown>>,
): input is PluginManifest {
  const value = input as Readonly<Record<string, unknown>>;
  return (
    typeof value.source === 'string' &&
    Array.isArray(value.runtime) &&
    typeof value.resources === 'object' &&
    typeof value.unit_of_work === 'object'
  );
}

/** Read the manifest and record its problems and warnings on `rec`. */
export async function readManifest(
  options: ContractSuiteOptions,
  rec: CheckRecorder | undefined,
): Promise<ManifestReading> {
  let manifest: PluginManifest | undefined;
  let problems: readonly ManifestProblem[] = [];
  let warnings: readonly ManifestProblem[] = [];
  let source: string | undefined;
  if (typeof options.manifest === 'string') {
    const result = await loadManifest(options.manifest);
    warnings = result.warnings;
    if (result.ok) manifest = result.manifest;
    else {
      problems = result.problems;
      source = result.source;
    }
  } else if (options.manifest !== undefined) {
    if (looksNormalised(options.manifest)) manifest = options.manifest;
    else {
      const result = validateManifest(options.manifest, {
        source: options.dir === undefined ? 'inline' : join(options.dir, '(inline manifest)'),
      });
      warnings = result.warnings;
      if (result.ok) manifest = result.manifest;
      else {
        problems = result.problems;
        source = result.source;
      }
    }
  } else if (options.plugin !== undefined) {
    const guessed = (isClass(options.plugin) ? options.plugin.name : '') || 'plugin';
    const result = validateManifest(
      {
        name: guessed.toLowerCase().replace(/[^a-z0-9_-]/g, '-'),
        kind: 'plugin',
        core_version: '>=0.0.0',
        runtime: 'in_process',
      },
      { source: 'inline' },
    );
    if (result.ok) manifest = result.manifest;
  }
  source = manifest?.source ?? source;
  const dir =
    options.dir ??
    (source !== undefined && source !== 'inline' && !source.endsWith('(inline manifest)')
      ? dirname(source)
      : undefined);

  for (const p of problems) {
    rec?.fail(
      new ManifestInvalid({
        problems: [p],
        path: p.source,
        ...(manifest ? { plugin: manifest.name } : {}),
      }),
      {
        location: `${p.source}#${p.pointer}`,
        message: `${p.pointer || '(document)'}: ${p.message}`,
      },
    );
  }
  for (const w of warnings) rec?.note(`warning ${w.source}#${w.pointer}: ${w.message}`);
  if (manifest === undefined && problems.length === 0) {
    rec?.fail(
      new ManifestInvalid({
        problems: [
          { pointer: '', message: 'no manifest given', source: 'inline', rule: 'required' },
        ],
      }),
      { message: 'pass `manifest` (a path or an object) or `plugin`' },
    );
  }
  return { manifest, problems, source, dir };
}

/**
 * Resolve the manifest's in-process entry point (not when a `plugin` is
 * given), recording the result or the failure on `rec`.
 */
export async function resolveEntry(
  reading: ManifestReading,
  options: ContractSuiteOptions,
  rec: CheckRecorder | undefined,
): Promise<Target['entry']> {
  const { manifest, dir } = reading;
  let entry: Target['entry'];
  if (manifest !== undefined && options.plugin === undefined && dir !== undefined) {
    if (manifest.entry_point !== undefined && manifest.runtime.includes('in_process')) {
      try {
        entry = await resolveEntryPoint(manifest, dir);
        rec?.note(`entry point ${manifest.entry_point} -> ${entry.file}`);
      } catch (error) {
        rec?.fail(error as PluginRegistryError, {
          location: `${manifest.source}#/entry_point`,
        });
      }
    } else if (!manifest.runtime.includes('in_process')) {
      rec?.note(`runtime ${manifest.runtime.join(', ')}: no in-process entry point to check`);
    }
  }
  return entry;
}
