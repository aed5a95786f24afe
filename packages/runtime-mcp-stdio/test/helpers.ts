// Shared helpers of the stdio runtime tests: kinds, manifests, registries
// that are always torn down, and process checks.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KindSpec, Logger, PluginState } from '@dagstack/plugin-api';
import { PluginRegistry, type PluginRegistryOptions } from '@dagstack/plugin-registry';
import { createMcpStdioRuntime, type McpStdioRuntimeOptions } from '../src/index.js';

export const FIXTURES: string = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export const KINDS = JSON.parse(readFileSync(join(FIXTURES, 'kinds.json'), 'utf8')) as {
  suite: KindSpec;
  tool: KindSpec;
  faulty: KindSpec;
};

export function stdioManifest(
  name: string,
  kind: string,
  script: string | readonly string[],
  extra: Record<string, unknown> = {},
  stdio: Record<string, unknown> = {},
): Record<string, unknown> {
  const command = typeof script === 'string' ? [process.execPath, script] : [...script];
  return {
    schema_version: '1',
    name,
    kind,
    kind_api_version: '1',
    core_version: '>=0.1.0,<1.0.0',
    runtime: 'mcp_stdio',
    startup_timeout_sec: 30,
    teardown_timeout_sec: 10,
    ...extra,
    mcp_stdio: { command, ...stdio },
  };
}

export interface LogRecord {
  level: string;
  message: string;
  fields: Record<string, unknown> | undefined;
}

/** A logger that keeps every record (fields merged through child()). */
export function memoryLogger(records: LogRecord[], bound: Record<string, unknown> = {}): Logger {
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      records.push({ level, message, fields: { ...bound, ...fields } });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => memoryLogger(records, { ...bound, ...more }),
  };
}

const open: PluginRegistry[] = [];

/** A registry with the stdio runtime, torn down by {@link closeAll}. */
export function makeRegistry(
  options: PluginRegistryOptions = {},
  runtimeOptions: McpStdioRuntimeOptions = {},
): { registry: PluginRegistry; runtime: ReturnType<typeof createMcpStdioRuntime> } {
  const runtime = createMcpStdioRuntime(runtimeOptions);
  const registry = new PluginRegistry({
    healthChecks: false,
    env: {},
    ...options,
    runtimes: [runtime, ...(options.runtimes ?? [])],
  });
  open.push(registry);
  return { registry, runtime };
}

/** Tear down every registry a test made (afterEach): no process outlives a test. */
export async function closeAll(): Promise<void> {
  const registries = open.splice(0);
  await Promise.all(
    registries.map(async (registry) => {
      registry.close();
      await registry.teardownAll().catch(() => undefined);
    }),
  );
}

/** Whether a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Kill leftovers by pid (process group first), for afterEach safety nets. */
export function reap(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // not a group leader, or gone
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Resolve when `registry` reports `name` in `state` (no wall-clock assertion). */
export function waitForState(
  registry: PluginRegistry,
  name: string,
  state: PluginState,
): Promise<void> {
  return new Promise((resolve) => {
    if (registry.status().find((s) => s.name === name)?.state === state) {
      resolve();
      return;
    }
    const off = registry.on('state', (change) => {
      if (change.name === name && change.to === state) {
        off();
        resolve();
      }
    });
  });
}

/** Poll until `check` is true (bounded by the test's own timeout). */
export async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}
