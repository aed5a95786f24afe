// Categories `lifecycle` and `dispatch`: a host (registry options), kinds,
// plugins described by manifest fields plus behaviour, and steps (register,
// setup_all, call, settle, check_health, reload, teardown_all), each with
// its expectations (README §Scenarios).
import {
  type CallMetadata,
  type HookSpec,
  type KindSpec,
  type Logger,
  type PluginContext,
  type PluginHandle,
  type PluginManifest,
  RUNTIMES,
  type RuntimeAdapter,
  type RuntimeLoadOptions,
} from '@dagstack/plugin-api';
import {
  BroadcastCollectDispatcher,
  BroadcastNotifyDispatcher,
  CapabilityDispatcher,
  ChainDispatcher,
  type DispatchCandidate,
  type DispatchOptions,
  SingletonDispatcher,
} from '@dagstack/plugin-dispatch';
import { createInProcessHandle, PluginRegistry, type SetupReport } from '@dagstack/plugin-registry';
import {
  FrozenClock,
  InMemoryBlobStore,
  InMemoryCheckpointStore,
  InMemoryEventBus,
  MemoryProgressSink,
  SeededRng,
} from '@dagstack/plugin-resources';
import { createMcpStdioRuntime } from '@dagstack/plugin-runtime-mcp-stdio';
import {
  type Behaviour,
  checkBehaviour,
  checkFilter,
  type EventLog,
  makePluginObject,
  type PluginBehaviour,
  perform,
} from './behaviour.js';
import {
  assertEqual,
  assertError,
  assertSameItems,
  assertSubset,
  errorView,
  Mismatch,
  show,
  toData,
} from './compare.js';
import { CHILD_PROGRAMS, ProcessScope } from './processes.js';

/** Host settings: how the registry of a scenario is built. */
export interface HostSpec {
  /** The core version plugins are checked against. @default "0.1.0" */
  core_version?: string;
  /** Runtimes the host has besides in_process (served by in-memory stand-ins). */
  runtimes?: string[];
  /** The environment the registry reads (`DAGSTACK_ACTIVE_<KIND>`, `DAGSTACK_PLUGIN_TRUSTED_PUBLISHERS`). */
  env?: Record<string, string>;
  /** Governance filter: allowed plugin names by the value of one metadata key. */
  governance?: {
    metadata_key: string;
    allow: Record<string, string[]>;
    otherwise?: string[];
  } | null;
  /** Routing policy for singleton hooks: plugin name by the value of one metadata key. */
  routing?: { metadata_key: string; choose: Record<string, string> } | null;
  /** Validate hook inputs and outputs against the hookspec schemas. */
  validate?: boolean;
  /** JSON round-trip check between chain stages. */
  check_json_boundaries?: boolean;
  /** Per-call limit when a call gives none. */
  call_timeout_ms?: number;
  /** Resources the host provides, by standard name. */
  resources?: string[];
  /** Plugins of kinds without a registered hookspec are unavailable. */
  strict_kinds?: boolean;
  /** Plugin configuration by section `<kind>.<name>` (or `{<kind>: {<name>: ...}}`). */
  config?: Record<string, unknown>;
  /**
   * How `mcp_stdio` plugins run: `stand_in` (default, in-memory stand-ins) or
   * `children` (real child processes serving the behaviour, loaded by the
   * binding's real mcp_stdio runtime).
   */
  stdio?: 'stand_in' | 'children';
}

/** What a caller of {@link runScenario} adds to the host (the wire runner). */
export interface ScenarioOptions {
  /** Runtime adapters to use instead of the stand-ins of their runtime. */
  readonly adapters?: readonly RuntimeAdapter[];
  /** Called after the last step and the final teardown, even when the case failed. */
  readonly cleanup?: () => Promise<void>;
}

type HookShorthand = string | (Partial<HookSpec> & { dispatch: string });

export interface KindShorthand {
  kind_api_version?: string;
  hooks: Record<string, HookShorthand>;
}

/** A plugin entry: manifest fields plus the reserved behaviour keys. */
export type PluginSpec = Record<string, unknown> &
  PluginBehaviour & { name: string; load?: Behaviour };

/** The public call paths a call step may take (README §Steps, `via`). */
const VIA = ['registry', 'get_plugin', 'plugin_context', 'dispatcher'] as const;
type Via = (typeof VIA)[number];

