/**
 * Watches what a plugin's own code does with ambient state while the
 * in-process runs go on: environment reads and writes, the working
 * directory, file-system paths, globals, and the ambient clock and
 * randomness. Only calls made directly from files of the plugin folder (not
 * its node_modules) are recorded, with the calling frame as location.
 * Everything is restored by `restore()`.
 */

import { createRequire, syncBuiltinESMExports } from 'node:module';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callerInPlugin } from '../host/probes.mjs';

const require = createRequire(import.meta.url);
const fs = require('node:fs') as Record<string, unknown> & { promises: Record<string, unknown> };
const nodeCrypto = require('node:crypto') as Record<string, unknown>;

/** Where in the lifecycle the plugin is. */
export type Phase = 'idle' | 'import' | 'setup' | 'hooks' | 'teardown';

/** One ambient access by the plugin's code. */
export interface AmbientEvent {
  readonly kind:
    | 'env-read'
    | 'env-write'
    | 'cwd'
    | 'chdir'
    | 'fs-relative'
    | 'fs-outside'
    | 'global-write'
    | 'time'
    | 'random';
  readonly detail: string;
  readonly location: string;
  readonly phase: Phase;
  readonly hook: string | undefined;
}

const READ_FS = [
  'readFile',
  'readdir',
  'stat',
  'lstat',
  'access',
  'exists',
  'opendir',
  'createReadStream',
  'readlink',
  'realpath',
  'watch',
  'watchFile',
];
const WRITE_FS = [
  'writeFile',
  'appendFile',
  'mkdir',
  'mkdtemp',
  'rm',
  'rmdir',
  'unlink',
  'rename',
  'copyFile',
  'cp',
  'truncate',
  'chmod',
  'chown',
  'utimes',
  'symlink',
  'link',
  'createWriteStream',
];

const inside = (parent: string, child: string): boolean => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

type AnyFunction = (...args: unknown[]) => unknown;

/** The recorder returned by {@link instrument}. */
export interface Instrumentation {
  readonly events: AmbientEvent[];
  phase: Phase;
  hook: string | undefined;
  /** A folder the plugin may read and write (its injected tmpdir). */
  allow(path: string): void;
  /** Global keys added or changed since install, compared with the snapshot. */
  globalChanges(): { key: string; change: 'added' | 'changed' | 'deleted' }[];
  /** Replace the given globals by accessors that record who writes them. */
  trapGlobals(keys: readonly string[]): void;
  /** Undo every patch and put changed globals back. */
  restore(): void;
}

/**
 * Install the recorders. Must be paired with `restore()` in a `finally`.
 */
