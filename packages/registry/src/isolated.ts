import { type ChildProcess, spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  type HealthStatus,
  type HookCall,
  HookCancelled,
  type Logger,
  NOOP_TENANT,
  type PluginContext,
  type PluginHandle,
  PluginInvocationError,
  PluginLoadError,
  type PluginManifest,
  PluginUnavailable,
  RUNTIME_IN_PROCESS,
  type TenantContext,
} from '@dagstack/plugin-api';
import { resolveEntryPoint } from './entry-point.js';

/**
 * The code that runs inside the worker thread or child process. It loads the
 * plugin module, builds a reduced context (config, metadata, a logger that
 * reports back; no host resources: they cannot cross the boundary), and
 * answers requests; the host tenant's `checkAccess` is asked across the
 * boundary. Plain JavaScript, evaluated as a script; `send` and
 * `onMessage` are bound by the two preludes below.
 */
const HOST_BODY = `
const pending = new Map();
let plugin;
const describe = (error) => ({
  name: error && error.name ? String(error.name) : 'Error',
  message: error && error.message !== undefined ? String(error.message) : String(error),
  code: error && typeof error.code === 'string' ? error.code : undefined,
  stack: error && error.stack ? String(error.stack) : undefined,
});
const reply = (id, promise) => Promise.resolve().then(promise).then(
  (value) => send({ id, ok: true, value }),
  (error) => send({ id, ok: false, error: describe(error) }),
);
const logger = {};
for (const level of ['debug', 'info', 'warn', 'error']) {
  logger[level] = (msg, fields) => send({ log: level, msg: String(msg), fields: fields ?? {} });
}
logger.child = () => logger;
const methods = (object) => {
  const names = new Set();
  for (let proto = object; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (['constructor', 'setup', 'teardown', 'health'].includes(key) || key.startsWith('_')) continue;
      const d = Object.getOwnPropertyDescriptor(proto, key);
      if (d && typeof d.value === 'function') names.add(key);
    }
  }
  return [...names];
};
const asks = new Map();
let lastAsk = 0;
// A question to the host (the host tenant's checkAccess): answered by an 'answer' message.
const ask = (what, payload) => new Promise((resolve, reject) => {
  lastAsk += 1;
  asks.set(lastAsk, { resolve, reject });
  send({ ask: what, askId: lastAsk, ...payload });
});
onMessage(async (message) => {
  if (message.answer !== undefined) {
    const waiting = asks.get(message.answer);
    asks.delete(message.answer);
    if (waiting === undefined) return;
    if (message.ok) waiting.resolve(message.value);
    else waiting.reject(Object.assign(new Error(message.error.message), { name: message.error.name, code: message.error.code }));
    return;
  }
  const { id, op } = message;
  if (op === 'load') {
    return reply(id, async () => {
      const ns = await import(message.url);
      const wanted = message.exportName ?? 'default';
      // CommonJS: names Node could not lift are on the exports object (\`default\`).
      const value =
        wanted in ns || ns.default == null ? ns[wanted] : ns.default[wanted];
      if (value === undefined) throw new Error('the module has no export "' + (message.exportName ?? 'default') + '"');
      const isClass = typeof value === 'function' && /^class[\\s{]/.test(Function.prototype.toString.call(value));
      plugin = isClass ? new value() : typeof value === 'function' ? await value() : value;
      return methods(plugin);
    });
  }
  if (op === 'setup') {
    return reply(id, async () => {
      const ctx = Object.freeze({
        config: message.config, metadata: message.metadata, logger,
        resources: { get() { throw new Error('host resources are not available to ' + message.mode + ' plugins; pass data in the hook input'); }, has: () => false, names: () => [] },
        registry: undefined, progress: undefined, checkpoint: undefined, eventBus: undefined,
        tenant: message.tenant === undefined
          ? { tenantId: undefined, checkAccess: () => ({ allowed: true }) }
          : { tenantId: message.tenant.tenantId, checkAccess: (resource, action) => ask('tenant', { resource, action }) },
        metrics: undefined, tracer: undefined, inFlight: () => [], onConfigChange: () => () => {},
      });
      if (typeof plugin.setup === 'function') await plugin.setup(ctx);
    });
  }
  if (op === 'teardown') return reply(id, async () => (typeof plugin.teardown === 'function' ? (await plugin.teardown()) !== false : true));
  if (op === 'health') return reply(id, async () => (typeof plugin.health === 'function' ? await plugin.health() : { status: 'ok' }));
  if (op === 'cancel') { pending.get(message.target)?.abort(message.reason); return; }
  if (op === 'invoke') {
    const controller = new AbortController();
    pending.set(id, controller);
    return reply(id, async () => {
      try {
        const method = plugin[message.hook];
        if (typeof method !== 'function') throw new Error('the plugin has no hook "' + message.hook + '"');
        return await method.call(plugin, message.input, { ...message.call, signal: controller.signal });
      } finally {
        pending.delete(id);
      }
    });
  }
});
`;

