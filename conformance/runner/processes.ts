// Real child processes of the conformance runner: where their programs are,
// a per-case scratch folder, and reaping (every process a case started is
// gone when the case ends, whether it passed or not).
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Mismatch } from './compare.js';

/** Programs the runner starts as child processes (`node <program>`). */
export const CHILD_PROGRAMS: { readonly serve: string; readonly relay: string } = {
  /** Serves a behaviour with the built `servePlugin` of @dagstack/plugin-runtime-mcp-stdio. */
  serve: fileURLToPath(new URL('./children/serve-behaviour.mjs', import.meta.url)),
  /** Relays stdio to a Unix socket of the runner (a scripted plugin behind a real child). */
  relay: fileURLToPath(new URL('./children/relay.mjs', import.meta.url)),
};

const BUILT_STDIO_RUNTIME = fileURLToPath(
  new URL('../node_modules/@dagstack/plugin-runtime-mcp-stdio/dist/index.js', import.meta.url),
);

/** Fails clearly when the stdio runtime the children import has not been built. */
export function assertChildrenRunnable(): void {
  if (!existsSync(BUILT_STDIO_RUNTIME)) {
    throw new Mismatch(
      'real stdio children import the built @dagstack/plugin-runtime-mcp-stdio; run `pnpm exec turbo run build --filter @dagstack/conformance...` first',
    );
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A scratch folder for one case: the pid file its children append to, event files, sockets. */
export class ProcessScope {
  readonly dir: string;
  readonly pidFile: string;
  #n = 0;

  private constructor(dir: string) {
    this.dir = dir;
    this.pidFile = join(dir, 'pids');
  }

  static async create(): Promise<ProcessScope> {
    assertChildrenRunnable();
    return new ProcessScope(await mkdtemp(join(tmpdir(), 'dagstack-conformance-')));
  }

  /** A fresh path in the scratch folder. */
  path(stem: string): string {
    this.#n += 1;
    return join(this.dir, `${stem}-${this.#n}`);
  }

  /** The pids the case's children wrote so far. */
  async pids(): Promise<number[]> {
    const text = await readFile(this.pidFile, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map(Number);
  }

  /**
   * Kill (SIGKILL, process group and process) every child that is still
   * running and remove the scratch folder. Returns the pids that were still
   * running: the case left processes behind.
   */
  async reap(): Promise<number[]> {
    const left: number[] = [];
    for (const pid of await this.pids()) {
      if (!alive(pid)) continue;
      left.push(pid);
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // already gone, or not a group leader
        }
      }
    }
    await rm(this.dir, { recursive: true, force: true });
    return left;
  }
}