interface CallSpec {
  kind?: string;
  hook: string;
  input?: unknown;
  metadata?: Record<string, unknown>;
  timeout_ms?: number;
  cancel_after_ms?: number;
  target?: string;
  selector?: Record<string, unknown>;
  /** Which public call path makes the call. @default "registry" */
  via?: Via;
  /** For `via: plugin_context`: the in-process plugin whose context calls. */
  from?: string;
}

/** What a call step needs besides the registry: the kinds and the plugins' contexts. */
interface CallHost {
  registry: PluginRegistry;
  defaultKind: string;
  kinds: Record<string, KindShorthand>;
  contexts: ReadonlyMap<string, PluginContext>;
}

interface StepExpect {
  result?: unknown;
  error?: unknown;
  calls?: string[];
  calls_any_order?: string[];
  states?: Record<string, string>;
  status?: Record<string, Record<string, unknown>>;
  started?: string[];
  unavailable?: Record<string, unknown>;
  logs?: Record<string, unknown>[];
  health?: unknown;
}

interface Step {
  register?: Record<string, never>;
  setup_all?: { metadata?: Record<string, unknown> };
  call?: CallSpec;
  settle?: Record<string, never>;
  check_health?: { plugin: string; times?: number };
  reload?: { plugin: string };
  teardown_all?: Record<string, never>;
  expect?: StepExpect;
}

export interface ScenarioCase {
  id: string;
  description?: string;
  host?: HostSpec;
  kinds?: Record<string, KindShorthand>;
  plugins?: PluginSpec[];
  steps?: Step[];
  /** Shorthand for steps `[setup_all, { call, expect }]`. */
  call?: CallSpec;
  expect?: StepExpect;
}

const BEHAVIOUR_KEYS = [
  'hooks',
  'setup',
  'teardown',
  'health',
  'before',
  'after',
  'filter',
  'load',
] as const;
const ACTIONS = [
  'register',
  'setup_all',
  'call',
  'settle',
  'check_health',
  'reload',
  'teardown_all',
] as const;
const EXPECT_KEYS = new Set([
  'result',
  'error',
  'calls',
  'calls_any_order',
  'states',
  'status',
  'started',
  'unavailable',
  'logs',
  'health',
]);

interface LogRecord {
  level: string;
  message: string;
  [field: string]: unknown;
}

function captureLogger(records: LogRecord[], bound: Record<string, unknown> = {}): Logger {
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      records.push({ ...bound, ...fields, level, message });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields: Record<string, unknown>): Logger =>
      captureLogger(records, { ...bound, ...fields }),
  };
}

function standardResource(name: string): unknown {
  switch (name) {
    case 'clock':
      return new FrozenClock();
    case 'rng':
      return new SeededRng(0);
    case 'progress':
      return new MemoryProgressSink();
    case 'checkpoint':
      return new InMemoryCheckpointStore();
    case 'blob_store':
      return new InMemoryBlobStore();
    case 'event_bus':
      return new InMemoryEventBus();
    default:
      return Object.freeze({ resource: name });
  }
}

function kindSpecs(kinds: Record<string, KindShorthand>): KindSpec[] {
  return Object.entries(kinds).map(([kind, k]) => ({
    kind,
    kind_api_version: k.kind_api_version ?? '1.0.0',
    hooks: Object.entries(k.hooks ?? {}).map(([name, h]): HookSpec => {
      const spec = typeof h === 'string' ? { dispatch: h } : h;
      return { mcp_exposed: true, ...spec, name } as HookSpec;
    }),
  }));
}

