// Helpers of install.test.ts: pack workspace packages with pnpm, read the
// tarballs, run child processes in their own process groups (so a hung npm or
// host can be killed with everything it started), and find processes left in a
// scratch project.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const WORKSPACE_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The export condition that resolves workspace siblings to their TypeScript sources. */
export const SOURCE_CONDITION = '@dagstack/source';

export type PackageJson = {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  exports?: unknown;
  publishConfig?: { exports?: unknown; access?: string };
  types?: string;
  main?: string;
  bin?: string | Record<string, string>;
  files?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};

export type WorkspacePackage = { name: string; dir: string; manifest: PackageJson };

/** Every public package under packages/. */
export function publicWorkspacePackages(): WorkspacePackage[] {
  const base = join(WORKSPACE_ROOT, 'packages');
  const out: WorkspacePackage[] = [];
  for (const entry of readdirSync(base).sort()) {
    const file = join(base, entry, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
    if (manifest.private) continue;
    out.push({ name: manifest.name, dir: join(base, entry), manifest });
  }
  return out;
}

/** `exports` without the source condition, at every level. */
export function withoutCondition(value: unknown, condition: string = SOURCE_CONDITION): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => withoutCondition(v, condition));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key !== condition) out[key] = withoutCondition(v, condition);
  }
  return out;
}

/** Every `[conditionPath, target]` of an exports map (string targets only). */
export function exportTargets(value: unknown, path: string[] = []): [string, string][] {
  if (typeof value === 'string') return [[path.join(' > ') || '.', value]];
  if (value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : Object.entries(value);
  return entries.flatMap(([key, v]) => exportTargets(v, [...path, key]));
}

/**
 * Throws with what to run when the build output a package exports is missing:
 * the tests pack `dist/` as it is, they do not build.
 */
export function assertBuilt(pkg: WorkspacePackage): void {
  const targets = exportTargets(withoutCondition(pkg.manifest.exports)).map(([, t]) => t);
  if (pkg.manifest.types) targets.push(pkg.manifest.types);
  const missing = [...new Set(targets)].filter((t) => !existsSync(join(pkg.dir, t)));
  if (missing.length > 0) {
    throw new Error(
      `${pkg.name} is not built: ${missing.join(', ')} missing in ${pkg.dir}. ` +
        'Run `pnpm exec turbo run build` at the repository root first ' +
        '(turbo runs it before this test in `pnpm test`).',
    );
  }
}

/** A packed tarball: its package.json (as published) and its files, without the `package/` prefix. */
export type Packed = {
  name: string;
  version: string;
  tarball: string;
  manifest: PackageJson;
  files: Map<string, Buffer>;
};

/** Reads a .tgz (ustar, with pax path records) into a map of path → content. */
export function readTarball(file: string): Map<string, Buffer> {
  const data = gunzipSync(readFileSync(file));
  const files = new Map<string, Buffer>();
  const text = (start: number, length: number) =>
    data
      .subarray(start, start + length)
      .toString('utf8')
      .replace(/\0.*$/s, '');
  let offset = 0;
  let paxPath: string | undefined;
  while (offset + 512 <= data.length) {
    const name = text(offset, 100);
    if (name === '') break;
    const size = Number.parseInt(text(offset + 124, 12).trim() || '0', 8);
    const type = text(offset + 156, 1);
    const prefix = text(offset + 345, 155);
    const body = data.subarray(offset + 512, offset + 512 + size);
    if (type === 'x') {
      paxPath = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
    } else {
      if (type === '0' || type === '') {
        const full = paxPath ?? (prefix ? `${prefix}/${name}` : name);
        files.set(full.replace(/^package\//, ''), Buffer.from(body));
      }
      paxPath = undefined;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** Packs one workspace package with `pnpm pack` into `dest`. */
export async function packPackage(pkg: WorkspacePackage, dest: string): Promise<Packed> {
  const result = await runChecked('pnpm', ['pack', '--pack-destination', dest, '--json'], {
    cwd: pkg.dir,
  });
  const start = result.stdout.indexOf('{');
  const info = JSON.parse(result.stdout.slice(start)) as { filename: string };
  const tarball = resolve(dest, info.filename);
  const files = readTarball(tarball);
  const raw = files.get('package.json');
  if (!raw) throw new Error(`${tarball} has no package.json`);
  const manifest = JSON.parse(raw.toString('utf8')) as PackageJson;
  return { name: manifest.name, version: manifest.version, tarball, manifest, files };
}

/** The @dagstack packages `roots` need at run time (dependencies, transitively), roots included. */
export function dagstackClosure(
  roots: readonly string[],
  packed: ReadonlyMap<string, Packed>,
): string[] {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    const pkg = packed.get(name);
    if (!pkg) throw new Error(`${name} was not packed`);
    seen.add(name);
    for (const dep of Object.keys(pkg.manifest.dependencies ?? {})) {
      if (dep.startsWith('@dagstack/')) queue.push(dep);
    }
  }
  return [...seen].sort();
}

/** A target path of a package file, normalised (`./dist/x.js` → `dist/x.js`). */
export function packagePath(target: string): string {
  return posix.normalize(target.replace(/^\.\//, ''));
}

/**
 * The environment for npm, node and tsc in a scratch project: what the user
 * set (PATH, HOME, npm_config_* such as a registry mirror), without what the
 * surrounding pnpm script and vitest add (npm_package_*, npm_lifecycle_*,
 * NODE_OPTIONS, NODE_ENV=test, VITEST*).
 */
export function scratchEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const added =
    /^(npm_(package|lifecycle)_|npm_(command|execpath|node_execpath)$|npm_config_user_agent$|pnpm_|vitest|node_options$|node_env$|test$|init_cwd$)/;
  for (const [key, value] of Object.entries(process.env)) {
    if (!added.test(key.toLowerCase())) env[key] = value;
  }
  return { ...env, ...extra };
}

export type RunResult = {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
};
export type RunOptions = {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Kill the process group (SIGKILL) after this long; the result then has `signal` set. */
  timeoutMs?: number;
};

const children = new Set<ChildProcess>();

/**
 * Runs a command in its own process group and collects its output. Never
 * rejects on a non-zero exit (see runChecked). With `timeoutMs`, the whole
 * group is killed when it runs longer, and stderr says so.
 */
export function run(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            stderr += `\n[killed after ${options.timeoutMs} ms]\n`;
            if (child.pid !== undefined) {
              try {
                process.kill(-child.pid, 'SIGKILL');
              } catch {
                // already gone
              }
            }
          }, options.timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      children.delete(child);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin?.end(options.input ?? '');
  });
}

/** Like run, but rejects with the command's output when it does not exit 0. */
export async function runChecked(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `\`${command} ${args.join(' ')}\` in ${options.cwd} exited with ${result.code ?? result.signal}\n` +
        `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  }
  return result;
}

/** Kills (SIGKILL) the process group of every child run() started that is still running. */
export function reapChildren(): void {
  for (const child of children) {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}

/**
 * Processes (other than this one) whose working directory is inside `dir`.
 * Linux only (/proc); elsewhere an empty list.
 */
export function processesIn(dir: string): number[] {
  if (!existsSync('/proc/self/cwd')) return [];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push(Number(entry));
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return found;
}

/** SIGKILLs every process whose working directory is inside `dir`. */
export function killProcessesIn(dir: string): void {
  for (const pid of processesIn(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