const WORKER_PRELUDE = `
const { parentPort } = require('node:worker_threads');
const send = (m) => parentPort.postMessage(m);
const onMessage = (f) => parentPort.on('message', f);
`;

const PROCESS_PRELUDE = `
const send = (m) => process.send(m);
const onMessage = (f) => process.on('message', f);
process.on('disconnect', () => process.exit(0));
`;

/** How an isolated plugin runs. */
type Mode = 'thread_cpu_bound' | 'process_cpu_bound';

interface RemoteError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

interface Channel {
  send(message: object): void;
  onMessage(listener: (message: Record<string, unknown>) => void): void;
  onExit(listener: (reason: string) => void): void;
  /** Keep the host's event loop alive (while requests wait for answers) or not. */
  hold(on: boolean): void;
  kill(): Promise<void>;
}

function workerChannel(): Channel {
  const worker = new Worker(`${WORKER_PRELUDE}\n${HOST_BODY}`, { eval: true });
  worker.unref();
  return {
    send: (m) => worker.postMessage(m),
    onMessage: (f) => worker.on('message', f),
    onExit: (f) => {
      worker.on('error', (e) => f(`the worker thread crashed: ${e.message}`));
      worker.on('exit', (code) => f(`the worker thread exited (code ${code})`));
    },
    hold: (on) => (on ? worker.ref() : worker.unref()),
    kill: async () => {
      // Held open until the thread has ended, so a host awaiting this does not exit first.
      worker.ref();
      await worker.terminate();
    },
  };
}

function processChannel(logger: Logger, killGraceMs: number): Channel {
  // The child gets the plugin's code only: no shell, IPC for requests,
  // stdout/stderr captured into the logger (never the host's stdout). It
  // leads a process group of its own, so that ending it ends whatever it
  // started too.
  const child: ChildProcess = spawn(process.execPath, ['-e', `${PROCESS_PRELUDE}\n${HOST_BODY}`], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
    detached: true,
  });
  child.unref();
  for (const [stream, level] of [
    [child.stdout, 'info'],
    [child.stderr, 'warn'],
  ] as const) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) =>
      logger[level]('plugin process output', { output: chunk.trimEnd() }),
    );
    // Output pipes alone never keep the host alive.
    (stream as { unref?: () => void } | null)?.unref?.();
  }
  const channel = child as ChildProcess & { channel?: { unref(): void } };
  channel.channel?.unref();
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is gone (ESRCH), or it never formed: signal the child alone.
      if (!exited()) child.kill(signal);
    }
  };
  return {
    send: (m) => {
      child.send(m);
    },
    onMessage: (f) => child.on('message', (m) => f(m as Record<string, unknown>)),
    onExit: (f) => {
      child.on('error', (e) => f(`the plugin process failed: ${e.message}`));
      child.on('exit', (code, signal) =>
        f(`the plugin process exited (${signal ?? `code ${code}`})`),
      );
    },
    hold: (on) => (on ? child.ref() : child.unref()),
    kill: () =>
      new Promise<void>((resolve) => {
        if (exited()) {
          // What the plugin started may outlive it: end the rest of its group.
          signalGroup('SIGKILL');
          resolve();
          return;
        }
        // The child and the grace timer hold the host open until the child has ended.
        child.ref();
        const grace = setTimeout(() => signalGroup('SIGKILL'), killGraceMs);
        child.once('exit', () => {
          clearTimeout(grace);
          signalGroup('SIGKILL');
          resolve();
        });
        signalGroup('SIGTERM');
      }),
  };
}