export function instrument(options: {
  pluginDir: string;
  allowedPaths: readonly string[];
}): Instrumentation {
  const { pluginDir } = options;
  const allowed = options.allowedPaths.map((p) => resolve(p));
  const undo: (() => void)[] = [];
  const events: AmbientEvent[] = [];
  const state = { phase: 'idle' as Phase, hook: undefined as string | undefined };

  // Attributing a call uses path functions that call process.cwd() and read
  // the environment themselves: those nested calls are not recorded.
  let busy = false;
  const note = (kind: AmbientEvent['kind'], detail: string, when?: (phase: Phase) => boolean) => {
    if (busy || (when !== undefined && !when(state.phase))) return;
    busy = true;
    try {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 30;
      const stack = new Error().stack;
      Error.stackTraceLimit = limit;
      const location = callerInPlugin(stack, pluginDir);
      if (location === undefined) return;
      if (events.some((e) => e.kind === kind && e.detail === detail && e.location === location)) {
        return;
      }
      events.push({ kind, detail, location, phase: state.phase, hook: state.hook });
    } finally {
      busy = false;
    }
  };

  const patch = (
    target: Record<string, unknown>,
    key: string,
    make: (orig: AnyFunction) => AnyFunction,
  ) => {
    const original = target[key];
    if (typeof original !== 'function') return;
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    target[key] = make(original as AnyFunction);
    undo.push(() => {
      if (descriptor === undefined) delete target[key];
      else Object.defineProperty(target, key, descriptor);
    });
  };

  // --- environment -------------------------------------------------------
  const realEnv = process.env;
  const outsideSetup = (phase: Phase) => phase !== 'setup';
  const envProxy = new Proxy(realEnv, {
    get(target, key) {
      if (typeof key === 'string') note('env-read', key, outsideSetup);
      return Reflect.get(target, key);
    },
    has(target, key) {
      if (typeof key === 'string') note('env-read', key, outsideSetup);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      note('env-read', '(all variables)', outsideSetup);
      return Reflect.ownKeys(target);
    },
    set(target, key, value) {
      if (typeof key === 'string') note('env-write', key);
      return Reflect.set(target, key, value);
    },
    deleteProperty(target, key) {
      if (typeof key === 'string') note('env-write', key);
      return Reflect.deleteProperty(target, key);
    },
  });
  const envDescriptor = Object.getOwnPropertyDescriptor(process, 'env');
  Object.defineProperty(process, 'env', {
    value: envProxy,
    writable: true,
    configurable: true,
    enumerable: true,
  });
  undo.push(() => {
    if (envDescriptor !== undefined) Object.defineProperty(process, 'env', envDescriptor);
  });

  // --- working directory ---------------------------------------------------
  const proc = process as unknown as Record<string, unknown>;
  patch(proc, 'cwd', (orig) => () => {
    note('cwd', 'process.cwd()');
    return orig.call(process);
  });
  patch(proc, 'chdir', (orig) => (dir: unknown) => {
    note('chdir', `process.chdir(${JSON.stringify(dir)})`);
    return orig.call(process, dir);
  });

  // --- file system -----------------------------------------------------------
  const checkPath = (op: string, path: unknown, write: boolean) => {
    let p: string | undefined;
    if (typeof path === 'string') p = path;
    else if (path instanceof URL && path.protocol === 'file:') p = fileURLToPath(path);
    else if (Buffer.isBuffer(path)) p = path.toString();
    if (p === undefined) return;
    if (!isAbsolute(p)) {
      note('fs-relative', `${op}(${JSON.stringify(p)}) resolves against process.cwd()`);
      return;
    }
    const abs = resolve(p);
    if (allowed.some((dir) => inside(dir, abs))) return;
    if (!write && inside(pluginDir, abs)) return;
    note(
      'fs-outside',
      `${op}(${JSON.stringify(abs)}) ${write ? 'writes' : 'reads'} outside the injected paths`,
    );
  };
  const wrapFs = (
    target: Record<string, unknown>,
    name: string,
    write: boolean,
    twoPaths: boolean,
  ) =>
    patch(
      target,
      name,
      (orig) =>
        function (this: unknown, ...args: unknown[]) {
          let w = write;
          if ((name === 'open' || name === 'openSync') && typeof args[1] === 'string') {
            w = /[wa+]/.test(args[1]);
          }
          checkPath(name, args[0], w);
          if (twoPaths) checkPath(name, args[1], true);
          return orig.apply(this, args);
        },
    );
  for (const [names, write] of [
    [READ_FS, false],
    [WRITE_FS, true],
    [['open'], false],
  ] as const) {
    for (const base of names) {
      const twoPaths = ['rename', 'copyFile', 'cp', 'symlink', 'link'].includes(base);
      wrapFs(fs, base, write, twoPaths);
      wrapFs(fs, `${base}Sync`, write, twoPaths);
      wrapFs(fs.promises, base, write, twoPaths);
    }
  }

  // --- ambient time and randomness (ADR-0003 §8) ------------------------------
  const RealDate = globalThis.Date;
  const DateProxy: DateConstructor = new Proxy(RealDate, {
    construct(target, args, newTarget): object {
      if (args.length === 0) note('time', 'new Date()');
      return Reflect.construct(target, args, newTarget === DateProxy ? target : newTarget);
    },
    apply(target, thisArg, args) {
      note('time', 'Date()');
      return Reflect.apply(target, thisArg, args);
    },
  });
  patch(RealDate as unknown as Record<string, unknown>, 'now', (orig) => () => {
    note('time', 'Date.now()');
    return orig.call(RealDate);
  });
  globalThis.Date = DateProxy;
  undo.push(() => {
    globalThis.Date = RealDate;
  });
  patch(Math as unknown as Record<string, unknown>, 'random', (orig) => () => {
    note('random', 'Math.random()');
    return orig.call(Math);
  });
  const perf = globalThis.performance as unknown as Record<string, unknown>;
  const perfNow = perf.now as AnyFunction;
  perf.now = () => {
    note('time', 'performance.now()');
    return perfNow.call(globalThis.performance);
  };
  undo.push(() => {
    delete perf.now;
  });
  const webCrypto = globalThis.crypto as unknown as Record<string, unknown>;
  for (const name of ['randomUUID', 'getRandomValues']) {
    const orig = webCrypto[name] as AnyFunction;
    webCrypto[name] = (...args: unknown[]) => {
      note('random', `crypto.${name}()`);
      return orig.apply(globalThis.crypto, args);
    };
    undo.push(() => {
      delete webCrypto[name];
    });
  }
  for (const name of ['randomBytes', 'randomUUID', 'randomInt', 'randomFillSync']) {
    patch(nodeCrypto, name, (orig) => (...args: unknown[]) => {
      note('random', `crypto.${name}()`);
      return orig.apply(nodeCrypto, args);
    });
  }
  syncBuiltinESMExports();

  // --- globals -----------------------------------------------------------------
  const g = globalThis as unknown as Record<string, unknown>;
  const initial = new Map<string, PropertyDescriptor>();
  for (const key of Object.getOwnPropertyNames(g)) {
    const d = Object.getOwnPropertyDescriptor(g, key);
    if (d !== undefined) initial.set(key, d);
  }
  const sameDescriptor = (a: PropertyDescriptor, b: PropertyDescriptor): boolean => {
    if ('value' in a) return 'value' in b && Object.is(a.value, b.value);
    if (a.get === b.get && a.set === b.set) return true;
    // Node defines some globals (Headers, File, AbortSignal, ...) as lazy
    // getters that turn into plain values on first read: not a change.
    if ('value' in b && a.get !== undefined) {
      try {
        return Object.is(a.get.call(g), b.value);
      } catch {
        return false;
      }
    }
    return false;
  };

  return {
    events,
    get phase() {
      return state.phase;
    },
    set phase(value: Phase) {
      state.phase = value;
    },
    get hook() {
      return state.hook;
    },
    set hook(value: string | undefined) {
      state.hook = value;
    },
    allow(path: string) {
      allowed.push(resolve(path));
    },
    globalChanges() {
      const out: { key: string; change: 'added' | 'changed' | 'deleted' }[] = [];
      for (const key of Object.getOwnPropertyNames(g)) {
        // Our own patches.
        if (key === 'Date') continue;
        const now = Object.getOwnPropertyDescriptor(g, key);
        const then = initial.get(key);
        if (then === undefined) out.push({ key, change: 'added' });
        else if (now !== undefined && !sameDescriptor(then, now))
          out.push({ key, change: 'changed' });
      }
      for (const key of initial.keys())
        if (!Object.hasOwn(g, key)) out.push({ key, change: 'deleted' });
      return out;
    },
    trapGlobals(keys: readonly string[]) {
      for (const key of keys) {
        let value = g[key];
        Object.defineProperty(g, key, {
          configurable: true,
          enumerable: true,
          get: () => value,
          set: (v: unknown) => {
            note('global-write', `globalThis.${key}`);
            value = v;
          },
        });
      }
    },
    restore() {
      for (const fn of undo.reverse()) fn();
      syncBuiltinESMExports();
      for (const key of Object.getOwnPropertyNames(g)) {
        if (!initial.has(key)) delete g[key];
      }
      for (const [key, d] of initial) {
        const now = Object.getOwnPropertyDescriptor(g, key);
        if (now === undefined || !sameDescriptor(d, now)) {
          try {
            Object.defineProperty(g, key, d);
          } catch {
            // a non-configurable global the plugin could not have changed either
          }
        }
      }
    },
  };
}
