// The behaviour interpreter of README §Behaviours (and a middleware's
// `filter`, README §Plugins), in plain JavaScript so the
// same code runs in the test process and in the child processes that serve a
// behaviour over mcp_stdio (children/serve-behaviour.mjs). Types live in
// behaviour-engine.d.mts; behaviour.ts adds the fixture checks.
import { STOP_CHAIN, stopChain } from '@dagstack/plugin-api';

/** An error a fixture behaviour throws: a plain error with a string `code`. */
export class FixtureError extends Error {
  constructor(code, message, name) {
    super(message);
    this.code = code;
    Object.defineProperty(this, 'name', { value: name, enumerable: false, configurable: true });
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const clone = (value) => (value === undefined ? value : structuredClone(value));

function asObject(value, what) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FixtureError(
      'FIXTURE_TYPE',
      `${what} needs an object input, got ${JSON.stringify(value)}`,
      'TypeError',
    );
  }
  return value;
}

/** The value a behaviour produces (before any delay). Throws for `throws`. */
function outcome(b, inv) {
  if (b.throws !== undefined) {
    throw new FixtureError(
      b.throws.code ?? 'PLUGIN_FAILED',
      b.throws.message ?? `${inv.plugin}.${inv.method} failed`,
      b.throws.name ?? 'Error',
    );
  }
  if (b.stop_chain === true) return STOP_CHAIN;
  if ('returns_stop_chain' in b) return stopChain(clone(b.returns_stop_chain));
  if (b.returns_empty === true) return undefined;
  if (b.echo === true) return inv.value;
  if (b.merges !== undefined) return { ...asObject(inv.value, 'merges'), ...clone(b.merges) };
  if (b.append_to !== undefined) {
    const input = asObject(inv.value, 'append_to');
    const list = Array.isArray(input[b.append_to]) ? input[b.append_to] : [];
    return { ...input, [b.append_to]: [...list, inv.plugin] };
  }
  if (b.returns_call === true) {
    const call = inv.call;
    return call === undefined
      ? null
      : {
          kind: call.kind,
          name: call.name,
          hook: call.hook,
          metadata: clone({ ...call.metadata }),
        };
  }
  if (b.status !== undefined) return { status: b.status };
  if ('returns' in b) return clone(b.returns);
  return undefined;
}

/** Run a behaviour: synchronously when it has no delay and does not hang. */
export function perform(b, inv, count) {
  const step =
    b.sequence !== undefined && b.sequence.length > 0
      ? b.sequence[Math.min(count, b.sequence.length - 1)]
      : b;
  const tag = `${inv.plugin}.${inv.method}`;
  if (step.hangs === true) {
    return new Promise((_resolve, reject) => {
      const signal = inv.call?.signal;
      if (signal?.aborted === true) {
        // Cancelled before the hook began (a cancellation that arrived with the request).
        inv.log.push(`${tag}:aborted`);
        reject(signal.reason);
        return;
      }
      signal?.addEventListener(
        'abort',
        () => {
          inv.log.push(`${tag}:aborted`);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }
  if (step.delay_ms !== undefined && step.delay_ms > 0) {
    return sleep(step.delay_ms).then(() => {
      const value = outcome(step, inv);
      if (step.trace_done === true) inv.log.push(`${tag}:done`);
      return value;
    });
  }
  const value = outcome(step, inv);
  if (step.trace_done === true) inv.log.push(`${tag}:done`);
  return value;
}

/** Build the plugin object that implements `name`'s behaviour. */
export function makePluginObject(name, spec, log) {
  const counts = new Map();
  const next = (method) => {
    const n = counts.get(method) ?? 0;
    counts.set(method, n + 1);
    return n;
  };
  const run = (method, b, value, call) => {
    log.push(`${name}.${method}`);
    if (b === undefined) return undefined;
    return perform(
      b,
      { plugin: name, method, value, log, ...(call === undefined ? {} : { call }) },
      next(method),
    );
  };
  const object = {
    setup(ctx) {
      log.push(`${name}.setup`);
      const b = spec.setup;
      if (b === undefined) return undefined;
      const n = next('setup');
      const step = b.sequence?.[Math.min(n, b.sequence.length - 1)] ?? b;
      for (const resource of step.uses_resources ?? []) ctx.resources.get(resource);
      return perform(b, { plugin: name, method: 'setup', value: undefined, log }, n);
    },
    teardown() {
      return run('teardown', spec.teardown, undefined);
    },
    health() {
      return run('health', spec.health ?? { status: 'ok' }, undefined);
    },
  };
  for (const [hook, b] of Object.entries(spec.hooks ?? {})) {
    object[hook] = (input, call) => run(hook, b, input, call);
  }
  if (spec.before !== undefined) {
    const b = spec.before;
    object.before = (call, args) => run('before', b, args, call);
  }
  if (spec.after !== undefined) {
    const b = spec.after;
    object.after = (call, result) => run('after', b, result, call);
  }
  if (spec.filter !== undefined) {
    const f = spec.filter;
    object.filter = (candidates, call) => {
      log.push(`${name}.filter`);
      const allowed = allowedBy(f, call.metadata);
      return allowed === undefined
        ? candidates
        : candidates.filter((c) => allowed.includes(c.name));
    };
  }
  return object;
}

/** The names a filter behaviour allows for a call's metadata; `undefined`: everyone. */
function allowedBy(f, metadata) {
  if (Array.isArray(f.allow)) return f.allow;
  const value = f.metadata_key === undefined ? undefined : metadata[f.metadata_key];
  return typeof value === 'string' && Object.hasOwn(f.allow, value) ? f.allow[value] : f.otherwise;
}
