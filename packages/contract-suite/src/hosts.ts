/**
 * The out-of-process hosts: a forked child process (its own process group,
 * killed with everything it started when the request ends) and a worker
 * thread. Both run `host/child-host.mjs` and answer one request, built from
 * the target by `hostRequest`.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '@dagstack/plugin-api';
import type { ErrorInfo } from '../host/session.mjs';
import type { Target } from './context.js';

const HOST_FILE = fileURLToPath(new URL('../host/child-host.mjs', import.meta.url));

/** Absolute path of the host script, to tell its processes from the plugin's. */
export const HOST_SCRIPT: string = HOST_FILE;

/** Why a host request did not give a value. */
export class HostFailure extends Error {
  readonly kind: 'timeout' | 'crash' | 'error';
  readonly remote: ErrorInfo | undefined;
  /** The last progress message before the failure. */
  readonly lastProgress: unknown;

  constructor(
    kind: HostFailure['kind'],
    message: string,
    extra: { remote?: ErrorInfo; lastProgress?: unknown } = {},
  ) {
    super(message);
    this.name = 'HostFailure';
    this.kind = kind;
    this.remote = extra.remote;
    this.lastProgress = extra.lastProgress;
  }
}

export interface HostRequest {
  readonly op: 'run' | 'lifecycle' | 'fallback';
  readonly [key: string]: unknown;
}

export interface HostOptions {
  readonly logger: Logger;
  /** Limit of the whole request. */
  readonly timeoutMs: number;
  /** Limit between two progress messages (the fallback cases). */
  readonly progressTimeoutMs?: number;
  readonly onProgress?: (progress: unknown) => void;
  /** Extra Node flags (`--expose-gc`). */
  readonly execArgv?: readonly string[];
}

/** The request a check sends a host for `target`: the entry point, the manifest and the samples. */
export function hostRequest(target: Target, op: HostRequest['op']): HostRequest {
  const entry = target.entry as { file: string; exportName: string | undefined };
  return {
    op,
    file: entry.file,
    exportName: entry.exportName,
    manifest: { ...target.manifest },
    samples: target.samples.map((s) => ({
      hook: s.hook,
      input: s.input,
      ...(s.metadata === undefined ? {} : { metadata: s.metadata }),
    })),
    seed: target.seed,
    now: target.now,
    config: target.config,
    pluginDir: target.pluginDir,
  };
}

interface Message {
  ready?: boolean;
  log?: 'debug' | 'info' | 'warn' | 'error';
  msg?: string;
  fields?: Record<string, unknown>;
  progress?: unknown;
  id?: number;
  ok?: boolean;
  value?: unknown;
  error?: ErrorInfo;
}

/** Shared message handling of both hosts. */
function converse<T>(
  request: HostRequest,
  options: HostOptions,
  io: {
    send(message: object): void;
    onMessage(listener: (message: Message) => void): void;
    onExit(listener: (reason: string) => void): void;
  },
): Promise<T> {
  return new Promise<T>((resolvePromise, rejectPromise) => {
    let lastProgress: unknown;
    let done = false;
    let progressTimer: NodeJS.Timeout | undefined;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(overall);
      clearTimeout(progressTimer);
      fn();
    };
    const overall = setTimeout(
      () =>
        finish(() =>
          rejectPromise(
            new HostFailure('timeout', `no answer within ${options.timeoutMs} ms`, {
              lastProgress,
            }),
          ),
        ),
      options.timeoutMs,
    );
    const armProgress = () => {
      if (options.progressTimeoutMs === undefined) return;
      clearTimeout(progressTimer);
      progressTimer = setTimeout(
        () =>
          finish(() =>
            rejectPromise(
              new HostFailure('timeout', `no progress within ${options.progressTimeoutMs} ms`, {
                lastProgress,
              }),
            ),
          ),
        options.progressTimeoutMs,
      );
    };
    io.onMessage((message) => {
      if (message.ready === true) {
        armProgress();
        io.send({ ...request, id: 1 });
        return;
      }
      if (message.log !== undefined) {
        options.logger[message.log](`plugin host: ${message.msg ?? ''}`, message.fields);
        return;
      }
      if (message.progress !== undefined) {
        lastProgress = message.progress;
        options.onProgress?.(message.progress);
        armProgress();
        return;
      }
      if (message.id === 1) {
        finish(() => {
          if (message.ok === true) resolvePromise(message.value as T);
          else {
            const remote = message.error;
            rejectPromise(
              new HostFailure('error', remote?.message ?? 'the host failed', {
                ...(remote === undefined ? {} : { remote }),
                lastProgress,
              }),
            );
          }
        });
      }
    });
    io.onExit((reason) =>
      finish(() => rejectPromise(new HostFailure('crash', reason, { lastProgress }))),
    );
  });
}

/**
 * Run one request in a fresh child process. The child is the leader of its
 * own process group; when the request ends (answered, failed or timed out)
 * the whole group is killed, so processes the plugin started go too.
 */
export async function inChild<T>(request: HostRequest, options: HostOptions): Promise<T> {
  // The child's temp folder and working directory: removed afterwards even
  // when the child is killed before its own cleanup ran. A neutral working
  // directory also shows a plugin that relies on the cwd.
  const scratch = mkdtempSync(join(tmpdir(), 'dagstack-contract-host-'));
  const child = spawn(process.execPath, [...(options.execArgv ?? []), HOST_FILE], {
    cwd: scratch,
    env: { ...process.env, TMPDIR: scratch },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
    detached: true,
  });
  for (const [stream, level] of [
    [child.stdout, 'info'],
    [child.stderr, 'warn'],
  ] as const) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) =>
      options.logger[level]('plugin host output', { pid: child.pid, output: chunk.trimEnd() }),
    );
  }
  const exited = new Promise<void>((resolveExit) => {
    if (child.exitCode !== null) resolveExit();
    child.once('exit', () => resolveExit());
    child.once('error', () => resolveExit());
  });
  try {
    return await converse<T>(request, options, {
      send: (m) => child.send(m),
      onMessage: (f) => child.on('message', (m) => f(m as Message)),
      onExit: (f) => {
        child.once('error', (e) => f(`the host process failed: ${e.message}`));
        child.once('exit', (code, signal) =>
          f(`the host process exited (${signal ?? `code ${code}`})`),
        );
      },
    });
  } finally {
    killGroup(child.pid, 'SIGKILL');
    await exited;
    // The leader is gone; anything left in its group goes now.
    killGroup(child.pid, 'SIGKILL');
    rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is empty
  }
}

/** Run one request in a fresh worker thread, terminated when the request ends. */
export async function inWorker<T>(request: HostRequest, options: HostOptions): Promise<T> {
  // No inherited flags: a test runner's `--conditions` would point the worker
  // at TypeScript sources it cannot load.
  const worker = new Worker(HOST_FILE, { stdout: true, stderr: true, execArgv: [] });
  for (const [stream, level] of [
    [worker.stdout, 'info'],
    [worker.stderr, 'warn'],
  ] as const) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) =>
      options.logger[level]('plugin worker output', { output: chunk.trimEnd() }),
    );
  }
  try {
    return await converse<T>(request, options, {
      send: (m) => worker.postMessage(m),
      onMessage: (f) => worker.on('message', (m) => f(m as Message)),
      onExit: (f) => {
        worker.once('error', (e) => f(`the worker thread failed: ${e.message}`));
        worker.once('exit', (code) => f(`the worker thread exited (code ${code})`));
      },
    });
  } finally {
    await worker.terminate();
  }
}
