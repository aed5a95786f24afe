import { type ChildProcess, spawn } from 'node:child_process';
import {
  type Logger,
  PluginLoadError,
  type PluginRegistryError,
  PluginUnavailable,
  SerializationError,
} from '@dagstack/plugin-api';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { groupAlive, signalGroup, waitGroupGone } from './process-group.js';
import { StderrLines } from './stderr-lines.js';

/** How a child ended. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** What to start and how. */
export interface ChildSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly maxMessageBytes: number;
  readonly logger: Logger;
  readonly plugin: string;
  readonly kind: string;
}

/** Timings of the shutdown sequence (ADR-0002 §Shutdown order). */
export interface ShutdownTimings {
  /** After stdin is closed, how long the child may take to exit by itself. */
  readonly exitWaitMs: number;
  /** After SIGTERM, how long before SIGKILL. */
  readonly killGraceMs: number;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms).unref?.());

/**
 * An SDK `Transport` over a child process's stdin/stdout, framed by the SDK's
 * own stdio `ReadBuffer` / `serializeMessage`. The child runs in a process
 * group of its own so that shutdown reaches its children too. Bounds every
 * message, reports stdout lines that are not MCP messages instead of failing,
 * and feeds stderr into the logger line by line.
 */
export class ChildProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;
  /** Called for every stdout line that is not a JSON-RPC message. */
  onGarbage?: (error: Error) => void;

  /** Set once the child has exited. */
  exit: ExitInfo | undefined;
  /** Why the host ended the child itself (an oversize message), if it did. */
  fatal: PluginRegistryError | undefined;
  readonly stderr: StderrLines;
  readonly exited: Promise<ExitInfo>;

  readonly #spec: ChildSpec;
  readonly #read: ReadBuffer;
  #child: ChildProcess | undefined;
  #resolveExit: (info: ExitInfo) => void = () => {};
  #closeFired = false;

  constructor(spec: ChildSpec) {
    this.#spec = spec;
    this.#read = new ReadBuffer({ maxBufferSize: spec.maxMessageBytes });
    this.stderr = new StderrLines(spec.logger);
    this.exited = new Promise((resolve) => {
      this.#resolveExit = resolve;
    });
  }

  /** Process id of the child (also its process group id). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  start(): Promise<void> {
    const spec = this.#spec;
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(spec.command, [...spec.args], {
          cwd: spec.cwd,
          env: spec.env,
          stdio: ['pipe', 'pipe', 'pipe'],
          // A group of its own: SIGTERM/SIGKILL reach grandchildren too.
          detached: process.platform !== 'win32',
          windowsHide: true,
        });
      } catch (error) {
        reject(this.#spawnError(error));
        return;
      }
      this.#child = child;
      child.once('spawn', () => resolve());
      child.once('error', (error) => {
        if (child.pid === undefined) reject(this.#spawnError(error));
        else this.onerror?.(error);
      });
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        this.#resolveExit(this.exit);
        // stdout normally closes right after; a grandchild holding the pipe
        // must not delay failing the in-flight calls.
        setTimeout(() => this.#fireClose(), 200).unref?.();
      });
      child.once('close', () => this.#fireClose());
      child.stdin?.on('error', () => {
        // EPIPE after the child died: the exit handler reports it.
      });
      child.stdout?.on('data', (chunk: Buffer) => this.#onStdout(chunk));
      child.stdout?.on('error', (error) => this.onerror?.(error));
      child.stderr?.on('data', (chunk: Buffer) => this.stderr.push(chunk));
      child.stderr?.on('error', () => {});
    });
  }

  #spawnError(error: unknown): PluginLoadError {
    const code = (error as NodeJS.ErrnoException).code;
    return new PluginLoadError(
      `cannot start "${this.#spec.command}" in ${this.#spec.cwd}: ${error instanceof Error ? error.message : String(error)}`,
      {
        plugin: this.#spec.plugin,
        kind: this.#spec.kind,
        cause: error,
        hint:
          code === 'ENOENT'
            ? 'check [plugin.mcp_stdio] command: the program must exist on PATH (the child gets the host PATH) or be a path inside the plugin folder'
            : 'check [plugin.mcp_stdio] command and working_dir',
      },
    );
  }

  #onStdout(chunk: Buffer): void {
    if (this.fatal !== undefined) return;
    try {
      this.#read.append(chunk);
    } catch {
      this.#oversize();
      return;
    }
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.#read.readMessage();
      } catch (error) {
        // The bad line is already consumed; carry on with the next one.
        this.onGarbage?.(error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      if (message === null) break;
      this.onmessage?.(message);
    }
  }

  /** The child sent more than the limit without a newline: end it, keep memory bounded. */
  #oversize(): void {
    const limit = this.#spec.maxMessageBytes;
    this.fatal = new PluginUnavailable({
      plugin: this.#spec.plugin,
      kind: this.#spec.kind,
      state: 'degraded',
      reason: `its process sent a message larger than the limit of ${limit} bytes, so the host ended it`,
      hint: 'return references (blob store keys, URLs) instead of large data, or raise maxMessageBytes of the mcp_stdio runtime and of servePlugin',
    });
    this.#read.clear();
    this.#child?.stdout?.destroy();
    this.#signal('SIGKILL');
  }

  #fireClose(): void {
    if (this.#closeFired) return;
    this.#closeFired = true;
    this.stderr.flush();
    this.onclose?.();
  }

  #signal(signal: NodeJS.Signals): void {
    const child = this.#child;
    if (child?.pid === undefined) return;
    if (process.platform === 'win32') child.kill(signal);
    else signalGroup(child.pid, signal);
  }

  send(message: JSONRPCMessage): Promise<void> {
    const child = this.#child;
    const stdin = child?.stdin;
    if (stdin === undefined || stdin === null || this.exit !== undefined || !stdin.writable) {
      return Promise.reject(new Error('Not connected'));
    }
    const json = serializeMessage(message);
    const limit = this.#spec.maxMessageBytes;
    if (json.length * 3 > limit && Buffer.byteLength(json) > limit) {
      return Promise.reject(
        new SerializationError(
          `the request is ${Buffer.byteLength(json)} bytes, over the message limit of ${limit} bytes`,
          {
            plugin: this.#spec.plugin,
            kind: this.#spec.kind,
            pointer: '',
            hint: 'pass a reference (a blob store key, a URL) instead of the data, or raise maxMessageBytes on both sides',
          },
        ),
      );
    }
    // Resolve at once when the pipe took it (as the SDK's own transport does);
    // wait for 'drain' only under back-pressure.
    if (stdin.write(json)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        stdin.off('drain', done);
        stdin.off('close', gone);
        resolve();
      };
      const gone = (): void => {
        stdin.off('drain', done);
        reject(new Error('Not connected'));
      };
      stdin.once('drain', done);
      stdin.once('close', gone);
    });
  }

  /** The SDK's close: the whole shutdown sequence with default timings. */
  close(): Promise<void> {
    return this.terminate({ exitWaitMs: 2000, killGraceMs: 5000 });
  }

  /**
   * End the child (ADR-0002 §Shutdown order): close stdin, wait, SIGTERM to
   * the process group, wait, SIGKILL to the group. Then the same for any
   * member of the group that outlived the child. Resolves when the group is
   * gone (or SIGKILL was sent and did not take within a second).
   */
  async terminate(timings: ShutdownTimings): Promise<void> {
    const child = this.#child;
    if (child?.pid === undefined) return;
    const pgid = child.pid;
    if (this.exit === undefined) {
      child.stdin?.end();
      await Promise.race([this.exited, sleep(timings.exitWaitMs)]);
    }
    if (this.exit === undefined) {
      this.#signal('SIGTERM');
      await Promise.race([this.exited, sleep(timings.killGraceMs)]);
      if (this.exit === undefined) {
        this.#signal('SIGKILL');
        await Promise.race([this.exited, sleep(1000)]);
      }
    }
    if (process.platform === 'win32' || !groupAlive(pgid)) return;
    // Grandchildren left behind by a child that exited.
    signalGroup(pgid, 'SIGTERM');
    if (!(await waitGroupGone(pgid, timings.killGraceMs))) {
      signalGroup(pgid, 'SIGKILL');
      await waitGroupGone(pgid, 1000);
    }
  }
}
