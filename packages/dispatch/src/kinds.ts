/**
 * The kinds an engine knows: each kind's hookspec with its compiled schema
 * checks, its sorted business candidates and its cached hook plans, and the
 * middleware stack. Builds a hook's plan (with its hot caller) on first use
 * and runs the start-time checks of `verify()`. For a caller that names the
 * dispatch class (the dispatcher classes), it also builds plans of hooks no
 * hookspec declares, from an implied one-hook spec (`planAs`), kept apart
 * from the hookspec's plans and never registering the kind.
 *
 * Owns: the kind table and the middleware stack; every change drops the
 * plans it affects. May not touch: the engine's one-entry plan cache (the
 * engine drops it on every change it forwards here), call state, or the
 * runners; it never calls a plugin.
 */
import type { DispatchClass, HookSpec, KindSpec } from '@dagstack/plugin-api';
import {
  AmbiguousPlugin,
  DISPATCH_CLASSES,
  envKindSuffix,
  KindUnknown,
  MIDDLEWARE_PRIORITY_FLOOR,
  PluginRegistryError,
} from '@dagstack/plugin-api';
import { hotCaller } from './hot-select.js';
import {
  bandOf,
  compareMiddleware,
  isMiddlewareCandidate,
  middlewareMatches,
  sortCandidates,
} from './order.js';
import type { HookPlan } from './plan.js';
import type { EngineSettings } from './settings.js';
import type { DispatchCandidate, Middleware } from './types.js';
import type { Validator } from './validation.js';
import { compileSchema } from './validation.js';

const KNOWN_CLASSES: ReadonlySet<string> = new Set(Object.values(DISPATCH_CLASSES));

/** Compiled schema checks of one hook. */
interface HookValidators {
  readonly input: Validator | undefined;
  readonly output: Validator | undefined;
}

/** Everything the engine knows about one kind. */
interface KindState {
  spec: KindSpec | undefined;
  hookSpecs: Map<string, HookSpec>;
  validators: Map<string, HookValidators>;
  /** Business candidates of the kind, sorted. */
  candidates: readonly DispatchCandidate[];
  /** Hook plans, built on first call and dropped on any change of the kind. */
  plans: Map<string, HookPlan>;
  /**
   * Plans of hooks the hookspec does not declare (or of a kind without one),
   * by the class the caller named, then by hook: built by `planAs`, dropped
   * with `plans`.
   */
  implied: Map<DispatchClass, Map<string, HookPlan>>;
}

/** A kind the table has never heard of: no hookspec, no candidates (never stored). */
const UNKNOWN_KIND: KindState = {
  spec: undefined,
  hookSpecs: new Map(),
  validators: new Map(),
  candidates: [],
  plans: new Map(),
  implied: new Map(),
};

/** Drop every cached plan of a kind (the hookspec's and the implied ones). */
function dropPlans(state: KindState): void {
  state.plans.clear();
  state.implied.clear();
}

function envNameOf(kind: string): string {
  return `DAGSTACK_ACTIVE_${envKindSuffix(kind)}`;
}

/** The hookspecs, candidates, middleware and hook plans of one engine. */
export class KindTable {
  readonly #settings: EngineSettings;
  readonly #kinds = new Map<string, KindState>();
  #middleware: readonly Middleware[] = [];

  constructor(settings: EngineSettings) {
    this.#settings = settings;
  }

  /** `DispatchEngine.registerKind`: checks and stores the hookspec, compiling its schemas with `validate`. */
  register(spec: KindSpec): void {
    const hookSpecs = new Map<string, HookSpec>();
    const validators = new Map<string, HookValidators>();
    for (const hook of spec.hooks) {
      if (!KNOWN_CLASSES.has(hook.dispatch)) {
        throw new PluginRegistryError(
          `hook "${hook.name}" has an unknown dispatch class "${String(hook.dispatch)}"`,
          { kind: spec.kind, hint: `use one of ${[...KNOWN_CLASSES].join(', ')}` },
        );
      }
      if (hookSpecs.has(hook.name)) {
        throw new PluginRegistryError(`the hookspec declares hook "${hook.name}" twice`, {
          kind: spec.kind,
          hint: 'give every hook of a kind a unique name',
        });
      }
      hookSpecs.set(hook.name, hook);
      if (this.#settings.validate) {
        const where = `${spec.kind}.${hook.name}`;
        validators.set(hook.name, {
          input:
            hook.input_schema === undefined
              ? undefined
              : compileSchema(hook.input_schema, `input of ${where}`, spec.kind),
          output:
            hook.output_schema === undefined
              ? undefined
              : compileSchema(hook.output_schema, `output of ${where}`, spec.kind),
        });
      }
    }
    const state = this.#kindState(spec.kind);
    state.spec = spec;
    state.hookSpecs = hookSpecs;
    state.validators = validators;
    dropPlans(state);
  }