/** Options of {@link createIsolatedHandle}. @since 0.2.0 */
export interface IsolatedHandleOptions {
  /** Aborting it while the plugin loads ends the thread or process at once. */
  readonly signal?: AbortSignal;
  /** Called once when the thread or process has ended, whatever the reason. */
  readonly onEnd?: () => void;
  /**
   * Time between SIGTERM and SIGKILL when a child process is ended (its whole
   * process group is signalled). @default 2000
   */
  readonly killGraceMs?: number;
}

interface Waiting {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  hook: string;
}

/**
 * Requests waiting for an answer, by id. While there are any, the thread or
 * process holds the host's event loop open: a host awaiting a long call has
 * nothing else keeping it alive. Idle, it lets the host exit.
 */
class WaitingRequests extends Map<number, Waiting> {
  readonly #channel: Channel;

  constructor(channel: Channel) {
    super();
    this.#channel = channel;
  }

  override set(id: number, entry: Waiting): this {
    if (this.size === 0) this.#channel.hold(true);
    return super.set(id, entry);
  }

  override delete(id: number): boolean {
    const deleted = super.delete(id);
    if (deleted && this.size === 0) this.#channel.hold(false);
    return deleted;
  }

  override clear(): void {
    if (this.size > 0) this.#channel.hold(false);
    super.clear();
  }
}

/**
 * Load a CPU-bound plugin in a worker thread (`thread_cpu_bound`) or a child
 * process (`process_cpu_bound`) and return a handle whose calls cross to it.
 * Inputs, outputs and config cross by structured clone; host resources do not
 * (the context inside has config, metadata and a logger). A crash rejects
 * every call in flight with {@link PluginUnavailable}. `terminate()` ends the
 * thread (`Worker.terminate`) or the process group (SIGTERM, SIGKILL after
 * `killGraceMs`) whatever the plugin is doing; teardown ends it too.
 * @since 0.1.0
 */
