// Child processes of the interop tests: started detached (a process group of
// their own), watched for a readiness line, and always stopped: SIGTERM to the
// process, then SIGKILL to its group and to every descendant still alive.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A process started by {@link startProcess}. */
export interface Started {
  readonly child: ChildProcess;
  readonly name: string;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process exited. */
  readonly exited: Promise<number | string>;
}

/** Options of {@link startProcess}. */
export interface StartOptions {
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Called with the output so far after every chunk; the first value other
   * than `undefined` resolves {@link startProcess}.
   */
  readonly ready: (stdout: string, stderr: string) => string | undefined;
  /** How long to wait for `ready`. @default 60000 */
  readonly timeoutMs?: number;
}

const running = new Set<Started>();

/** Start `command` and wait until `ready` finds what it waits for in the output. */
export async function startProcess(
  name: string,
  command: string,
  options: StartOptions,
): Promise<{ process: Started; value: string }> {
  const child = spawn(command, [...options.args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (error) => resolve(`spawn error: ${error.message}`));
  });
  const started: Started = { child, name, stdout: () => out, stderr: () => err, exited };
  running.add(started);
  void exited.then(() => running.delete(started));
  const value = await new Promise<string>((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      reject(new Error(`${name} gave no readiness sign within ${timeoutMs} ms\n${tail(out, err)}`));
    }, timeoutMs);
    const check = (): void => {
      const found = options.ready(out, err);
      if (found !== undefined) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      check();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      check();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready\n${tail(out, err)}`));
    });
  });
  return { process: started, value };
}

function tail(out: string, err: string): string {
  return `stdout: ${out.slice(-2000)}\nstderr: ${err.slice(-4000)}`;
}

/** Pids of every live descendant of `pid` (Linux /proc; empty elsewhere). */
function descendants(pid: number): number[] {
  if (process.platform !== 'linux') return [];
  const parentOf = new Map<number, number>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // pid (comm) state ppid ...; comm may hold spaces and parentheses.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        parentOf.set(Number(entry), Number(fields[1]));
      } catch {
        // The process ended meanwhile.
      }
    }
  } catch {
    return [];
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift() as number;
    for (const [child, ppid] of parentOf) {
      if (ppid === parent && !found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // Already gone.
  }
}

/**
 * Stop one process: SIGTERM (the CLI then stops its plugins), and after
 * `graceMs` SIGKILL to its process group and to every descendant left.
 */
export async function stopProcess(started: Started, graceMs = 10_000): Promise<void> {
  const pid = started.child.pid;
  if (pid === undefined) return;
  const before = descendants(pid);
  if (started.child.exitCode === null && started.child.signalCode === null) {
    signal(pid, 'SIGTERM');
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      started.exited,
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
  }
  // Whatever is left of the group and of the descendants seen before.
  signal(-pid, 'SIGKILL');
  for (const child of [...before, ...descendants(pid)]) signal(child, 'SIGKILL');
  running.delete(started);
}

/** Stop every process started by {@link startProcess} that is still tracked. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((started) => stopProcess(started)));
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Run a command to its end; resolves its exit code and output. */
export function runToEnd(
  command: string,
  args: readonly string[],
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv; readonly timeoutMs: number },
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const tracked: Started = {
      child,
      name: command,
      stdout: () => stdout,
      stderr: () => stderr,
      exited: new Promise((done) => child.once('exit', (c, s) => done(c ?? s ?? 'unknown'))),
    };
    running.add(tracked);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${options.timeoutMs} ms]`;
      void stopProcess(tracked, 2000);
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      running.delete(tracked);
      resolve({ code: `spawn error: ${error.message}`, stdout, stderr });
    });
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      running.delete(tracked);
      // The conformance runner's own children (client drivers) go with it.
      if (child.pid !== undefined) signal(-child.pid, 'SIGKILL');
      resolve({ code: code ?? sig ?? 'unknown', stdout, stderr });
    });
  });
}
