/**
 * `runContractSuite`: resolve the plugin, run the selected checks, build the
 * report. The in-process runs happen first (under the ambient-state
 * recorders), then the forked hosts (once each per suite, not per sample),
 * then the stdio session.
 */

import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  AmbientStateViolation,
  DeterminismError,
  HookTimeout,
  LeakDetected,
  ManifestInvalid,
  type ManifestProblem,
  MIDDLEWARE_PRIORITY_FLOOR,
  NOOP_LOGGER,
  PluginInvocationError,
  PluginLoadError,
  type PluginManifest,
  type PluginRegistryError,
  SerializationError,
  STANDARD_RESOURCE_NAMES,
} from '@dagstack/plugin-api';
import { loadManifest, validateManifest } from '@dagstack/plugin-manifest';
import { resolveEntryPoint } from '@dagstack/plugin-registry';
import { ResourceError, UndeclaredResource } from '@dagstack/plugin-resources';
import { findJsonIssues, firstDifference, preview } from '../host/json.mjs';
import {
  callerInPlugin,
  childProcesses,
  clearPluginTimers,
  diffSnapshots,
  edgeCases,
  type Leak,
  listTree,
  pluginFrames,
  settle,
  snapshot,
  trackAsyncResources,
} from '../host/probes.mjs';
import {
  createSession,
  DEFAULT_NOW,
  DEFAULT_SEED,
  describeError,
  type ErrorInfo,
  importEntry,
  instantiate,
  type Outcome,
  outcomeOf,
  type SamplesRun,
  type Settled,
} from '../host/session.mjs';
import { ALL_CHECKS, CHECKS, type CheckId } from './checks.js';
import { UnexpectedOutput } from './errors.js';
import { HOST_SCRIPT, HostFailure, inChild, inWorker } from './hosts.js';
import { type Instrumentation, instrument } from './instrument.js';
import { buildReport, CheckRecorder } from './report.js';
import { schemaProblems } from './schemas.js';
import { checkStdioPurity } from './stdio.js';
import type {
  ContractReport,
  ContractSample,
  ContractSuiteOptions,
  PluginSource,
} from './types.js';

/** Everything the checks need to know about the plugin under test. */
interface Target {
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
interface InProcessRun {
  readonly setup: Settled;
  readonly results: Settled[];
  readonly teardown: Settled | undefined;
  readonly outcomes: Outcome[];
  readonly undeclared: { name: string; stack: string }[];
  readonly tmpdirEntries: string[];
}

const isClass = (value: unknown): value is new () => object =>
  typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));

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

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Check a plugin against the spec's invariants and return a structured report.
 *
 * ```ts
 * const report = await runContractSuite({ manifest: 'plugins/fixed-chunker', samples });
 * expect(report.ok, report.formatFailures()).toBe(true);
 * ```
 * @since 0.1.0
 */
