import { readFile } from 'node:fs/promises';
import type { JsonValue, KindSpec } from '@dagstack/plugin-api';
import {
  ALL_CHECKS,
  type CheckId,
  type ContractSample,
  runContractSuite,
} from '@dagstack/plugin-contract-suite';
import { loadManifest } from '@dagstack/plugin-manifest';
import { inCliTerms } from '../cli-terms.js';
import { BUILT_IN_KINDS, loadKinds, resolvePath } from '../host.js';
import { CliError, type CliIo, EXIT, UsageError, writeReport } from '../io.js';
import { exampleOf } from './init.js';

/** Usage of `contract`. */
export const CONTRACT_USAGE: string = `dagstack-plugins contract <plugin-dir> [--samples <file.json>] [--check <id>]...
    [--kinds <dir>]... [--config <json>] [--determinism always] [--fallback always] [--json]

Runs the contract suite against the plugin in <plugin-dir>: manifest, lifecycle
leaks, ambient state, serializable boundaries, determinism, orchestration
neutrality, fallback robustness, middleware band, resources, stdio purity.
--samples is a JSON array of { "hook", "input", "expected"?, "metadata"? }; without
it, one sample per hook of the kind's hookspec is made from its input schema.
--determinism always / --fallback always run those checks on plugins the
manifest would exempt (not output_hash, not fallback = true).
--check limits the run to the named checks (${ALL_CHECKS.join(', ')}).
Exit codes: 0 every check passed or was skipped, 1 a check failed, 2 usage error.
`;

/** One sample per hook with an input schema: the smallest valid input. */
export function samplesFromKind(spec: KindSpec | undefined): ContractSample[] {
  if (spec === undefined) return [];
  return spec.hooks
    .filter((h) => h.input_schema !== undefined)
    .map((h) => ({ hook: h.name, input: exampleOf(h.input_schema as JsonValue) }));
}

/** `dagstack-plugins contract`. */
export async function contractCommand(
  io: CliIo,
  dir: string | undefined,
  options: {
    json: boolean;
    samples?: string;
    checks: readonly string[];
    kindDirs: readonly string[];
    config?: string;
    determinism?: string;
    fallback?: string;
  },
): Promise<number> {
  if (dir === undefined) throw new UsageError('missing <plugin-dir>');
  for (const [flag, value] of [
    ['--determinism', options.determinism],
    ['--fallback', options.fallback],
  ] as const) {
    if (value !== undefined && value !== 'auto' && value !== 'always')
      throw new UsageError(`${flag} ${value}: expected auto or always`);
  }
  const unknown = options.checks.filter((c) => !(ALL_CHECKS as readonly string[]).includes(c));
  if (unknown.length > 0) {
    throw new UsageError(`unknown check(s) ${unknown.join(', ')}; known: ${ALL_CHECKS.join(', ')}`);
  }
  let config: Record<string, unknown> | undefined;
  if (options.config !== undefined) {
    try {
      config = JSON.parse(options.config) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`--config is not JSON: ${(error as Error).message}`);
    }
  }
  const folder = resolvePath(io, dir);
  const kinds = new Map<string, KindSpec>(BUILT_IN_KINDS.map((k) => [k.kind, k]));
  for (const spec of await loadKinds(io, options.kindDirs)) kinds.set(spec.kind, spec);
  const loaded = await loadManifest(folder);
  const kindSpec = loaded.ok ? kinds.get(loaded.manifest.kind) : undefined;
  let samples: ContractSample[];
  if (options.samples !== undefined) {
    try {
      samples = JSON.parse(
        await readFile(resolvePath(io, options.samples), 'utf8'),
      ) as ContractSample[];
    } catch (error) {
      throw new UsageError(`--samples ${options.samples}: ${(error as Error).message}`);
    }
    if (!Array.isArray(samples))
      throw new UsageError(`--samples ${options.samples}: expected a JSON array`);
  } else {
    samples = samplesFromKind(kindSpec);
  }
  const report = await runContractSuite({
    manifest: folder,
    samples,
    ...(options.checks.length === 0 ? {} : { checks: options.checks as CheckId[] }),
    ...(kindSpec === undefined ? {} : { kindSpec }),
    ...(config === undefined ? {} : { config }),
    ...(options.determinism === undefined
      ? {}
      : { determinism: options.determinism as 'auto' | 'always' }),
    ...(options.fallback === undefined ? {} : { fallback: options.fallback as 'auto' | 'always' }),
  });
  const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
  const error = report.ok
    ? undefined
    : new CliError(
        'CONTRACT_FAILED',
        `${failed.length} contract check(s) failed${failed.length === 0 ? '' : `: ${failed.join(', ')}`}`,
        'see the failures of each check',
      );
  if (options.json) {
    writeReport(io, error, {
      plugin: report.plugin ?? null,
      source: report.source ?? null,
      durationMs: Math.round(report.durationMs),
      checks: report.checks.map((c) => ({
        id: c.id,
        status: c.status,
        ...(c.reason === undefined ? {} : { reason: inCliTerms(c.reason) }),
        failures: c.failures.map((f) => ({
          errorClass: f.errorClass,
          code: f.code,
          message: f.message,
          ...(f.hook === undefined ? {} : { hook: f.hook }),
          ...(f.location === undefined ? {} : { location: f.location }),
        })),
      })),
    });
  } else {
    io.stdout.write(`${inCliTerms(report.format())}\n`);
  }
  return report.ok ? EXIT.ok : EXIT.failed;
}