/** Split a plugin entry into its manifest and its behaviour. */
function splitPlugin(
  spec: PluginSpec,
  defaultKind: string,
  where: string,
): { manifest: Record<string, unknown>; behaviour: PluginBehaviour; load: Behaviour | undefined } {
  const manifest: Record<string, unknown> = {};
  const behaviour: PluginBehaviour = {};
  let load: Behaviour | undefined;
  for (const [key, value] of Object.entries(spec)) {
    if (!(BEHAVIOUR_KEYS as readonly string[]).includes(key)) {
      manifest[key] = value;
      continue;
    }
    if (key === 'hooks') {
      const hooks: Record<string, Behaviour> = {};
      for (const [hook, b] of Object.entries(value as Record<string, unknown>)) {
        hooks[hook] = checkBehaviour(b, `${where}.hooks.${hook}`);
      }
      behaviour.hooks = hooks;
    } else if (key === 'load') {
      load = checkBehaviour(value, `${where}.load`);
    } else if (key === 'filter') {
      behaviour.filter = checkFilter(value, `${where}.filter`);
    } else {
      behaviour[key as Exclude<keyof PluginBehaviour, 'hooks' | 'filter'>] = checkBehaviour(
        value,
        `${where}.${key}`,
      );
    }
  }
  manifest.schema_version ??= '1';
  manifest.kind ??= defaultKind;
  manifest.kind_api_version ??= '1';
  manifest.core_version ??= '>=0.1.0';
  manifest.runtime ??= 'in_process';
  const runtimes = Array.isArray(manifest.runtime) ? manifest.runtime : [manifest.runtime];
  if (
    runtimes.includes('mcp_stdio') &&
    manifest.command === undefined &&
    manifest.mcp_stdio === undefined
  ) {
    manifest.command = ['stand-in-stdio-plugin'];
  }
  if (
    runtimes.includes('mcp_http') &&
    manifest.url === undefined &&
    manifest.mcp_http === undefined
  ) {
    manifest.url = 'http://127.0.0.1:9/mcp';
  }
  return { manifest, behaviour, load };
}

/** The kinds of a case as hookspecs (README §Kinds). */
export function caseKindSpecs(kinds: Record<string, KindShorthand> | undefined): KindSpec[] {
  return kindSpecs(kinds ?? {});
}

/** A plugin entry's manifest and behaviour, with the runner's manifest defaults. */
export function pluginParts(
  spec: PluginSpec,
  defaultKind: string,
  where: string,
): { manifest: Record<string, unknown>; behaviour: PluginBehaviour; load: Behaviour | undefined } {
  return splitPlugin(spec, defaultKind, where);
}

/**
 * The `mcp_stdio` runtime of `host.stdio: children`: the binding's real
 * runtime, with the event log recorded on the host side (README §Host): the
 * runner logs `<plugin>.load` when the registry asks the runtime to load a
 * plugin and `<plugin>.<method>` when it begins setup, teardown, health or a
 * hook, because only the host sees the order in which invocations begin.
 */
function recordingStdioRuntime(log: EventLog): RuntimeAdapter & { close(): Promise<void> } {
  const runtime = createMcpStdioRuntime({
    shutdown: { exitWaitMs: 2000, killGraceMs: 1000 },
    restart: { maxAttempts: 1, initialDelayMs: 50 },
  });
  return {
    runtime: runtime.runtime,
    check: runtime.check,
    close: () => runtime.close(),
    async load(manifest: PluginManifest, options: RuntimeLoadOptions): Promise<PluginHandle> {
      const name = manifest.name;
      log.push(`${name}.load`);
      const handle = await runtime.load(manifest, options);
      return {
        manifest: handle.manifest,
        runtime: handle.runtime,
        hooks: handle.hooks,
        instance: handle.instance,
        setup(ctx) {
          log.push(`${name}.setup`);
          return handle.setup(ctx);
        },
        teardown() {
          log.push(`${name}.teardown`);
          return handle.teardown();
        },
        health() {
          log.push(`${name}.health`);
          return handle.health();
        },
        invoke(hook, input, call) {
          log.push(`${name}.${hook}`);
          return handle.invoke(hook, input, call);
        },
      };
    },
  };
}

