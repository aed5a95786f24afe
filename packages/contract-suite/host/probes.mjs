// Leak probes (ADR-0001 §Leak detection), stack-frame attribution, and the
// fallback edge-case dataset (ADR-0002 §Contract test for the fallback).
// Plain JavaScript: it runs inside the forked child host as well.

import { createHook } from 'node:async_hooks';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const HOST_DIR = dirname(fileURLToPath(import.meta.url));
/** Files of the contract suite itself: never blamed for what the plugin does. */
const OWN_DIRS = [HOST_DIR, join(HOST_DIR, '..', 'src'), join(HOST_DIR, '..', 'dist')];

// ---------------------------------------------------------------------------
// Stack frames
// ---------------------------------------------------------------------------

const FRAME = /^\s*at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/;

/** Parse a V8 stack into `{ file, line, column }` frames (file paths without query). */
export function stackFrames(stack) {
  const frames = [];
  for (const line of String(stack ?? '').split('\n')) {
    const m = FRAME.exec(line);
    if (m === null) continue;
    let file = m[1];
    if (file.startsWith('async ')) file = file.slice(6);
    if (file.startsWith('file://')) {
      try {
        file = fileURLToPath(file.split('?')[0]);
      } catch {
        continue;
      }
    } else {
      file = file.split('?')[0];
    }
    frames.push({ file, line: Number(m[2]), column: Number(m[3]) });
  }
  return frames;
}

const inside = (parent, child) => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};
const isOwn = (file) =>
  (isAbsolute(file) && OWN_DIRS.some((d) => inside(d, file))) ||
  file.includes(`${sep}node_modules${sep}vitest${sep}`) ||
  file.includes(`${sep}node_modules${sep}@vitest${sep}`);
const isPluginCode = (pluginDir, file) =>
  isAbsolute(file) &&
  inside(pluginDir, file) &&
  !relative(pluginDir, file).split(sep).includes('node_modules');

const formatFrame = (pluginDir, f) =>
  `${relative(pluginDir, f.file) || f.file}:${f.line}:${f.column}`;

/**
 * Where the plugin's own code made the call that captured `stack`: the first
 * frame outside the contract suite (and vitest), when it lies in the plugin folder
 * (not in its node_modules). `undefined` when the caller is somebody else.
 */
export function callerInPlugin(stack, pluginDir) {
  // Skip the suite's own frames only: when Node's code is the caller (spawn
  // copying the environment, rmSync calling lstatSync), it is not the plugin's call.
  const first = stackFrames(stack).find((f) => !isOwn(f.file));
  if (first === undefined || !isPluginCode(pluginDir, first.file)) return undefined;
  return formatFrame(pluginDir, first);
}

/** The plugin frames of a stack (its node_modules included), outermost last. */
export function pluginFrames(stack, pluginDir) {
  return stackFrames(stack)
    .filter((f) => isAbsolute(f.file) && inside(pluginDir, f.file))
    .map((f) => formatFrame(pluginDir, f));
}

// ---------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------

/** Active resources by type (`Timeout`, `TCPServerWrap`, ...), counted. */
export function activeResources() {
  const counts = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Open file descriptors of this process, `fd -> target`; `undefined` without /proc. */
export function openFds() {
  let names;
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return undefined;
  }
  const fds = {};
  for (const name of names) {
    try {
      fds[name] = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      // the descriptor readdir itself used, closed by now
    }
  }
  return fds;
}

