/**
 * Routing of function-templated hooks (the `tool` kind's `execute`): one
 * handler per `(kind, plugin, function)`, chosen by the `function` the call
 * names, with the call's `args` checked against that function's
 * `parameters` schema before the plugin is called (tool hookspec v1).
 *
 * A hook is function-routed when its dispatch class is `singleton`, its MCP
 * tool-name template holds `{function}`, and its kind has a `get_schema`
 * catalogue hook. The catalogue of each plugin is read once per loaded
 * handle (a reload or a restart reads it again) and kept here, outside the
 * dispatch engine, so calls of every other hook pay one map lookup.
 */
import {
  AmbiguousPlugin,
  envKindSuffix,
  FunctionNotFound,
  type HookSpec,
  type JsonObject,
  type KindSpec,
  type Logger,
  type PluginHandle,
  ToolCallFailed,
} from '@dagstack/plugin-api';
import {
  compareCandidates,
  compileSchema,
  type DispatchCandidate,
  type DispatchOptions,
  HookValidationError,
  type Validator,
} from '@dagstack/plugin-dispatch';

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Name of the catalogue hook that lists a plugin's functions. */
export const CATALOGUE_HOOK = 'get_schema';

/** One function as a plugin's catalogue lists it. */
interface FunctionEntry {
  readonly name: string;
  /** The check of `args`; `undefined` when the plugin gave no usable schema. */
  readonly check: Validator | undefined;
}

/** A plugin's catalogue: its functions by name, or `undefined` when it has no catalogue hook. */
type Catalogue = ReadonlyMap<string, FunctionEntry> | undefined;

/** What the router needs of the registry. */
export interface FunctionRouterHost {
  /** Ready and degraded plugins of a kind (middleware plugins excluded), as dispatch candidates. */
  candidates(kind: string): readonly DispatchCandidate[];
  /** A call through the dispatch engine (middleware, tracking, timeouts apply). */
  call(kind: string, hook: string, input: unknown, options?: DispatchOptions): Promise<unknown>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** Whether calls are validated against the hookspec schemas (`validateCalls`). */
  readonly validate: boolean;
}

/** The function-routed hook of a kind, if it has one. */
export function functionRoutedHook(spec: KindSpec): HookSpec | undefined {
  if (!spec.hooks.some((h) => h.name === CATALOGUE_HOOK)) return undefined;
  return spec.hooks.find(
    (h) => h.dispatch === 'singleton' && (h.mcp_tool_name_template ?? '').includes('{function}'),
  );
}

/**
 * A copy of a function's `parameters` schema that ajv (2020-12) can compile
 * next to others: the dialect and id markers dropped (third-party servers
 * send draft-07 `$schema` URIs and `$id`s that would clash).
 */