export async function createIsolatedHandle(
  manifest: PluginManifest,
  dir: string,
  logger: Logger,
  options: IsolatedHandleOptions = {},
): Promise<PluginHandle> {
  const mode = manifest.execution_model as Mode;
  const { file, exportName } = await resolveEntryPoint(manifest, dir);
  const channel =
    mode === 'thread_cpu_bound'
      ? workerChannel()
      : processChannel(logger, options.killGraceMs ?? 2000);
  const waiting = new WaitingRequests(channel);
  let nextId = 0;
  let dead: string | undefined;
  const context = { plugin: manifest.name, kind: manifest.kind };

  /** The host tenant, when the host provides one: isolated plugins ask it across the boundary. */
  let tenant: TenantContext | undefined;
  channel.onMessage((message) => {
    if (message.ask === 'tenant') {
      const askId = message.askId;
      const answer = (reply: object): void => {
        if (dead === undefined) channel.send({ answer: askId, ...reply });
      };
      Promise.resolve()
        .then(() => {
          if (tenant === undefined) throw new Error('no host tenant');
          return tenant.checkAccess(String(message.resource), String(message.action));
        })
        .then(
          (value) => answer({ ok: true, value }),
          (error: unknown) =>
            answer({
              ok: false,
              error: {
                name: error instanceof Error ? error.name : 'Error',
                message: error instanceof Error ? error.message : String(error),
                code: (error as { code?: unknown } | null)?.code,
              },
            }),
        );
      return;
    }
    if (typeof message.log === 'string') {
      const level = message.log as 'debug' | 'info' | 'warn' | 'error';
      logger[level](String(message.msg), message.fields as Record<string, unknown>);
      return;
    }
    const entry = waiting.get(message.id as number);
    if (entry === undefined) return;
    waiting.delete(message.id as number);
    if (message.ok === true) entry.resolve(message.value);
    else {
      const remote = message.error as RemoteError;
      entry.reject(
        new PluginInvocationError(remote.message, {
          ...context,
          hook: entry.hook,
          remoteName: remote.name,
          ...(remote.code === undefined ? {} : { remoteCode: remote.code }),
        }),
      );
    }
  });
  /** No more requests; every one still waiting is rejected with the first reason. */
  const end = (reason: string): void => {
    dead ??= reason;
    for (const [, entry] of waiting)
      entry.reject(new PluginUnavailable({ ...context, reason: dead }));
    waiting.clear();
  };
  let ended = false;
  channel.onExit((reason) => {
    end(reason);
    if (!ended) {
      ended = true;
      options.onEnd?.();
    }
  });
  const terminate = async (reason: string): Promise<void> => {
    end(reason);
    await channel.kill();
  };
  const onLoadAbort = (): void =>
    void terminate('loading was aborted (the load timed out or the host gave up)');
  if (options.signal?.aborted === true) onLoadAbort();
  else options.signal?.addEventListener('abort', onLoadAbort, { once: true });

  const request = (
    op: string,
    hook: string,
    payload: object = {},
    signal?: AbortSignal,
  ): Promise<unknown> => {
    if (dead !== undefined)
      return Promise.reject(new PluginUnavailable({ ...context, reason: dead }));
    nextId += 1;
    const id = nextId;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject, hook });
      if (signal !== undefined) {
        const onAbort = (): void => {
          channel.send({ op: 'cancel', target: id, reason: String(signal.reason) });
          waiting.delete(id);
          reject(new HookCancelled({ ...context, hook }));
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
      try {
        channel.send({ ...payload, id, op });
      } catch (error) {
        waiting.delete(id);
        reject(error);
      }
    });
  };

  let hooks: string[];
  try {
    hooks = (await request('load', 'load', {
      url: pathToFileURL(file).href,
      exportName,
    })) as string[];
  } catch (error) {
    await terminate('loading failed');
    throw new PluginLoadError(
      `loading in a ${mode === 'thread_cpu_bound' ? 'worker thread' : 'child process'} failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        ...context,
        path: file,
        cause: error,
      },
    );
  } finally {
    options.signal?.removeEventListener('abort', onLoadAbort);
  }

  return {
    manifest,
    runtime: RUNTIME_IN_PROCESS,
    hooks: new Set(hooks),
    async setup(ctx: PluginContext): Promise<void> {
      // A host tenant is reached across the boundary; without one the plugin
      // gets the allow-all default, as in-process plugins do.
      tenant = ctx.tenant === NOOP_TENANT ? undefined : ctx.tenant;
      await request('setup', 'setup', {
        config: ctx.config,
        metadata: ctx.metadata,
        mode,
        ...(tenant === undefined ? {} : { tenant: { tenantId: tenant.tenantId } }),
      });
    },
    async teardown(): Promise<boolean> {
      try {
        return (await request('teardown', 'teardown')) as boolean;
      } finally {
        await terminate('torn down');
      }
    },
    terminate(): Promise<void> {
      return terminate('terminated by the host');
    },
    async health(): Promise<HealthStatus> {
      return (await request('health', 'health')) as HealthStatus;
    },
    invoke(hook: string, input: unknown, call: HookCall): Promise<unknown> {
      const { signal, ...rest } = call;
      return request('invoke', hook, { hook, input, call: rest }, signal);
    },
  };
}