  /** `DispatchEngine.setCandidates`: the kind's business candidates, sorted. */
  setCandidates(kind: string, candidates: readonly DispatchCandidate[]): void {
    const state = this.#kindState(kind);
    state.candidates = sortCandidates(
      candidates.filter((c) => c.kind === kind && !isMiddlewareCandidate(c)),
    );
    dropPlans(state);
  }

  /** `DispatchEngine.setMiddleware`: checks the priorities and stores the stack, sorted. */
  setMiddleware(middleware: readonly Middleware[]): void {
    for (const m of middleware) {
      if (!(m.priority >= MIDDLEWARE_PRIORITY_FLOOR)) {
        throw new PluginRegistryError(
          `middleware "${m.name}" has priority ${m.priority}, below ${MIDDLEWARE_PRIORITY_FLOOR}`,
          { plugin: m.name, hint: 'middleware priorities start at 1000 (ADR-0005 §2)' },
        );
      }
    }
    this.#middleware = [...middleware].sort(compareMiddleware);
    for (const state of this.#kinds.values()) dropPlans(state);
  }

  /** `DispatchEngine.verify`: the start-time problems of every kind, or of `kind`. */
  verify(kind: string | undefined): PluginRegistryError[] {
    const problems: PluginRegistryError[] = [];
    for (const [name, state] of this.#kinds) {
      if ((kind !== undefined && name !== kind) || state.spec === undefined) continue;
      const classes = new Set(state.spec.hooks.map((h) => h.dispatch));
      const sorted = state.candidates;
      // A singleton hook whose tool-name template holds `{function}` (the
      // `tool` kind's `execute`) has one handler per (kind, plugin, function):
      // callers name the plugin, so plugins of equal priority do not clash
      // (docs/spec-decisions.md R6).
      const perKindSingleton = state.spec.hooks.some(
        (h) =>
          h.dispatch === 'singleton' && !(h.mcp_tool_name_template ?? '').includes('{function}'),
      );
      if (perKindSingleton && this.#settings.routingPolicy === undefined && sorted.length > 1) {
        const active = this.#settings.env[envNameOf(name)];
        const overridden = active !== undefined && sorted.some((c) => c.name === active);
        const [first, second] = sorted as [DispatchCandidate, DispatchCandidate];
        if (
          !overridden &&
          bandOf(first) === bandOf(second) &&
          first.manifest.priority === second.manifest.priority
        ) {
          problems.push(
            new AmbiguousPlugin({
              kind: name,
              reason: 'equal_priority',
              candidates: sorted
                .filter(
                  (c) =>
                    bandOf(c) === bandOf(first) && c.manifest.priority === first.manifest.priority,
                )
                .map((c) => c.name),
            }),
          );
        }
      }
      if (classes.has('capability')) {
        const fallbacks = sorted.filter((c) => c.manifest.fallback);
        if (fallbacks.length > 1) {
          problems.push(
            new AmbiguousPlugin({
              kind: name,
              reason: 'multiple_fallbacks',
              candidates: fallbacks.map((c) => c.name),
            }),
          );
        }
      }
    }
    return problems;
  }

  /**
   * The plan of `(kind, hook)`: from the cache, or built now and cached.
   * Throws `KindUnknown` for a kind without a hookspec or a hook it does not
   * declare.
   */
  plan(kind: string, hook: string): HookPlan {
    const state = this.#kinds.get(kind);
    const cached = state?.plans.get(hook);
    if (cached !== undefined) return cached;
    if (state?.spec === undefined) {
      throw new KindUnknown('no hookspec is registered for this kind', {
        kind,
        hook,
        hint: "register the kind's hookspec (registerKind) before calling its hooks",
      });
    }
    const spec = state.hookSpecs.get(hook);
    if (spec === undefined) {
      throw new KindUnknown(`the kind has no hook "${hook}"`, {
        kind,
        hook,
        hint: `its hooks are: ${[...state.hookSpecs.keys()].join(', ') || 'none'}`,
      });
    }
    const plan = this.#buildPlan(kind, state, spec);
    state.plans.set(hook, plan);
    return plan;
  }

  /**
   * The plan of `(kind, hook)` for a caller that names the class `dispatch`
   * (the dispatcher classes). When the kind's hookspec declares the hook,
   * its plan ({@link KindTable.plan}; the caller checks the class). For a
   * kind without a hookspec, or a hook its hookspec does not declare, a plan
   * from an implied one-hook spec: class `dispatch`, no schemas, the default
   * error policy. Like any plan it has the kind's candidates, the matching
   * middleware and the engine's settings; it is cached apart from the
   * hookspec's plans and dropped with them, and the kind stays unregistered
   * (`plan()` still throws `KindUnknown`; a later `register` governs).
   * Throws `PluginRegistryError` for a class that is not a dispatch class.
   */
  planAs(kind: string, hook: string, dispatch: DispatchClass): HookPlan {
    const state = this.#kinds.get(kind);
    if (state?.spec !== undefined && state.hookSpecs.has(hook)) {
      return state.plans.get(hook) ?? this.plan(kind, hook);
    }
    const cached = state?.implied.get(dispatch)?.get(hook);
    if (cached !== undefined) return cached;
    if (!KNOWN_CLASSES.has(dispatch)) {
      throw new PluginRegistryError(`unknown dispatch class "${String(dispatch)}"`, {
        kind,
        hint: `use one of ${[...KNOWN_CLASSES].join(', ')}`,
      });
    }
    const plan = this.#buildPlan(kind, state ?? UNKNOWN_KIND, {
      name: hook,
      dispatch,
      mcp_exposed: false,
    });
    if (state !== undefined) {
      let byHook = state.implied.get(dispatch);
      if (byHook === undefined) {
        byHook = new Map();
        state.implied.set(dispatch, byHook);
      }
      byHook.set(hook, plan);
    }
    return plan;
  }

  #kindState(kind: string): KindState {
    let state = this.#kinds.get(kind);
    if (state === undefined) {
      state = {
        spec: undefined,
        hookSpecs: new Map(),
        validators: new Map(),
        candidates: [],
        plans: new Map(),
        implied: new Map(),
      };
      this.#kinds.set(kind, state);
    }
    return state;
  }

  #buildPlan(kind: string, state: KindState, spec: HookSpec): HookPlan {
    const hook = spec.name;
    const candidates = state.candidates.filter((c) => c.handle.hooks.has(hook));
    const byName = new Map(candidates.map((c) => [c.name, c] as const));
    const middleware = this.#middleware.filter((m) => middlewareMatches(m, kind, hook));
    let envChoice: DispatchCandidate | undefined;
    if (spec.dispatch === 'singleton') {
      const variable = envNameOf(kind);
      const active = this.#settings.env[variable];
      if (active !== undefined && active !== '') {
        envChoice = byName.get(active);
        if (envChoice === undefined) {
          this.#settings.logger.warn(
            `${variable}=${active} names no callable plugin of kind "${kind}" implementing "${hook}"; choosing by priority`,
            { kind, hook, variable, candidates: candidates.map((c) => c.name) },
          );
        }
      }
    }
    // None for an implied spec (planAs): its hook is not in the hookspec.
    const validators = state.validators.get(hook);
    const plan: HookPlan = {
      kind,
      hook,
      dispatch: spec.dispatch,
      errorPolicy: spec.error_policy ?? 'fail_fast',
      candidates,
      all: state.candidates,
      byName,
      middleware,
      hasBefore: middleware.some((m) => m.before !== undefined),
      hasAfter: middleware.some((m) => m.after !== undefined),
      envChoice,
      validateInput: validators?.input,
      validateOutput: validators?.output,
      capability: undefined,
      hot: undefined,
      targets: undefined,
    };
    plan.hot = hotCaller(this.#settings, plan);
    return plan;
  }
}