/** Live child processes of this process from /proc; `undefined` without /proc. */
export function childProcesses() {
  let names;
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const children = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // comm may hold spaces and parentheses: the fields after it follow the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[1]) !== process.pid) continue;
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      children.push({ pid: Number(name), state: rest[0], cmd });
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

/** Files and folders under `dir`, relative, sorted; `[]` when it does not exist. */
export function listTree(dir) {
  const out = [];
  const walk = (current) => {
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      out.push(relative(dir, path) + (entry.isDirectory() ? '/' : ''));
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return out.sort();
}

/** Let queued callbacks, destroy hooks and finalizers run. */
export async function settle(rounds = 4) {
  for (let i = 0; i < rounds; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** async_hooks types worth a creation stack, and their active-resource names. */
const TRACKED = {
  Timeout: 'Timeout',
  Immediate: 'Immediate',
  TCPWRAP: 'TCPSocketWrap',
  TCPSERVERWRAP: 'TCPServerWrap',
  PIPEWRAP: 'PipeWrap',
  PIPESERVERWRAP: 'PipeServerWrap',
  UDPWRAP: 'UDPWrap',
  PROCESSWRAP: 'ProcessWrap',
  FSEVENTWRAP: 'FSEventWrap',
  STATWATCHER: 'StatWatcher',
  FILEHANDLE: 'FileHandle',
  TTYWRAP: 'TTYWrap',
  SIGNALWRAP: 'SignalWrap',
  WORKER: 'Worker',
  MESSAGEPORT: 'MessagePort',
};

/**
 * Record the creation stack of every timer, socket, server, child process,
 * watcher and file handle created from now on, and forget it when destroyed.
 */
export function trackAsyncResources() {
  const live = new Map();
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (!Object.hasOwn(TRACKED, type)) return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 40;
      const stack = new Error().stack ?? '';
      Error.stackTraceLimit = limit;
      live.set(id, { type, stack, resource: new WeakRef(resource) });
    },
    destroy(id) {
      live.delete(id);
    },
  });
  hook.enable();
  return { live, stop: () => hook.disable() };
}

const RESOURCE_NAMES = new Set(Object.values(TRACKED));

/**
 * Clear the timers and immediates the plugin created (a plugin frame in their
 * creation stack) that are still pending; returns how many. Used after the
 * in-process runs, so a leaking plugin does not keep the test process alive.
 */
export function clearPluginTimers(tracker, pluginDir) {
  let cleared = 0;
  for (const { type, stack, resource } of tracker.live.values()) {
    if (type !== 'Timeout' && type !== 'Immediate') continue;
    const handle = resource?.deref();
    if (handle === undefined || pluginFrames(stack, pluginDir).length === 0) continue;
    if (type === 'Timeout') clearTimeout(handle);
    else clearImmediate(handle);
    cleared += 1;
  }
  return cleared;
}

/**
 * Compare two probe snapshots and name what the plugin left behind. Each leak
 * is `{ what, location, detail }`; `location` is a creation frame in the
 * plugin, a file descriptor, a pid or a tmpdir path.
 */
export function diffSnapshots({ before, after, tracked, pluginDir, tmpdirEntries }) {
  const leaks = [];
  const explained = {};
  for (const { type, stack } of tracked.values()) {
    const frames = pluginFrames(stack, pluginDir);
    if (frames.length === 0) continue;
    const name = TRACKED[type];
    explained[name] = (explained[name] ?? 0) + 1;
    leaks.push({
      what: `${name} still alive`,
      location: frames[0],
      detail: `created at ${frames.join(' <- ')}`,
    });
  }
  for (const [type, count] of Object.entries(after.resources)) {
    const grown = count - (before.resources[type] ?? 0) - (explained[type] ?? 0);
    // Transient requests (FSReqCallback, ...) are not handles; only count handles.
    if (grown > 0 && (RESOURCE_NAMES.has(type) || type.endsWith('Wrap'))) {
      leaks.push({
        what: `${grown} more active ${type}`,
        location: 'process.getActiveResourcesInfo()',
        detail:
          'created outside the plugin folder (a dependency or a callback); no plugin frame in its creation stack',
      });
    }
  }
  if (before.fds !== undefined && after.fds !== undefined) {
    for (const [fd, target] of Object.entries(after.fds)) {
      if (before.fds[fd] !== target) {
        leaks.push({ what: 'open file descriptor', location: `fd ${fd}`, detail: `-> ${target}` });
      }
    }
  }
  if (before.children !== undefined && after.children !== undefined) {
    const old = new Set(before.children.map((c) => c.pid));
    for (const child of after.children) {
      if (old.has(child.pid)) continue;
      leaks.push({
        what:
          child.state === 'Z' ? 'unreaped child process (zombie)' : 'child process still running',
        location: `pid ${child.pid}`,
        detail: child.cmd,
      });
    }
  }
  for (const entry of tmpdirEntries) {
    leaks.push({ what: 'file left in the injected tmpdir', location: entry, detail: 'tmpdir' });
  }
  return leaks;
}

/** A snapshot of what a lifecycle may leak. */
export function snapshot() {
  return { resources: activeResources(), fds: openFds(), children: childProcesses() };
}

// ---------------------------------------------------------------------------
// Fallback edge cases
// ---------------------------------------------------------------------------

/** 10 MiB + 1: just above the ADR-0003 §2 boundary limit. */
export const HUGE_LENGTH = 10 * 1024 * 1024 + 1;

const BINARY = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
// Invalid UTF-8 byte sequences decoded the way Node decodes them (U+FFFD),
// plus lone UTF-16 surrogates, which no UTF-8 encoder can write.
const MALFORMED = `${Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]).toString('utf8')}\uD800x\uDC00\uDBFF`;
const NESTED_DEPTH = 100_000;

function stringLeaves(value, pointer = '', out = []) {
  if (out.length >= 8) return out;
  if (typeof value === 'string') out.push(pointer);
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) stringLeaves(v, `${pointer}/${i}`, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      stringLeaves(v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
    }
  }
  return out;
}