function compilable(schema: JsonObject): JsonObject {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

/** The list out of a catalogue call: a targeted broadcast answers `[{ plugin, value }]`. */
function listOf(answer: unknown): unknown[] {
  if (!Array.isArray(answer)) return [];
  const first = answer[0] as unknown;
  if (
    answer.length === 1 &&
    typeof first === 'object' &&
    first !== null &&
    'plugin' in first &&
    'value' in first
  ) {
    const value = (first as { value: unknown }).value;
    return Array.isArray(value) ? value : [];
  }
  return answer;
}

/** A plugin offering a function. */
interface Offer {
  readonly candidate: DispatchCandidate;
  readonly entry: FunctionEntry;
}

/** Call options naming one plugin, made once per plugin and reused by calls without options. */
const targets = new WeakMap<DispatchCandidate, DispatchOptions>();
function targetOf(candidate: DispatchCandidate): DispatchOptions {
  let options = targets.get(candidate);
  if (options === undefined) {
    options = Object.freeze({ target: candidate.name });
    targets.set(candidate, options);
  }
  return options;
}

/** Who offers what among the ready plugins of one kind; rebuilt when they change. */
interface KindIndex {
  readonly byName: ReadonlyMap<string, { candidate: DispatchCandidate; catalogue: Catalogue }>;
  /** Function name -> plugins listing it, best ranked first. */
  readonly offers: ReadonlyMap<string, readonly Offer[]>;
  /** Ready plugins without a catalogue hook (or whose catalogue could not be read). */
  readonly uncatalogued: readonly DispatchCandidate[];
  /** Every listed function name. */
  readonly available: readonly string[];
  readonly size: number;
}

/** Routes function-templated hooks; see the module comment. */
export class FunctionRouter {
  readonly #host: FunctionRouterHost;
  /** kind -> hook name of its function-routed hook. */
  readonly #routed = new Map<string, string>();
  /** kind -> check of the routed hook's input against its hookspec schema (with `validate`). */
  readonly #inputChecks = new Map<string, Validator>();
  readonly #catalogues = new WeakMap<PluginHandle, Promise<Catalogue>>();
  /** kind -> index over its ready plugins' catalogues; cleared by {@link invalidate}. */
  readonly #indexes = new Map<string, KindIndex>();
  /** Bumped by {@link invalidate}: an index built across a change is not kept. */
  #generation = 0;
  /** Schemas already reported as uncompilable (logged once each). */
  readonly #reported = new WeakSet<object>();

  constructor(host: FunctionRouterHost) {
    this.#host = host;
  }

  /** Note (or forget) the function-routed hook of a kind. */
  registerKind(spec: KindSpec): void {
    const hook = functionRoutedHook(spec);
    this.#inputChecks.delete(spec.kind);
    this.invalidate();
    if (hook === undefined) {
      this.#routed.delete(spec.kind);
      return;
    }
    this.#routed.set(spec.kind, hook.name);
    // The hookspec's own input check comes first, before any catalogue is read.
    if (this.#host.validate && hook.input_schema !== undefined) {
      this.#inputChecks.set(
        spec.kind,
        compileSchema(hook.input_schema, `input of ${spec.kind}.${hook.name}`, spec.kind),
      );
    }
  }

  /** Whether any registered kind has a function-routed hook (read on every registry call). */
  get active(): boolean {
    return this.#routed.size !== 0;
  }

  /**
   * Whether {@link call} handles `(kind, hook)`: the function-routed hook of
   * a kind, or its catalogue hook (whose answers are kept for routing).
   */
  routes(kind: string, hook: string): boolean {
    if (this.#routed.size === 0) return false;
    const routed = this.#routed.get(kind);
    return routed !== undefined && (routed === hook || hook === CATALOGUE_HOOK);
  }

  /** The set of callable plugins changed: rebuild the indexes on next use. */
  invalidate(): void {
    this.#generation += 1;
    this.#indexes.clear();
  }

  /** Forget what a handle's catalogue said (its process restarted, its plugin reloaded). */
  forget(handle: PluginHandle | undefined): void {
    if (handle === undefined) return;
    this.#catalogues.delete(handle);
    this.invalidate();
  }

  /**
   * The functions each ready plugin of `kind` lists, by plugin name (plugins
   * without a catalogue hook are left out). For status views and errors.
   */
  async functions(kind: string): Promise<Map<string, string[]>> {
    const index = await this.#index(kind);
    const out = new Map<string, string[]>();
    for (const [name, { catalogue }] of [...index.byName].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (catalogue !== undefined) out.set(name, [...catalogue.keys()].sort());
    }
    return out;
  }

  /** Route, check and make the call; see the module comment. */
  call(
    kind: string,
    hook: string,
    input: unknown,
    options: DispatchOptions = {},
  ): Promise<unknown> {
    if (hook === CATALOGUE_HOOK) return this.#listed(kind, input, options ?? {});
    // The input's own shape is checked before any catalogue is read.
    const refused = this.#checkInput(kind, hook, input, options);
    if (refused !== undefined) return Promise.reject(refused);
    const index = this.#indexes.get(kind);
    if (index === undefined) {
      return this.#index(kind).then((built) => this.#route(kind, hook, input, options, built));
    }
    return this.#route(kind, hook, input, options, index);
  }

  /** The hookspec's input check and the presence of a function name. */
  #checkInput(
    kind: string,
    hook: string,
    input: unknown,
    options: DispatchOptions | undefined,
  ): HookValidationError | undefined {
    const plugin = options?.target === undefined ? {} : { plugin: options.target };
    const problems = this.#inputChecks.get(kind)?.(input);
    if (problems !== undefined) {
      return new HookValidationError({ kind, hook, direction: 'input', problems, ...plugin });
    }
    const fn = isJsonObject(input) ? input.function : undefined;
    if (typeof fn === 'string' && fn !== '') return undefined;
    return new HookValidationError({
      kind,
      hook,
      direction: 'input',
      problems: [
        {
          pointer: '/function',
          message: 'is required: a string naming one of the functions get_schema lists',
          source: `input of ${kind}.${hook}`,
          rule: 'required',
        },
      ],
      ...plugin,
    });
  }

  #route(
    kind: string,
    hook: string,
    input: unknown,
    options: DispatchOptions | undefined,
    index: KindIndex,
  ): Promise<unknown> {
    try {
      const fn = (input as JsonObject).function as string;
      let chosen: DispatchCandidate;
      let entry: FunctionEntry | undefined;
      const target = options?.target;
      if (target !== undefined) {
        const named = index.byName.get(target);
        // Not callable: the engine says why (unavailable, unknown) in its own words.
        if (named === undefined)
          return this.#host.call(kind, hook, input, options as DispatchOptions);
        chosen = named.candidate;
        if (named.catalogue !== undefined) {
          entry = named.catalogue.get(fn);
          if (entry === undefined) {
            throw new FunctionNotFound({
              kind,
              hook,
              function: fn,
              plugin: chosen.name,
              available: [...named.catalogue.keys()],
            });
          }
        }
      } else {
        ({ chosen, entry } = this.#choose(kind, hook, fn, index));
      }
      const args = (input as JsonObject).args;
      const argProblems = entry?.check?.(args === undefined ? {} : args);
      if (argProblems !== undefined) {
        throw new HookValidationError({
          kind,
          hook,
          plugin: chosen.name,
          direction: 'input',
          problems: argProblems.map((p) => ({
            ...p,
            pointer: `/args${p.pointer}`,
            source: `arguments of function "${fn}"`,
          })),
          hint: `pass arguments that match the parameters schema get_schema gives for "${fn}"`,
        });
      }
      const plugin = chosen.name;
      const call = this.#host.call(
        kind,
        hook,
        input,
        target !== undefined
          ? (options as DispatchOptions)
          : options === undefined
            ? targetOf(chosen)
            : { ...options, target: plugin },
      );
      return call.then((output) => {
        if (isJsonObject(output) && output.is_error === true) {
          throw new ToolCallFailed({
            plugin,
            kind,
            hook,
            function: fn,
            output: output as Readonly<Record<string, unknown>>,
          });
        }
        return output;
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A catalogue call made by a caller: its answers are kept, so routing does not ask again. */
  async #listed(kind: string, input: unknown, options: DispatchOptions): Promise<unknown> {
    const answer = await this.#host.call(kind, CATALOGUE_HOOK, input, options);
    if (!Array.isArray(answer)) return answer;
    const candidates = this.#host.candidates(kind);
    for (const item of answer as unknown[]) {
      if (!isJsonObject(item) || typeof item.plugin !== 'string' || !('value' in item)) continue;
      const candidate = candidates.find((c) => c.name === item.plugin);
      const handle = candidate?.handle as PluginHandle | undefined;
      if (candidate === undefined || handle === undefined || this.#catalogues.has(handle)) continue;
      this.#catalogues.set(handle, Promise.resolve(this.#parse(candidate, item.value)));
      this.invalidate();
    }
    return answer;
  }

  /** Build (or reuse) the index of a kind: every ready plugin's catalogue, read once per handle. */
  async #index(kind: string): Promise<KindIndex> {
    const kept = this.#indexes.get(kind);
    if (kept !== undefined) return kept;
    const generation = this.#generation;
    const candidates = this.#host.candidates(kind);
    const read = await Promise.allSettled(candidates.map((c) => this.#catalogue(c)));
    const byName = new Map<string, { candidate: DispatchCandidate; catalogue: Catalogue }>();
    const offers = new Map<string, Offer[]>();
    const uncatalogued: DispatchCandidate[] = [];
    const available = new Set<string>();
    let complete = true;
    candidates.forEach((candidate, i) => {
      const result = read[i] as PromiseSettledResult<Catalogue>;
      let catalogue: Catalogue;
      if (result.status === 'rejected') {
        complete = false;
        this.#host.logger.warn(
          'could not read the functions of a plugin; it is reached by name only',
          {
            plugin: candidate.name,
            kind,
            error: result.reason instanceof Error ? result.reason.message : String(result.reason),
          },
        );
      } else {
        catalogue = result.value;
      }
      byName.set(candidate.name, { candidate, catalogue });
      if (catalogue === undefined) {
        uncatalogued.push(candidate);
        return;
      }
      for (const entry of catalogue.values()) {
        available.add(entry.name);
        let list = offers.get(entry.name);
        if (list === undefined) {
          list = [];
          offers.set(entry.name, list);
        }
        list.push({ candidate, entry });
      }
    });
    for (const list of offers.values()) {
      list.sort((a, b) => compareCandidates(a.candidate, b.candidate));
    }
    const index: KindIndex = {
      byName,
      offers,
      uncatalogued,
      available: [...available],
      size: candidates.length,
    };
    // A failed read is asked again next time; a change during the build makes it stale.
    if (complete && generation === this.#generation) this.#indexes.set(kind, index);
    return index;
  }

  /** The one plugin serving `fn` among the ready plugins of the kind. */
  #choose(
    kind: string,
    hook: string,
    fn: string,
    index: KindIndex,
  ): { chosen: DispatchCandidate; entry: FunctionEntry | undefined } {
    const offering = index.offers.get(fn);
    if (offering === undefined || offering.length === 0) {
      // A lone plugin without a catalogue takes every call, as a singleton would.
      if (index.size === 1 && index.uncatalogued.length === 1) {
        return { chosen: index.uncatalogued[0] as DispatchCandidate, entry: undefined };
      }
      throw new FunctionNotFound({
        kind,
        hook,
        function: fn,
        available: index.available,
        ...(index.uncatalogued.length === 0
          ? {}
          : {
              hint: `plugins without a ${CATALOGUE_HOOK} hook (${index.uncatalogued.map((c) => `"${c.name}"`).join(', ')}) are reached only by naming them (target / --name)`,
            }),
      });
    }
    const first = offering[0] as Offer;
    if (offering.length === 1) return { chosen: first.candidate, entry: first.entry };
    const active = this.#host.env[`DAGSTACK_ACTIVE_${envKindSuffix(kind)}`];
    const named =
      active === undefined ? undefined : offering.find((o) => o.candidate.name === active);
    if (named !== undefined) return { chosen: named.candidate, entry: named.entry };
    if (!sameRank(first, offering[1] as Offer))
      return { chosen: first.candidate, entry: first.entry };
    throw new AmbiguousPlugin({
      kind,
      reason: 'same_function',
      function: fn,
      candidates: offering.filter((o) => sameRank(o, first)).map((o) => o.candidate.name),
    });
  }

  /** A plugin's catalogue, read once per handle. */
  #catalogue(candidate: DispatchCandidate): Promise<Catalogue> {
    const handle = candidate.handle as PluginHandle;
    if (!handle.hooks.has(CATALOGUE_HOOK)) return Promise.resolve(undefined);
    let pending = this.#catalogues.get(handle);
    if (pending === undefined) {
      pending = this.#read(candidate);
      this.#catalogues.set(handle, pending);
      // A failed read is not kept: the next call asks again.
      pending.catch(() => {
        if (this.#catalogues.get(handle) === pending) this.#catalogues.delete(handle);
      });
    }
    return pending;
  }

  async #read(candidate: DispatchCandidate): Promise<Catalogue> {
    const answer = await this.#host.call(
      candidate.kind,
      CATALOGUE_HOOK,
      {},
      { target: candidate.name },
    );
    return this.#parse(candidate, listOf(answer));
  }

  /** A plugin's catalogue from its `get_schema` answer (entries without a name are skipped). */
  #parse(candidate: DispatchCandidate, list: unknown): Catalogue {
    const entries = new Map<string, FunctionEntry>();
    for (const item of Array.isArray(list) ? (list as unknown[]) : []) {
      if (!isJsonObject(item) || typeof item.name !== 'string') continue;
      if (entries.has(item.name)) {
        this.#host.logger.warn('a plugin lists the same function twice; the first is kept', {
          plugin: candidate.name,
          kind: candidate.kind,
          function: item.name,
        });
        continue;
      }
      entries.set(item.name, {
        name: item.name,
        check: this.#compile(candidate, item.name, item.parameters),
      });
    }
    return entries;
  }

  #compile(candidate: DispatchCandidate, fn: string, schema: unknown): Validator | undefined {
    if (!isJsonObject(schema)) return undefined;
    try {
      return compileSchema(compilable(schema), `arguments of function "${fn}"`, candidate.kind);
    } catch (error) {
      if (!this.#reported.has(schema)) {
        this.#reported.add(schema);
        this.#host.logger.warn(
          'the parameters schema of a function does not compile; its arguments are not checked',
          {
            plugin: candidate.name,
            kind: candidate.kind,
            function: fn,
            error: error instanceof Error ? error.message : String(error),
          },
        );
      }
      return undefined;
    }
  }
}

function sameRank(
  a: { candidate: DispatchCandidate },
  b: { candidate: DispatchCandidate },
): boolean {
  const x = a.candidate;
  const y = b.candidate;
  return (
    x.manifest.priority === y.manifest.priority &&
    x.manifest.tryfirst === y.manifest.tryfirst &&
    x.manifest.trylast === y.manifest.trylast
  );
}