/** Runs one scenario case against a fresh registry. */
export async function runScenario(c: ScenarioCase, options: ScenarioOptions = {}): Promise<void> {
  const host = c.host ?? {};
  const kinds = c.kinds ?? {};
  const kindNames = Object.keys(kinds);
  const defaultKind = kindNames[0] ?? 'service';
  const log: EventLog = [];
  const records: LogRecord[] = [];
  const objects = new Map<string, { object: object; load: Behaviour | undefined }>();
  /** The context each plugin's setup received, by plugin name (for `via: plugin_context`). */
  const contexts = new Map<string, PluginContext>();

  const children = host.stdio === 'children';
  if (host.stdio !== undefined && host.stdio !== 'stand_in' && !children) {
    throw new Mismatch(`fixture error: host.stdio must be stand_in or children`);
  }
  const scope = children ? await ProcessScope.create() : undefined;
  const adapters: RuntimeAdapter[] = [...(options.adapters ?? [])];
  if (children) adapters.push(recordingStdioRuntime(log));
  const provided = new Set(adapters.map((a) => a.runtime as string));
  const standIns: RuntimeAdapter[] = (host.runtimes ?? []).flatMap((runtime): RuntimeAdapter[] => {
    if (!(Object.values(RUNTIMES) as string[]).includes(runtime) || runtime === 'in_process') {
      throw new Mismatch(`fixture error: host.runtimes lists "${runtime}"`);
    }
    if (provided.has(runtime)) return [];
    return [
      {
        runtime: runtime as RuntimeAdapter['runtime'],
        async load(manifest: PluginManifest) {
          const entry = objects.get(`${manifest.kind}/${manifest.name}`);
          if (entry === undefined) throw new Error(`no stand-in object for ${manifest.name}`);
          log.push(`${manifest.name}.load`);
          if (entry.load !== undefined) {
            await perform(
              entry.load,
              { plugin: manifest.name, method: 'load', value: undefined, log },
              0,
            );
          }
          return {
            ...createInProcessHandle(manifest, entry.object),
            runtime: manifest.runtime.find((r) => r === runtime) ?? runtime,
          } as ReturnType<typeof createInProcessHandle>;
        },
      },
    ];
  });

  // null in a case removes a suite default.
  const governance = host.governance ?? undefined;
  const routing = host.routing ?? undefined;
  const registry = new PluginRegistry({
    coreVersion: host.core_version ?? '0.1.0',
    runtimes: [...standIns, ...adapters],
    logger: captureLogger(records),
    env: host.env ?? {},
    healthChecks: false,
    ...(host.resources === undefined
      ? {}
      : { resources: Object.fromEntries(host.resources.map((r) => [r, standardResource(r)])) }),
    ...(host.validate === undefined ? {} : { validateCalls: host.validate }),
    ...(host.check_json_boundaries === undefined
      ? {}
      : { checkJsonBoundaries: host.check_json_boundaries }),
    ...(host.call_timeout_ms === undefined ? {} : { defaultCallTimeoutMs: host.call_timeout_ms }),
    ...(host.strict_kinds === undefined ? {} : { strictKinds: host.strict_kinds }),
    ...(host.config === undefined ? {} : { config: host.config }),
    ...(governance === undefined
      ? {}
      : {
          governanceFilter: (
            _kind: string,
            _hook: string,
            candidates: readonly DispatchCandidate[],
            call: { metadata: Record<string, unknown> },
          ) => {
            const value = call.metadata[governance.metadata_key];
            const allowed =
              typeof value === 'string' && governance.allow[value] !== undefined
                ? governance.allow[value]
                : governance.otherwise;
            return allowed === undefined
              ? candidates
              : candidates.filter((x) => allowed.includes(x.name));
          },
        }),
    ...(routing === undefined
      ? {}
      : {
          routingPolicy: (
            _kind: string,
            _hook: string,
            _candidates: readonly DispatchCandidate[],
            call: { metadata: Record<string, unknown> },
          ) => {
            const value = call.metadata[routing.metadata_key];
            return typeof value === 'string' ? routing.choose[value] : undefined;
          },
        }),
  });

  let torn = false;
  let left: number[] = [];
  try {
    for (const spec of kindSpecs(kinds)) registry.registerKind(spec);

    const steps: Step[] = c.steps ?? [
      { setup_all: {} },
      ...(c.call === undefined ? [] : [{ call: c.call, expect: c.expect ?? {} }]),
    ];
    if (c.steps !== undefined && (c.call !== undefined || c.expect !== undefined)) {
      throw new Mismatch('fixture error: give either `steps` or `call` + `expect`');
    }

    // Registration, in fixture order.
    const registrationErrors: Record<string, unknown> = {};
    for (const [i, spec] of (c.plugins ?? []).entries()) {
      const where = `plugins[${i}]`;
      if (typeof spec.name !== 'string')
        throw new Mismatch(`fixture error: ${where}.name is required`);
      const { manifest, behaviour, load } = splitPlugin(
        children ? serveAsChild(spec, kinds, defaultKind, scope as ProcessScope, where) : spec,
        defaultKind,
        where,
      );
      const object = makePluginObject(spec.name, behaviour, log) as {
        setup(ctx: PluginContext): unknown;
      };
      const setup = object.setup;
      const name = spec.name;
      object.setup = (ctx: PluginContext) => {
        contexts.set(name, ctx);
        return setup.call(object, ctx);
      };
      try {
        const registered = registry.registerManifest(manifest);
        objects.set(`${registered.kind}/${registered.name}`, { object, load });
        if (registered.runtime.includes('in_process')) {
          registry.attachPlugin(registered.name, object, registered.kind);
        }
      } catch (error) {
        registrationErrors[spec.name] = error;
      }
    }
    const first = steps[0];
    const registerStep = first?.register !== undefined ? first : undefined;
    if (registerStep !== undefined) {
      checkCommon(registerStep.expect ?? {}, { registry, log, records, from: 0 }, 'register');
      const want = registerStep.expect?.error ?? {};
      assertSubset(want, registrationErrors, 'register.error');
      assertEqual(
        Object.keys(want as object).sort(),
        Object.keys(registrationErrors).sort(),
        'register.error (plugins)',
      );
    } else if (Object.keys(registrationErrors).length > 0) {
      throw new Mismatch(`registration failed: ${show(toData(registrationErrors))}`);
    }

    for (const [i, step] of steps.entries()) {
      if (step === registerStep) continue;
      const actions = ACTIONS.filter((a) => step[a] !== undefined);
      if (actions.length !== 1) {
        throw new Mismatch(`fixture error: steps[${i}] needs exactly one of ${ACTIONS.join(', ')}`);
      }
      const action = actions[0] as (typeof ACTIONS)[number];
      const where = `steps[${i}].${action}`;
      const expect = step.expect ?? {};
      for (const key of Object.keys(expect)) {
        if (!EXPECT_KEYS.has(key))
          throw new Mismatch(`fixture error: ${where}.expect has unknown key "${key}"`);
      }
      const from = log.length;
      let value: unknown;
      let thrown: unknown;
      let failed = false;
      try {
        value = await act(action, step, { registry, defaultKind, kinds, contexts });
      } catch (error) {
        failed = true;
        thrown = error;
      }
      if (action === 'teardown_all') torn = true;
      if (expect.error !== undefined) {
        if (!failed)
          throw new Mismatch(
            `${where}.error: expected ${show(expect.error)}, but it succeeded with ${show(toData(value))}`,
          );
        assertError(expect.error, thrown, `${where}.error`);
      } else if (failed) {
        throw new Mismatch(`${where}: failed with ${show(errorView(thrown))}`);
      }
      if (expect.result !== undefined) {
        if (action !== 'call')
          throw new Mismatch(`fixture error: ${where}.expect.result is for call steps`);
        assertEqual(expect.result, value, `${where}.result`);
      }
      if (action === 'setup_all' && !failed) {
        const report = value as SetupReport;
        if (expect.started !== undefined)
          assertEqual(expect.started, report.started, `${where}.started`);
        if (expect.unavailable !== undefined) {
          const got = Object.fromEntries(report.unavailable.map((u) => [u.plugin, u.error]));
          assertEqual(
            Object.keys(expect.unavailable).sort(),
            Object.keys(got).sort(),
            `${where}.unavailable (plugins)`,
          );
          assertSubset(expect.unavailable, got, `${where}.unavailable`);
        }
      }
      if (expect.health !== undefined) assertSubset(expect.health, value, `${where}.health`);
      checkCommon(expect, { registry, log, records, from }, where);
    }
  } finally {
    try {
      if (!torn) await registry.teardownAll().catch(() => undefined);
      registry.close();
      for (const adapter of adapters) await adapter.close?.().catch(() => undefined);
      await options.cleanup?.();
    } finally {
      left = (await scope?.reap()) ?? [];
    }
  }
  // Reached only when the case passed otherwise: a failure explains more.
  if (left.length > 0) {
    throw new Mismatch(`child processes still running after the case: ${left.join(', ')}`);
  }
}