function replaceAt(value, pointer, replacement) {
  if (pointer === '') return replacement;
  const copy = structuredClone(value);
  const tokens = pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  let target = copy;
  for (const token of tokens.slice(0, -1)) target = target[token];
  target[tokens[tokens.length - 1]] = replacement;
  return copy;
}

function emptied(value) {
  if (typeof value === 'string') return '';
  if (Array.isArray(value)) return [];
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, emptied(v)]));
  }
  return value;
}

function deepObject(depth) {
  let v = { leaf: true };
  for (let i = 0; i < depth; i += 1) v = { nested: v };
  return v;
}

/**
 * The edge-case inputs derived from one valid sample input. Every string of
 * the input is swapped in turn for: an empty string, all 256 byte values,
 * malformed UTF-8, a string over 10 MiB and deeply nested bracket text; every
 * string and array emptied at once; and, for object inputs, unknown fields of
 * unexpected types (null, numbers, a 1,000-level nested object, an array of
 * mixed types). Numbers are left alone: their valid range is the kind's to
 * define. Each case is `{ label, pointer, input }`.
 */
export function edgeCases(input) {
  const cases = [];
  const leaves = stringLeaves(input);
  const empty = emptied(input);
  cases.push({ label: 'empty', pointer: '', input: empty });
  let huge;
  for (const pointer of leaves) {
    huge ??= 'lorem ipsum dolor sit amet\n'
      .repeat(Math.ceil(HUGE_LENGTH / 27))
      .slice(0, HUGE_LENGTH);
    cases.push({ label: 'empty string', pointer, input: replaceAt(input, pointer, '') });
    cases.push({ label: 'binary', pointer, input: replaceAt(input, pointer, BINARY) });
    cases.push({ label: 'malformed UTF-8', pointer, input: replaceAt(input, pointer, MALFORMED) });
    cases.push({ label: 'huge (> 10 MiB)', pointer, input: replaceAt(input, pointer, huge) });
    cases.push({
      label: 'deeply nested text',
      pointer,
      input: replaceAt(input, pointer, `${'['.repeat(NESTED_DEPTH)}${']'.repeat(NESTED_DEPTH)}`),
    });
  }
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const unexpected = {
      null: null,
      number: -1.5e308,
      boolean: false,
      mixed: [1, 'two', null, { three: [3] }, [[]]],
      deep: deepObject(1000),
    };
    for (const [type, value] of Object.entries(unexpected)) {
      cases.push({
        label: `unexpected field (${type})`,
        pointer: '/__contract_unexpected',
        input: { ...input, __contract_unexpected: value },
      });
    }
  }
  return cases;
}