export async function runContractSuite(options: ContractSuiteOptions): Promise<ContractReport> {
  const started = performance.now();
  const selected = new Set<CheckId>(options.checks ?? ALL_CHECKS);
  const recs = new Map<CheckId, CheckRecorder>();
  for (const id of ALL_CHECKS) if (selected.has(id)) recs.set(id, new CheckRecorder(id));
  const rec = (id: CheckId): CheckRecorder | undefined => recs.get(id);
  const logger = options.logger ?? NOOP_LOGGER;

  // --- the manifest -------------------------------------------------------------
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

  const manifestRec = rec(CHECKS.manifest);
  for (const p of problems) {
    manifestRec?.fail(
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
  for (const w of warnings) manifestRec?.note(`warning ${w.source}#${w.pointer}: ${w.message}`);
  if (manifest === undefined && problems.length === 0) {
    manifestRec?.fail(
      new ManifestInvalid({
        problems: [
          { pointer: '', message: 'no manifest given', source: 'inline', rule: 'required' },
        ],
      }),
      { message: 'pass `manifest` (a path or an object) or `plugin`' },
    );
  }

  // The band rule is also a manifest rule: report it from the problems when the
  // manifest could not be read because of it.
  checkBand(rec(CHECKS.middlewareBand), manifest, problems);

  let entry: Target['entry'];
  if (manifest !== undefined && options.plugin === undefined && dir !== undefined) {
    if (manifest.entry_point !== undefined && manifest.runtime.includes('in_process')) {
      try {
        entry = await resolveEntryPoint(manifest, dir);
        manifestRec?.note(`entry point ${manifest.entry_point} -> ${entry.file}`);
      } catch (error) {
        manifestRec?.fail(error as PluginRegistryError, {
          location: `${manifest.source}#/entry_point`,
        });
      }
    } else if (!manifest.runtime.includes('in_process')) {
      manifestRec?.note(
        `runtime ${manifest.runtime.join(', ')}: no in-process entry point to check`,
      );
    }
  }

  const target: Target | undefined =
    manifest === undefined
      ? undefined
      : {
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

  const inProcessIds: CheckId[] = [
    CHECKS.ambientState,
    CHECKS.serializable,
    CHECKS.determinism,
    CHECKS.resources,
    CHECKS.lifecycle,
    CHECKS.orchestrationNeutrality,
    CHECKS.fallback,
  ];
  const runnable =
    target !== undefined && (target.entry !== undefined || target.plugin !== undefined);
  if (!runnable) {
    const why =
      manifest === undefined
        ? 'the manifest could not be read'
        : !manifest.runtime.includes('in_process')
          ? `not an in-process plugin (runtime ${manifest.runtime.join(', ')})`
          : 'no loadable entry point (see the manifest check)';
    for (const id of inProcessIds) rec(id)?.skip(why);
  } else {
    await runPluginChecks(target, rec, logger);
  }

  const stdioRec = rec(CHECKS.stdioPurity);
  if (stdioRec !== undefined) {
    if (manifest === undefined) stdioRec.skip('the manifest could not be read');
    else if (!manifest.runtime.includes('mcp_stdio')) stdioRec.skip('not an mcp_stdio plugin');
    else {
      await checkStdioPurity({
        manifest,
        dir: dir ?? process.cwd(),
        samples: options.samples ?? [],
        logger,
        timeoutMs: options.timeouts?.stdioMs ?? 10_000,
        rec: stdioRec,
      });
    }
  }

  return buildReport({
    plugin: manifest?.name,
    source,
    checks: [...recs.values()].map((r) => r.result()),
    durationMs: Math.round(performance.now() - started),
  });
}

function realDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

// ---------------------------------------------------------------------------
// Middleware band (ADR-0005 §2)
// ---------------------------------------------------------------------------

function checkBand(
  rec: CheckRecorder | undefined,
  manifest: PluginManifest | undefined,
  problems: readonly ManifestProblem[],
): void {
  if (rec === undefined) return;
  const fail = (pointer: string, message: string, path: string, plugin?: string) =>
    rec.fail(
      new ManifestInvalid({
        problems: [{ pointer, message, source: path, rule: 'cross-field' }],
        path,
        ...(plugin === undefined ? {} : { plugin }),
      }),
      { location: `${path}#${pointer}`, message },
    );
  if (manifest === undefined) {
    const band = problems.filter(
      (p) => p.pointer === '/priority' || p.pointer.startsWith('/chain_wrap'),
    );
    for (const p of band) fail(p.pointer, p.message, p.source);
    if (band.length === 0) rec.skip('the manifest could not be read');
    return;
  }
  const path = manifest.source;
  const middleware = manifest.chain_wrap !== undefined;
  if (!middleware && manifest.priority >= MIDDLEWARE_PRIORITY_FLOOR) {
    fail(
      '/priority',
      `business plugin has priority ${manifest.priority}, inside the band [${MIDDLEWARE_PRIORITY_FLOOR}, ∞) reserved for middleware; use < ${MIDDLEWARE_PRIORITY_FLOOR} or declare [plugin.chain_wrap]`,
      path,
      manifest.name,
    );
  } else if (middleware && manifest.priority < MIDDLEWARE_PRIORITY_FLOOR) {
    fail(
      '/priority',
      `middleware ([plugin.chain_wrap]) has priority ${manifest.priority}; it must be >= ${MIDDLEWARE_PRIORITY_FLOOR}`,
      path,
      manifest.name,
    );
  }
  if (
    middleware &&
    (manifest.chain_wrap?.kinds.length === 0 || manifest.chain_wrap?.hooks.length === 0)
  ) {
    fail('/chain_wrap', 'chain_wrap wraps no kind or no hook', path, manifest.name);
  }
  rec.note(
    middleware
      ? `middleware: priority ${manifest.priority}, wraps kinds ${manifest.chain_wrap?.kinds.join(', ')} / hooks ${manifest.chain_wrap?.hooks.join(', ')}`
      : `business plugin: priority ${manifest.priority}`,
  );
}

// ---------------------------------------------------------------------------
// The plugin's own checks
// ---------------------------------------------------------------------------

async function runPluginChecks(
  target: Target,
  rec: (id: CheckId) => CheckRecorder | undefined,
  logger: ContractSuiteOptions['logger'] & object,
): Promise<void> {
  // The in-process and worker-thread runs share this process: whatever child
  // processes the plugin leaves there are killed when the checks end (the
  // forked hosts kill their own process groups).
  // Timers it left pending are cleared too, so the test process can exit.
  const childrenBefore = new Set((childProcesses() ?? []).map((c) => c.pid));
  const tracker = trackAsyncResources();
  try {
    await pluginChecks(target, rec, logger);
  } finally {
    await settle();
    tracker.stop();
    const cleared = clearPluginTimers(tracker, target.pluginDir);
    if (cleared > 0) {
      rec(CHECKS.lifecycle)?.note(
        `cleared ${cleared} timer(s) the plugin left pending in this process (in-process and worker runs)`,
      );
    }
    await reapChildren(childrenBefore);
  }
}

/** Kill the child processes of this process that were not there before, and wait until they are gone. */
async function reapChildren(before: ReadonlySet<number>): Promise<void> {
  const strays = (childProcesses() ?? []).filter(
    (c) => !before.has(c.pid) && !c.cmd.includes(HOST_SCRIPT),
  );
  for (const child of strays) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const pids = new Set(strays.map((c) => c.pid));
  // Node collects its own children once they exit; give it a moment (2 s at most).
  for (let i = 0; i < 100 && pids.size > 0; i += 1) {
    const alive = (childProcesses() ?? []).filter((c) => pids.has(c.pid));
    if (alive.length === 0) return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
}

async function pluginChecks(
  target: Target,
  rec: (id: CheckId) => CheckRecorder | undefined,
  logger: ContractSuiteOptions['logger'] & object,
): Promise<void> {
  const { manifest, options } = target;
  const determinismActive =
    options.determinism === 'always' || manifest.unit_of_work.idempotency_mode === 'output_hash';
  const idempotent = manifest.unit_of_work.idempotency_mode === 'input_hash';
  const needInProcess = [
    CHECKS.ambientState,
    CHECKS.serializable,
    CHECKS.determinism,
    CHECKS.resources,
    CHECKS.lifecycle,
    CHECKS.orchestrationNeutrality,
  ].some((id) => rec(id) !== undefined);

  let runs:
    | { a: InProcessRun; b: InProcessRun; c: InProcessRun; d: InProcessRun | undefined }
    | undefined;
  let ambient:
    | { events: Instrumentation['events']; globals: { key: string; change: string }[] }
    | undefined;
  if (needInProcess) {
    const recorder = instrument({
      pluginDir: target.pluginDir,
      allowedPaths: target.options.allowedPaths ?? [],
    });
    try {
      recorder.phase = 'import';
      const m1 = target.entry === undefined ? undefined : await importEntry(target.entry.file, 'a');
      const a = await runInProcess(target, m1, recorder, false);
      const globals = recorder.globalChanges();
      recorder.trapGlobals(globals.filter((g) => g.change !== 'deleted').map((g) => g.key));
      const b = await runInProcess(target, m1, recorder, false);
      recorder.phase = 'import';
      const m2 = target.entry === undefined ? undefined : await importEntry(target.entry.file, 'c');
      const c = await runInProcess(target, m2, recorder, false);
      let d: InProcessRun | undefined;
      if (idempotent && rec(CHECKS.resources) !== undefined) {
        recorder.phase = 'import';
        const m3 =
          target.entry === undefined ? undefined : await importEntry(target.entry.file, 'd');
        d = await runInProcess(target, m3, recorder, true);
      }
      runs = { a, b, c, d };
      ambient = { events: [...recorder.events], globals };
    } catch (error) {
      // Importing or instantiating failed: the plugin cannot run at all.
      const failure = new PluginLoadError(`loading the plugin failed: ${errorText(error)}`, {
        ...target.where,
        cause: error,
      });
      for (const id of [
        CHECKS.ambientState,
        CHECKS.serializable,
        CHECKS.determinism,
        CHECKS.resources,
      ]) {
        rec(id)?.skip('the plugin could not be loaded (see lifecycle)');
      }
      rec(CHECKS.lifecycle)?.fail(failure, { location: locate(error, target) });
      rec(CHECKS.orchestrationNeutrality)?.skip('the plugin could not be loaded');
      rec(CHECKS.fallback)?.skip('the plugin could not be loaded');
      return;
    } finally {
      recorder.restore();
    }
  }

  const setupFailed = runs !== undefined && !runs.a.setup.ok;
  if (runs !== undefined && setupFailed) {
    const error = (runs.a.setup as { error: unknown }).error;
    for (const id of [
      CHECKS.serializable,
      CHECKS.determinism,
      CHECKS.orchestrationNeutrality,
      CHECKS.fallback,
    ]) {
      rec(id)?.skip('setup() failed (see lifecycle)');
    }
    rec(CHECKS.lifecycle)?.fail(
      new PluginInvocationError(errorText(error), { ...target.where, hook: 'setup', cause: error }),
      { hook: 'setup', location: locate(error, target) },
    );
  }

  if (runs !== undefined && ambient !== undefined) {
    checkAmbient(rec(CHECKS.ambientState), target, runs, ambient);
    checkResources(rec(CHECKS.resources), target, runs, idempotent);
    if (!setupFailed) {
      checkSerializable(rec(CHECKS.serializable), target, runs.a);
      checkDeterminism(rec(CHECKS.determinism), target, runs, determinismActive, ambient.events);
      checkSamples(rec(CHECKS.lifecycle), target, runs.a);
    }
  }

  // --- forked hosts: once each per suite --------------------------------------------
  const forked: Promise<void>[] = [];
  const lifecycleRec = rec(CHECKS.lifecycle);
  if (lifecycleRec !== undefined && !setupFailed) {
    forked.push(checkLifecycle(lifecycleRec, target, logger));
  }
  const neutralRec = rec(CHECKS.orchestrationNeutrality);
  if (neutralRec !== undefined && !setupFailed && runs !== undefined) {
    forked.push(checkNeutrality(neutralRec, target, runs.a, logger));
  }
  const fallbackRec = rec(CHECKS.fallback);
  if (fallbackRec !== undefined && !setupFailed) {
    if (!(manifest.fallback || options.fallback === 'always')) {
      fallbackRec.skip(
        'not a capability fallback (fallback = false); pass fallback: "always" to run it',
      );
    } else if (target.samples.length === 0) {
      fallbackRec.skip('needs at least one sample: the edge cases are derived from sample inputs');
    } else {
      forked.push(checkFallback(fallbackRec, target, logger));
    }
  }
  await Promise.all(forked);
}

async function makeInstance(
  target: Target,
  namespace: Record<string, unknown> | undefined,
): Promise<object> {
  if (namespace !== undefined)
    return (await instantiate(namespace, target.entry?.exportName)).instance;
  const plugin = target.plugin;
  if (isClass(plugin)) return new plugin();
  if (typeof plugin === 'function') return await (plugin as () => object | Promise<object>)();
  return plugin as object;
}

async function runInProcess(
  target: Target,
  namespace: Record<string, unknown> | undefined,
  recorder: Instrumentation,
  defaults: boolean,
): Promise<InProcessRun> {
  recorder.phase = 'import';
  const instance = await makeInstance(target, namespace);
  const session = createSession({
    manifest: target.manifest,
    instance,
    seed: target.seed,
    now: target.now,
    config: target.config,
    ...(target.options.logger === undefined ? {} : { logger: target.options.logger }),
    ...(target.options.resources === undefined ? {} : { extraResources: target.options.resources }),
    defaults,
  });
  recorder.allow(session.tmpdir);
  try {
    recorder.phase = 'setup';
    recorder.hook = 'setup';
    const setup = await session.setup();
    const results: Settled[] = [];
    let teardown: Settled | undefined;
    if (setup.ok) {
      recorder.phase = 'hooks';
      for (const sample of target.samples) {
        recorder.hook = sample.hook;
        results.push(await session.invoke(sample.hook, sample.input, sample.metadata));
      }
      recorder.phase = 'teardown';
      recorder.hook = 'teardown';
      teardown = await session.teardown();
    }
    recorder.phase = 'idle';
    recorder.hook = undefined;
    return {
      setup,
      results,
      teardown,
      outcomes: results.map(outcomeOf),
      undeclared: session.undeclared,
      tmpdirEntries: listTree(session.tmpdir),
    };
  } finally {
    recorder.phase = 'idle';
    await session.close();
  }
}

/** The plugin frame of an error's stack, when it has one. */
function locate(error: unknown, target: Target): string | undefined {
  const stack = error instanceof Error ? error.stack : (error as ErrorInfo | undefined)?.stack;
  return pluginFrames(stack, target.pluginDir)[0];
}

const sampleLabel = (i: number, s: ContractSample | undefined) =>
  `sample #${i}${s === undefined ? '' : ` (${s.hook})`}`;

/** Where two outcomes first differ, as text; `undefined` when equal. */
function compareOutcomes(
  a: Outcome | undefined,
  b: Outcome | undefined,
): { pointer: string; left: string; right: string } | undefined {
  const show = (o: Outcome | undefined): string =>
    o === undefined
      ? 'nothing'
      : o.ok
        ? (o.json ?? 'undefined')
        : `${o.error.name}: ${o.error.message}`;
  if (a === undefined || b === undefined || a.ok !== b.ok) {
    if (a === undefined && b === undefined) return undefined;
    return { pointer: '', left: show(a), right: show(b) };
  }
  if (a.ok && b.ok) {
    if (a.json === b.json) return undefined;
    if (a.json === undefined || b.json === undefined)
      return { pointer: '', left: show(a), right: show(b) };
    const diff = firstDifference(JSON.parse(a.json), JSON.parse(b.json));
    return diff === undefined
      ? { pointer: '', left: preview(a.json), right: preview(b.json) }
      : { pointer: diff.pointer, left: preview(diff.left), right: preview(diff.right) };
  }
  if (!a.ok && !b.ok && a.error.name === b.error.name && a.error.message === b.error.message) {
    return undefined;
  }
  return { pointer: '', left: show(a), right: show(b) };
}

// ---------------------------------------------------------------------------
// Ambient state (ADR-0003 §1)
// ---------------------------------------------------------------------------

const AMBIENT_TEXT: Record<string, (detail: string) => string> = {
  'env-read': (d) =>
    `environment variable ${d} read outside setup(); read it in setup() and keep it`,
  'env-write': (d) => `environment variable ${d} written: process-wide state`,
  cwd: () => 'process.cwd() relied upon; take paths from ctx (resources.tmpdir, config)',
  chdir: (d) => `${d} changes the working directory of the whole process`,
  'fs-relative': (d) => `${d}: a relative path depends on the working directory`,
  'fs-outside': (d) => `${d}; use ctx.resources tmpdir or a configured path`,
  'global-write': (d) => `${d} written: a process-wide global`,
};

function checkAmbient(
  rec: CheckRecorder | undefined,
  target: Target,
  runs: { a: InProcessRun; b: InProcessRun; c: InProcessRun },
  ambient: { events: Instrumentation['events']; globals: { key: string; change: string }[] },
): void {
  if (rec === undefined) return;
  const violation = (
    text: string,
    where: { hook?: string | undefined; sample?: number; location?: string },
  ) =>
    rec.fail(new AmbientStateViolation({ ...target.where, violations: [text] }), {
      ...where,
      message: text,
    });
  const located = new Set<string>();
  for (const e of ambient.events) {
    const text = AMBIENT_TEXT[e.kind];
    if (text === undefined) continue;
    if (e.kind === 'global-write') located.add(e.detail);
    violation(`${text(e.detail)} (during ${e.phase})`, { hook: e.hook, location: e.location });
  }
  for (const g of ambient.globals) {
    if (located.has(`globalThis.${g.key}`)) continue;
    violation(`globalThis.${g.key} ${g.change} by the plugin: a process-wide global`, {
      location: `globalThis.${g.key}`,
    });
  }
  // Module-level state: a second instance of the same module must behave like
  // the first, as long as a fresh module does (else it is plain nondeterminism).
  target.samples.forEach((sample, i) => {
    const ab = compareOutcomes(runs.a.outcomes[i], runs.b.outcomes[i]);
    const ac = compareOutcomes(runs.a.outcomes[i], runs.c.outcomes[i]);
    if (ab !== undefined && ac === undefined) {
      violation(
        `module-level state: a second instance of the same module returned ${ab.right} at ${ab.pointer || '(root)'} where the first returned ${ab.left}; keep state on the instance or in ctx.resources`,
        {
          hook: sample.hook,
          sample: i,
          location: `${sampleLabel(i, sample)} output ${ab.pointer || '(root)'}`,
        },
      );
    }
  });
  rec.note(
    'watched: process.env outside setup, process.cwd/chdir, node:fs paths, globalThis, and two instances of one module',
  );
}

// ---------------------------------------------------------------------------
// Serializable boundaries (ADR-0003 §2)
// ---------------------------------------------------------------------------

function checkSerializable(rec: CheckRecorder | undefined, target: Target, a: InProcessRun): void {
  if (rec === undefined) return;
  if (target.samples.length === 0) {
    rec.skip('no samples: nothing crossed a boundary');
    return;
  }
  if (target.manifest.in_process_only) {
    rec.skip('in_process_only plugin: hook values may be live objects (ADR-0003 §2 exception)');
    return;
  }
  const fail = (i: number, side: 'input' | 'output', pointer: string, text: string) => {
    const sample = target.samples[i] as ContractSample;
    rec.fail(new SerializationError(text, { ...target.where, pointer, hook: sample.hook }), {
      hook: sample.hook,
      sample: i,
      location: `${sampleLabel(i, sample)} ${side} ${pointer || '(root)'}`,
      message: `${side} ${pointer || '(root)'}: ${text}`,
    });
  };
  target.samples.forEach((sample, i) => {
    for (const issue of findJsonIssues(sample.input)) {
      fail(i, 'input', issue.pointer, `${issue.type}: ${issue.problem}`);
    }
    const result = a.results[i];
    if (result === undefined || !result.ok) return;
    const issues = findJsonIssues(result.value);
    for (const issue of issues) fail(i, 'output', issue.pointer, `${issue.type}: ${issue.problem}`);
    if (issues.length > 0) return;
    const hookSpec = target.options.kindSpec?.hooks.find((h) => h.name === sample.hook);
    if (hookSpec === undefined) return;
    if (hookSpec.output_schema !== undefined && result.value !== undefined) {
      for (const p of schemaProblems(hookSpec.output_schema, result.value)) {
        fail(i, 'output', p.pointer, `does not match the hook's output schema: ${p.message}`);
      }
    }
    // A chain stage's output is the next stage's input (ADR-0003 §2, chain symmetry).
    if (hookSpec.dispatch === 'chain' && hookSpec.input_schema !== undefined) {
      for (const p of schemaProblems(hookSpec.input_schema, result.value)) {
        fail(
          i,
          'output',
          p.pointer,
          `chain stage N output is not accepted by stage N+1's input schema: ${p.message}`,
        );
      }
    }
  });
  if (target.options.kindSpec === undefined) {
    rec.note('no kindSpec given: output schemas and chain-stage symmetry not checked');
  }
}

// ---------------------------------------------------------------------------
// Determinism (ADR-0003 §8)
// ---------------------------------------------------------------------------

function checkDeterminism(
  rec: CheckRecorder | undefined,
  target: Target,
  runs: { a: InProcessRun; c: InProcessRun },
  active: boolean,
  events: Instrumentation['events'],
): void {
  if (rec === undefined) return;
  if (!active) {
    rec.skip(
      `idempotency_mode is "${target.manifest.unit_of_work.idempotency_mode}", not output_hash; pass determinism: "always" to check anyway`,
    );
    return;
  }
  for (const e of events) {
    if (e.kind !== 'time' && e.kind !== 'random') continue;
    const hook = e.hook ?? e.phase;
    const instead = e.kind === 'time' ? "ctx.resources.get('clock')" : "ctx.resources.get('rng')";
    rec.fail(new DeterminismError({ ...target.where, hook, pointer: '' }), {
      hook,
      location: e.location,
      message: `${e.detail} called at ${e.location} (during ${e.phase}): ambient ${e.kind === 'time' ? 'time' : 'randomness'}; use ${instead}`,
    });
  }
  target.samples.forEach((sample, i) => {
    const diff = compareOutcomes(runs.a.outcomes[i], runs.c.outcomes[i]);
    if (diff === undefined) return;
    rec.fail(new DeterminismError({ ...target.where, hook: sample.hook, pointer: diff.pointer }), {
      hook: sample.hook,
      sample: i,
      location: `${sampleLabel(i, sample)} output ${diff.pointer || '(root)'}`,
      message: `two runs with the same FrozenClock and SeededRng differ at ${diff.pointer || '(root)'}: ${diff.left} vs ${diff.right}`,
    });
  });
  if (target.samples.length === 0) rec.note('no samples: only ambient clock/rng use was watched');
}

// ---------------------------------------------------------------------------
// Resources (ADR-0003 §3)
// ---------------------------------------------------------------------------

function checkResources(
  rec: CheckRecorder | undefined,
  target: Target,
  runs: { a: InProcessRun; d: InProcessRun | undefined },
  idempotent: boolean,
): void {
  if (rec === undefined) return;
  const { manifest } = target;
  const declared = [...manifest.resources.required, ...manifest.resources.optional];
  const seen = new Set<string>();
  for (const u of runs.a.undeclared) {
    if (seen.has(u.name)) continue;
    seen.add(u.name);
    const location =
      callerInPlugin(u.stack, target.pluginDir) ?? pluginFrames(u.stack, target.pluginDir)[0];
    rec.fail(new UndeclaredResource({ ...target.where, name: u.name, declared }), {
      location: location ?? `${manifest.source}#/resources`,
    });
  }
  const provided = new Set<string>([
    ...STANDARD_RESOURCE_NAMES,
    ...Object.keys(target.options.resources ?? {}),
  ]);
  for (const name of manifest.resources.required) {
    if (provided.has(name)) continue;
    rec.fail(
      new ResourceError(`requires resource "${name}", which the contract suite cannot provide`, {
        ...target.where,
        resource: name,
        hint: `pass runContractSuite({ resources: { ${name}: ... } }) with a test double`,
      }),
      { location: `${manifest.source}#/resources/required` },
    );
  }
  rec.note(
    `ran against the test doubles (FrozenClock, SeededRng, in-memory blob/checkpoint stores, offline http_client, empty tmpdir); declared: ${declared.join(', ') || 'none'}`,
  );
  if (!idempotent || runs.d === undefined) {
    rec.note(
      `doubles-vs-production comparison not applicable (idempotency_mode "${manifest.unit_of_work.idempotency_mode}", not input_hash)`,
    );
    return;
  }
  const d = runs.d;
  target.samples.forEach((sample, i) => {
    const diff = compareOutcomes(runs.a.outcomes[i], d.outcomes[i]);
    if (diff === undefined) return;
    rec.fail(new DeterminismError({ ...target.where, hook: sample.hook, pointer: diff.pointer }), {
      hook: sample.hook,
      sample: i,
      location: `${sampleLabel(i, sample)} output ${diff.pointer || '(root)'}`,
      message: `an input_hash plugin gave ${diff.left} with the test doubles and ${diff.right} with the production resources at ${diff.pointer || '(root)'}`,
    });
  });
}

// ---------------------------------------------------------------------------
// Lifecycle (ADR-0001 §Leak detection)
// ---------------------------------------------------------------------------

/** Sample errors and `expected` mismatches of the primary run. */
function checkSamples(rec: CheckRecorder | undefined, target: Target, a: InProcessRun): void {
  if (rec === undefined) return;
  target.samples.forEach((sample, i) => {
    const result = a.results[i];
    if (result === undefined) return;
    if (!result.ok) {
      const info = describeError(result.error);
      rec.fail(
        new PluginInvocationError(info.message, {
          ...target.where,
          hook: sample.hook,
          remoteName: info.name,
          cause: result.error,
        }),
        {
          hook: sample.hook,
          sample: i,
          location: locate(result.error, target) ?? sampleLabel(i, sample),
        },
      );
      return;
    }
    if (!('expected' in sample)) return;
    const outcome = outcomeOf(result);
    const diff = compareOutcomes(
      { ok: true, json: JSON.stringify(sample.expected), unserializable: false },
      outcome,
    );
    if (diff === undefined) return;
    rec.fail(
      new UnexpectedOutput({
        ...target.where,
        hook: sample.hook,
        pointer: diff.pointer,
        expected: diff.left,
        actual: diff.right,
      }),
      {
        hook: sample.hook,
        sample: i,
        location: `${sampleLabel(i, sample)} output ${diff.pointer || '(root)'}`,
      },
    );
  });
  if (a.teardown !== undefined && !a.teardown.ok) {
    const error = a.teardown.error;
    rec.fail(
      new PluginInvocationError(errorText(error), {
        ...target.where,
        hook: 'teardown',
        cause: error,
      }),
      { hook: 'teardown', location: locate(error, target) },
    );
  }
}

interface LifecycleAnswer {
  leaks: Leak[];
  collect: { status: 'collected' | 'retained' | 'skipped'; reason?: string };
  setupError?: ErrorInfo;
  teardownError?: ErrorInfo;
  fdsSupported: boolean;
  childrenSupported: boolean;
}

function samplesForHost(target: Target) {
  return target.samples.map((s) => ({
    hook: s.hook,
    input: s.input,
    ...(s.metadata === undefined ? {} : { metadata: s.metadata }),
  }));
}

function hostRequest(target: Target, op: 'run' | 'lifecycle' | 'fallback') {
  const entry = target.entry as { file: string; exportName: string | undefined };
  return {
    op,
    file: entry.file,
    exportName: entry.exportName,
    manifest: { ...target.manifest },
    samples: samplesForHost(target),
    seed: target.seed,
    now: target.now,
    config: target.config,
    pluginDir: target.pluginDir,
  };
}

async function checkLifecycle(
  rec: CheckRecorder,
  target: Target,
  logger: NonNullable<ContractSuiteOptions['logger']>,
): Promise<void> {
  let answer: LifecycleAnswer;
  if (target.entry === undefined) {
    answer = await lifecycleInProcess(target);
    rec.note(
      'plugin object given: leaks measured in this process; the collectable-instance probe needs an entry point',
    );
  } else {
    try {
      answer = await inChild<LifecycleAnswer>(hostRequest(target, 'lifecycle'), {
        logger,
        timeoutMs: target.options.timeouts?.forkMs ?? 30_000,
        execArgv: ['--expose-gc'],
      });
    } catch (error) {
      rec.fail(
        new LeakDetected({
          ...target.where,
          leaks: [`the lifecycle did not finish in a child process: ${errorText(error)}`],
        }),
        { location: 'forked host' },
      );
      return;
    }
  }
  for (const leak of answer.leaks) {
    rec.fail(new LeakDetected({ ...target.where, leaks: [`${leak.what} (${leak.detail})`] }), {
      location: leak.location,
      message: `${leak.what} after teardown at ${leak.location}: ${leak.detail}`,
    });
  }
  if (answer.collect.status === 'retained') {
    rec.fail(new LeakDetected({ ...target.where, leaks: ['plugin instance not collectable'] }), {
      location: `${target.entry?.file ?? 'plugin'}${target.entry?.exportName === undefined ? '' : `#${target.entry.exportName}`}`,
      message: answer.collect.reason ?? 'the plugin instance is not collectable',
    });
  } else if (answer.collect.status === 'skipped') {
    rec.note(`instance collectability not checked: ${answer.collect.reason}`);
  } else {
    rec.note('instance collected after teardown (WeakRef + FinalizationRegistry, --expose-gc)');
  }
  if (!answer.fdsSupported)
    rec.note('open file descriptors not checked: no /proc/self/fd on this platform');
  if (!answer.childrenSupported) rec.note('child processes not checked: no /proc on this platform');
  if (answer.teardownError !== undefined && target.entry !== undefined) {
    rec.note(`teardown() threw in the forked host: ${answer.teardownError.message}`);
  }
}

/** The leak probe in this process, for a plugin given as an object. */
async function lifecycleInProcess(target: Target): Promise<LifecycleAnswer> {
  const before = snapshot();
  const tracker = trackAsyncResources();
  let tmpdirEntries: string[] = [];
  let after: ReturnType<typeof snapshot> | undefined;
  try {
    const instance = await makeInstance(target, undefined);
    const session = createSession({
      manifest: target.manifest,
      instance,
      seed: target.seed,
      now: target.now,
      config: target.config,
    });
    try {
      if ((await session.setup()).ok) {
        for (const s of target.samples) await session.invoke(s.hook, s.input, s.metadata);
        await session.teardown();
      }
      await settle();
      after = snapshot();
      tmpdirEntries = listTree(session.tmpdir);
    } finally {
      await session.close();
    }
  } finally {
    tracker.stop();
  }
  return {
    leaks: diffSnapshots({
      before,
      after: after ?? snapshot(),
      tracked: tracker.live,
      pluginDir: target.pluginDir,
      tmpdirEntries,
    }),
    collect: { status: 'skipped', reason: 'a plugin object was given, not an entry point to fork' },
    fdsSupported: before.fds !== undefined,
    childrenSupported: before.children !== undefined,
  };
}

// ---------------------------------------------------------------------------
// Orchestration neutrality (ADR-0003 §1 contract test)
// ---------------------------------------------------------------------------

async function checkNeutrality(
  rec: CheckRecorder,
  target: Target,
  a: InProcessRun,
  logger: NonNullable<ContractSuiteOptions['logger']>,
): Promise<void> {
  if (target.entry === undefined) {
    rec.skip(
      'a plugin object was given: the worker and forked hosts need an entry point to import',
    );
    return;
  }
  if (target.samples.length === 0) {
    rec.skip('no samples to compare');
    return;
  }
  const hostOptions = { logger, timeoutMs: target.options.timeouts?.forkMs ?? 30_000 };
  const request = hostRequest(target, 'run');
  const hosts = await Promise.allSettled([
    inWorker<SamplesRun>(request, hostOptions),
    inChild<SamplesRun>(request, hostOptions),
  ]);
  const local: SamplesRun = { setup: outcomeOf(a.setup), outcomes: a.outcomes };
  (['worker thread', 'forked process'] as const).forEach((host, h) => {
    const settled = hosts[h] as PromiseSettledResult<SamplesRun>;
    if (settled.status === 'rejected') {
      const reason = settled.reason;
      const remote = reason instanceof HostFailure ? reason.remote : undefined;
      const text = `the plugin could not run in a ${host}: ${remote === undefined ? errorText(reason) : `${remote.name}: ${remote.message}`}`;
      rec.fail(new AmbientStateViolation({ ...target.where, violations: [text] }), {
        location: pluginFrames(remote?.stack, target.pluginDir)[0] ?? host,
        message: text,
      });
      return;
    }
    const other = settled.value;
    const setupDiff = compareOutcomes(local.setup, other.setup);
    if (setupDiff !== undefined) {
      const text = `setup() gave ${setupDiff.left} in-process and ${setupDiff.right} in a ${host}`;
      rec.fail(new AmbientStateViolation({ ...target.where, violations: [text] }), {
        hook: 'setup',
        location: `setup (${host})`,
        message: text,
      });
      return;
    }
    target.samples.forEach((sample, i) => {
      const diff = compareOutcomes(local.outcomes[i], other.outcomes[i]);
      if (diff === undefined) return;
      const text = `${sampleLabel(i, sample)}: in-process gave ${diff.left}, a ${host} gave ${diff.right} at ${diff.pointer || '(root)'}`;
      rec.fail(new AmbientStateViolation({ ...target.where, violations: [text] }), {
        hook: sample.hook,
        sample: i,
        location: `${sampleLabel(i, sample)} output ${diff.pointer || '(root)'} (${host})`,
        message: text,
      });
    });
  });
  rec.note(
    'hosts: this process, a worker thread, a forked child process (its cwd and TMPDIR a fresh temp folder)',
  );
}

// ---------------------------------------------------------------------------
// Fallback robustness (ADR-0002 §Contract test for the fallback)
// ---------------------------------------------------------------------------

interface FallbackResult {
  sample: number;
  hook: string;
  label: string;
  pointer: string;
  threw?: ErrorInfo;
  malformed?: { pointer: string; type: string; problem: string }[];
}

async function checkFallback(
  rec: CheckRecorder,
  target: Target,
  logger: NonNullable<ContractSuiteOptions['logger']>,
): Promise<void> {
  let answer: { setupError?: ErrorInfo; results: FallbackResult[] };
  if (target.entry === undefined) {
    answer = await fallbackInProcess(target);
    rec.note('plugin object given: edge cases ran in this process, without a per-case time limit');
  } else {
    try {
      answer = await inChild(hostRequest(target, 'fallback'), {
        logger,
        timeoutMs: target.options.timeouts?.forkMs ?? 60_000,
        progressTimeoutMs: target.options.timeouts?.fallbackCaseMs ?? 10_000,
      });
    } catch (error) {
      const progress = (error instanceof HostFailure ? error.lastProgress : undefined) as
        | { sample: number; label: string; pointer: string }
        | undefined;
      const sample = progress === undefined ? undefined : target.samples[progress.sample];
      const hook = sample?.hook ?? target.samples[0]?.hook ?? 'unknown';
      const where =
        progress === undefined
          ? 'forked host'
          : `${sampleLabel(progress.sample, sample)} case "${progress.label}" at input ${progress.pointer || '(root)'}`;
      const failure =
        error instanceof HostFailure && error.kind === 'timeout'
          ? new HookTimeout({
              ...target.where,
              hook,
              timeoutMs: target.options.timeouts?.fallbackCaseMs ?? 10_000,
            })
          : new PluginInvocationError(errorText(error), { ...target.where, hook, cause: error });
      rec.fail(failure, {
        hook,
        ...(progress === undefined ? {} : { sample: progress.sample }),
        location: where,
        message: `${where}: ${error instanceof HostFailure && error.kind === 'timeout' ? 'did not return (hung); the remaining cases did not run' : errorText(error)}`,
      });
      return;
    }
  }
  if (answer.setupError !== undefined) {
    rec.fail(
      new PluginInvocationError(answer.setupError.message, { ...target.where, hook: 'setup' }),
      { hook: 'setup', location: pluginFrames(answer.setupError.stack, target.pluginDir)[0] },
    );
    return;
  }
  for (const r of answer.results) {
    const where = `${sampleLabel(r.sample, target.samples[r.sample])} case "${r.label}" at input ${r.pointer || '(root)'}`;
    if (r.threw !== undefined) {
      const frame = pluginFrames(r.threw.stack, target.pluginDir)[0];
      rec.fail(
        new PluginInvocationError(r.threw.message, {
          ...target.where,
          hook: r.hook,
          remoteName: r.threw.name,
        }),
        {
          hook: r.hook,
          sample: r.sample,
          location: frame === undefined ? where : `${where}, thrown at ${frame}`,
          message: `${where}: threw ${r.threw.name}: ${r.threw.message}`,
        },
      );
    }
    for (const m of r.malformed ?? []) {
      rec.fail(
        new SerializationError(`${m.type}: ${m.problem}`, {
          ...target.where,
          pointer: m.pointer,
          hook: r.hook,
        }),
        {
          hook: r.hook,
          sample: r.sample,
          location: `${where}, output ${m.pointer || '(root)'}`,
          message: `${where}: output ${m.pointer || '(root)'} is not well-formed: ${m.type}: ${m.problem}`,
        },
      );
    }
  }
  const labels = [...new Set(answer.results.map((r) => r.label))];
  rec.note(`${answer.results.length} edge cases: ${labels.join(', ')}`);
}

async function fallbackInProcess(
  target: Target,
): Promise<{ setupError?: ErrorInfo; results: FallbackResult[] }> {
  const instance = await makeInstance(target, undefined);
  const session = createSession({
    manifest: target.manifest,
    instance,
    seed: target.seed,
    now: target.now,
    config: target.config,
  });
  const results: FallbackResult[] = [];
  try {
    const setup = await session.setup();
    if (!setup.ok) return { setupError: describeError(setup.error), results };
    for (const [index, sample] of target.samples.entries()) {
      for (const c of edgeCases(sample.input)) {
        const settled = await session.invoke(sample.hook, c.input, sample.metadata);
        const base = { sample: index, hook: sample.hook, label: c.label, pointer: c.pointer };
        if (!settled.ok) results.push({ ...base, threw: describeError(settled.error) });
        else if (settled.value === undefined) {
          results.push({
            ...base,
            malformed: [{ pointer: '', type: 'undefined', problem: 'returned nothing' }],
          });
        } else {
          const issues = findJsonIssues(settled.value, 3);
          results.push(issues.length === 0 ? base : { ...base, malformed: issues });
        }
      }
    }
    await session.teardown();
    return { results };
  } finally {
    await session.close();
  }
}