/**
 * `host.stdio: children`: point an `mcp_stdio` plugin at a real child that
 * serves its behaviour (children/serve-behaviour.mjs).
 */
function serveAsChild(
  spec: PluginSpec,
  kinds: Record<string, KindShorthand>,
  defaultKind: string,
  scope: ProcessScope,
  where: string,
): PluginSpec {
  const runtimes: unknown[] = Array.isArray(spec.runtime)
    ? spec.runtime
    : [spec.runtime ?? 'in_process'];
  if (!runtimes.includes('mcp_stdio')) return spec;
  if (spec.load !== undefined) {
    throw new Mismatch(`fixture error: ${where}.load is for stand-ins, not host.stdio: children`);
  }
  const kind = typeof spec.kind === 'string' ? spec.kind : defaultKind;
  const kindSpec = kindSpecs(kinds).find((k) => k.kind === kind);
  const behaviour: PluginBehaviour = {};
  for (const key of ['hooks', 'setup', 'teardown', 'health', 'before', 'after'] as const) {
    if (spec[key] !== undefined) (behaviour as Record<string, unknown>)[key] = spec[key];
  }
  const given = (spec.mcp_stdio ?? {}) as Record<string, unknown>;
  return {
    ...spec,
    mcp_stdio: {
      ...given,
      command: [process.execPath, CHILD_PROGRAMS.serve],
      env: {
        ...((given.env as Record<string, string> | undefined) ?? {}),
        CONFORMANCE_PLUGIN: JSON.stringify({
          name: spec.name,
          kind,
          ...(kindSpec === undefined ? {} : { kind_spec: kindSpec }),
          behaviour,
        }),
        CONFORMANCE_PIDS: scope.pidFile,
      },
    },
  };
}

