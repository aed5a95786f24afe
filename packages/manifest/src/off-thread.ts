// The validation thread: loadManifest parses and validates large manifest
// files on a worker thread, so that a hostile one (1 MiB of TOML takes
// 100-450 ms to parse alone, in one call that cannot be split) does not
// block the host's event loop. Only the outcome comes back: a capped problem
// list, or the canonical manifest. One thread per process, started on first
// use, one file at a time, ended after a few idle seconds; it never keeps the
// process alive when idle.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { evaluateText, failure, type ManifestFormat, type TextOutcome } from './document.js';
import { deepFreeze } from './normalise.js';
import { WORKER_PROTOCOL } from './protocol.js';

/** Manifest texts of at least this many characters are read on the validation thread. */
export const OFF_THREAD_CHARS: number = 32 * 1024;

/**
 * The thread's code is the built package (dist/worker.js), from dist/ and
 * from src/ alike (tests run the sources against the last build). Without a
 * build, large files are read on the calling thread.
 */
const WORKER_URL = new URL('../dist/worker.js', import.meta.url);

/** Options of a {@link ValidationThread}. */
export interface ValidationThreadOptions {
  /** The worker script. @default dist/worker.js of this package */
  url?: URL;
  /** Longest time one file may take. @default 60_000 */
  timeoutMs?: number;
  /** Time without work after which the thread ends. @default 5_000 */
  idleMs?: number;
  /** Heap limit of the thread. @default 256 */
  memoryMb?: number;
}

interface Job {
  readonly text: string;
  readonly format: ManifestFormat;
  readonly source: string;
  readonly resolve: (outcome: TextOutcome) => void;
}

/** A worker thread that evaluates manifest texts one at a time. */
export class ValidationThread {
  readonly #url: URL;
  readonly #timeoutMs: number;
  readonly #idleMs: number;
  readonly #memoryMb: number;
  readonly #queue: Job[] = [];
  #worker: Worker | undefined;
  #ready: Promise<boolean> | undefined;
  /** False once the script is missing or announced another protocol: work stays on this thread. */
  #usable: boolean | undefined;
  #current: { job: Job; id: number; timer: NodeJS.Timeout } | undefined;
  #busy = false;
  #nextId = 0;
  #idle: NodeJS.Timeout | undefined;
  #exitReason: string | undefined;

  constructor(options: ValidationThreadOptions = {}) {
    this.#url = options.url ?? WORKER_URL;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#idleMs = options.idleMs ?? 5_000;
    this.#memoryMb = options.memoryMb ?? 256;
  }

  /** Whether work goes to a worker thread (false: no built script, or a stale one). */
  get offThread(): boolean {
    return this.#usable !== false;
  }

  /** Evaluate one manifest text. Never rejects. */
  run(text: string, format: ManifestFormat, source: string): Promise<TextOutcome> {
    return new Promise((resolve) => {
      this.#queue.push({ text, format, source, resolve });
      void this.#pump();
    });
  }

  /** End the thread now (pending files are answered on this thread). */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#usable = false;
    if (worker !== undefined) await worker.terminate();
  }

  async #pump(): Promise<void> {
    if (this.#busy || this.#current !== undefined) return;
    const job = this.#queue.shift();
    if (job === undefined) {
      this.#rest();
      return;
    }
    this.#busy = true;
    if (this.#idle !== undefined) clearTimeout(this.#idle);
    let worker: Worker | undefined;
    try {
      worker = await this.#start();
    } catch {
      // The thread could not be created (no threads here, a refused URL).
      this.#usable = false;
    }
    this.#busy = false;
    if (worker === undefined) {
      // Let the event loop turn before the long synchronous work.
      await new Promise((resolve) => setImmediate(resolve));
      job.resolve(finish(evaluateText(job.text, job.format, job.source)));
      void this.#pump();
      return;
    }
    this.#nextId += 1;
    const id = this.#nextId;
    const timer = setTimeout(() => {
      this.#exitReason = `validation stopped after ${this.#timeoutMs / 1000} s: the manifest is too costly to check; make it smaller`;
      void worker.terminate();
    }, this.#timeoutMs);
    this.#current = { job, id, timer };
    worker.ref();
    worker.postMessage({ id, text: job.text, format: job.format, source: job.source });
  }

  /** No work: let the process exit, and end the thread after a while. */
  #rest(): void {
    const worker = this.#worker;
    if (worker === undefined) return;
    worker.unref();
    if (this.#idle !== undefined) clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      if (this.#current === undefined && this.#queue.length === 0) void worker.terminate();
    }, this.#idleMs);
    this.#idle.unref();
  }

  async #start(): Promise<Worker | undefined> {
    if (this.#usable === false) return undefined;
    if (this.#worker !== undefined && this.#ready !== undefined) {
      return (await this.#ready) ? this.#worker : undefined;
    }
    if (this.#url.protocol === 'file:' && !existsSync(fileURLToPath(this.#url))) {
      this.#usable = false;
      return undefined;
    }
    const worker = new Worker(this.#url, {
      // Not the parent's flags (a test runner's loaders): plain Node.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: this.#memoryMb },
    });
    this.#worker = worker;
    this.#exitReason = undefined;
    this.#ready = new Promise<boolean>((resolve) => {
      let announced = false;
      worker.once('message', (message: { ready?: unknown }) => {
        announced = true;
        const ok = message.ready === WORKER_PROTOCOL;
        this.#usable = ok;
        if (!ok) void worker.terminate();
        resolve(ok);
      });
      worker.once('exit', () => {
        // A thread that cannot start will not start next time either.
        if (!announced) this.#usable = false;
        resolve(false);
      });
    });
    worker.on('message', (message: { id?: number; outcome?: TextOutcome }) => {
      const current = this.#current;
      if (current === undefined || message.id !== current.id || message.outcome === undefined) {
        return;
      }
      clearTimeout(current.timer);
      this.#current = undefined;
      current.job.resolve(finish(message.outcome));
      void this.#pump();
    });
    worker.on('error', (error: Error & { code?: string }) => {
      this.#exitReason ??=
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `validation ran out of memory (${this.#memoryMb} MB): the manifest is too large to check; make it smaller`
          : `the validation thread failed (${error.message}); this is a bug of @dagstack/plugin-manifest`;
    });
    worker.on('exit', (code) => {
      if (this.#worker === worker) {
        this.#worker = undefined;
        this.#ready = undefined;
      }
      const current = this.#current;
      if (current !== undefined) {
        clearTimeout(current.timer);
        this.#current = undefined;
        const reason =
          this.#exitReason ??
          `the validation thread stopped (exit code ${code}); this is a bug of @dagstack/plugin-manifest`;
        current.job.resolve({
          kind: 'result',
          result: failure(current.job.source, 'limit', reason),
        });
      }
      this.#exitReason = undefined;
      void this.#pump();
    });
    return (await this.#ready) ? worker : undefined;
  }
}

/** A manifest that crossed from the thread is a copy: freeze it as the main thread's are. */
function finish(outcome: TextOutcome): TextOutcome {
  if (outcome.kind === 'result' && outcome.result.ok) deepFreeze(outcome.result.manifest);
  return outcome;
}

let shared: ValidationThread | undefined;

/** Evaluate a manifest text on the process's validation thread. */
export function evaluateOffThread(
  text: string,
  format: ManifestFormat,
  source: string,
): Promise<TextOutcome> {
  shared ??= new ValidationThread();
  return shared.run(text, format, source);
}