async function act(action: string, step: Step, host: CallHost): Promise<unknown> {
  const registry = host.registry;
  switch (action) {
    case 'setup_all':
      return registry.setupAll(
        step.setup_all?.metadata === undefined
          ? {}
          : { metadata: step.setup_all.metadata as CallMetadata },
      );
    case 'teardown_all':
      return registry.teardownAll();
    case 'settle':
      return registry.settled();
    case 'check_health': {
      const spec = step.check_health as NonNullable<Step['check_health']>;
      let status: unknown;
      for (let n = 0; n < (spec.times ?? 1); n++) status = await registry.checkHealth(spec.plugin);
      return status;
    }
    case 'reload':
      return registry.reload((step.reload as NonNullable<Step['reload']>).plugin);
    case 'call': {
      const call = step.call as CallSpec;
      if (typeof call.hook !== 'string') throw new Mismatch('fixture error: call.hook is required');
      const kind = call.kind ?? host.defaultKind;
      const controller = call.cancel_after_ms === undefined ? undefined : new AbortController();
      let timer: ReturnType<typeof setTimeout> | undefined;
      if (controller !== undefined)
        timer = setTimeout(
          () => controller.abort(new Error('cancelled by the caller')),
          call.cancel_after_ms,
        );
      try {
        return await callVia(host, kind, call, {
          ...(call.metadata === undefined ? {} : { metadata: call.metadata as CallMetadata }),
          ...(call.timeout_ms === undefined ? {} : { timeoutMs: call.timeout_ms }),
          ...(controller === undefined ? {} : { signal: controller.signal }),
          ...(call.target === undefined ? {} : { target: call.target }),
          ...(call.selector === undefined ? {} : { selector: call.selector }),
        });
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
    }
    default:
      throw new Mismatch(`fixture error: unknown action ${action}`);
  }
}

/**
 * Make a call step's call through the path it names (README §Steps, `via`):
 * `registry.call`; the `getPlugin(kind)` proxy, or `getPlugin(kind, target)`
 * with a target; the `ctx.registry.call` of plugin `from`; or the dispatcher
 * class of the hook's class (from the case's kinds) handed
 * `registry.getLoadedPlugins()`.
 */
async function callVia(
  host: CallHost,
  kind: string,
  call: CallSpec,
  options: DispatchOptions,
): Promise<unknown> {
  const { registry } = host;
  const via = call.via ?? 'registry';
  if (!(VIA as readonly string[]).includes(via)) {
    throw new Mismatch(`fixture error: call.via must be one of ${VIA.join(', ')}`);
  }
  if ((call.from !== undefined) !== (via === 'plugin_context')) {
    throw new Mismatch('fixture error: call.from goes with via: plugin_context, and only with it');
  }
  switch (via) {
    case 'registry':
      return registry.call(kind, call.hook, call.input, options);
    case 'get_plugin': {
      const { target, ...rest } = options;
      const proxy = registry.getPlugin<
        Record<string, (input: unknown, options: DispatchOptions) => Promise<unknown>>
      >(kind, target);
      return (proxy[call.hook] as (input: unknown, options: DispatchOptions) => Promise<unknown>)(
        call.input,
        rest,
      );
    }
    case 'plugin_context': {
      const ctx = host.contexts.get(call.from as string);
      if (ctx === undefined) {
        throw new Mismatch(
          `fixture error: call.from "${call.from}" is not an in-process plugin that was set up`,
        );
      }
      if (options.selector !== undefined) {
        throw new Mismatch('fixture error: a plugin context call takes no selector');
      }
      return ctx.registry.call(kind, call.hook, call.input, options);
    }
    case 'dispatcher': {
      const hook = host.kinds[kind]?.hooks?.[call.hook];
      if (hook === undefined) {
        throw new Mismatch(`fixture error: via: dispatcher needs kinds.${kind}.hooks.${call.hook}`);
      }
      const spec: { dispatch: string; error_policy?: string } =
        typeof hook === 'string' ? { dispatch: hook } : hook;
      const loaded = registry.getLoadedPlugins();
      switch (spec.dispatch) {
        case 'singleton':
          return new SingletonDispatcher(kind).dispatch(loaded, call.hook, call.input, options);
        case 'broadcast_collect': {
          // The shape of registry.call: entries, or { results, errors } for best_effort.
          const collect = new BroadcastCollectDispatcher(kind);
          return spec.error_policy === 'best_effort'
            ? collect.dispatchSettled(loaded, call.hook, call.input, options)
            : collect.dispatchEntries(loaded, call.hook, call.input, options);
        }
        case 'broadcast_notify':
          return new BroadcastNotifyDispatcher(kind).dispatch(
            loaded,
            call.hook,
            call.input,
            options,
          );
        case 'chain':
          return new ChainDispatcher(kind).dispatch(loaded, call.hook, call.input, options);
        case 'capability':
          return new CapabilityDispatcher(kind).dispatch(loaded, call.hook, call.input, options);
        default:
          throw new Mismatch(`fixture error: unknown dispatch class ${String(spec.dispatch)}`);
      }
    }
  }
}

interface Observed {
  registry: PluginRegistry;
  log: EventLog;
  records: LogRecord[];
  from: number;
}

function checkCommon(expect: StepExpect, o: Observed, where: string): void {
  const events = o.log.slice(o.from);
  if (expect.calls !== undefined) assertEqual(expect.calls, events, `${where}.calls`);
  if (expect.calls_any_order !== undefined)
    assertSameItems(expect.calls_any_order, events, `${where}.calls_any_order`);
  if (expect.states !== undefined || expect.status !== undefined) {
    const rows = new Map(o.registry.status().map((r) => [r.name, r]));
    for (const [name, state] of Object.entries(expect.states ?? {})) {
      const row = rows.get(name);
      if (row === undefined)
        throw new Mismatch(`${where}.states.${name}: no such plugin in status()`);
      assertEqual(state, row.state, `${where}.states.${name}`);
    }
    for (const [name, want] of Object.entries(expect.status ?? {})) {
      const row = rows.get(name);
      if (row === undefined)
        throw new Mismatch(`${where}.status.${name}: no such plugin in status()`);
      const view = {
        state: row.state,
        runtime: row.runtime ?? null,
        untrusted: row.untrusted,
        version: row.version ?? null,
        depends_on: row.dependsOn,
        capabilities: row.capabilities,
        error: row.error ?? null,
        health: row.health ?? null,
        warnings: row.warnings.map((w) => w.pointer),
      };
      assertSubset(want, view, `${where}.status.${name}`);
    }
  }
  if (expect.logs !== undefined) {
    // Everything logged so far in the case: a handler may log before the step that waits for it.
    const got = o.records;
    for (const [i, want] of expect.logs.entries()) {
      const hit = got.some((r) => {
        try {
          assertSubset(want, r, '');
          return true;
        } catch {
          return false;
        }
      });
      if (!hit) {
        throw new Mismatch(
          `${where}.logs[${i}]: no log record matches ${show(want)}; got ${show(got.map((r) => ({ level: r.level, plugin: r.plugin, message: r.message })))}`,
        );
      }
    }
  }
}
