import type { Dirent } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { emitMarkdown } from './emit-markdown.js';
import { emitOpenRpc } from './emit-openrpc.js';
import { emitTypeScript } from './emit-typescript.js';
import { GENERATED_MARKER, majorOf } from './header.js';
import { loadHookspec } from './load.js';
import type { LoadedHookspec } from './model.js';
import { planNames } from './names.js';
import type { HookspecProblem } from './problems.js';

/**
 * One generated file. `path` is relative to the output folder of its target,
 * `/`-separated.
 * @since 0.1.0
 */
export interface GeneratedFile {
  /** Path relative to the target's output folder, such as `kinds/tool/v1.ts`. */
  readonly path: string;
  /** The file's full text (LF line endings, final newline). */
  readonly content: string;
  /** `code` goes to `out`, `docs` (OpenRPC, Markdown) to `docsOut`. */
  readonly target: 'code' | 'docs';
}

/**
 * Everything generated for one kind.
 * @since 0.1.0
 */
export interface GeneratedKind {
  /** The kind's name, from the hookspec. */
  readonly kind: string;
  /** The kind's API version (SemVer), from the hookspec. */
  readonly kind_api_version: string;
  /** The TypeScript module, then the OpenRPC and Markdown files. */
  readonly files: readonly GeneratedFile[];
}

/**
 * Generate the files of one loaded kind, in memory. Pure: the same hookspec
 * gives byte-identical files (LF line endings, final newline).
 *
 * - `kinds/<kind>/v<major>.ts` — payload types, `<Kind>Plugin`, `HookTypes`,
 *   `KIND_NAME`, `KIND_API_VERSION`, `HOOK_NAMES`, `HOOK_DISPATCH`,
 *   `HOOK_MCP_EXPOSED`, `KIND_CONSTRAINTS` and the runtime `KIND_SPEC`;
 * - `kinds/<kind>/v<major>.openrpc.json` — OpenRPC 1.2.6, one method per
 *   `mcp_exposed` hook;
 * - `kinds/<kind>/v<major>.md` — the reference page.
 * @since 0.1.0
 */
export function generateKind(hookspec: LoadedHookspec): GeneratedKind {
  const plan = planNames(hookspec);
  const base = `kinds/${hookspec.kind}/v${majorOf(hookspec.kind_api_version)}`;
  return {
    kind: hookspec.kind,
    kind_api_version: hookspec.kind_api_version,
    files: [
      { path: `${base}.ts`, content: emitTypeScript(hookspec, plan), target: 'code' },
      { path: `${base}.openrpc.json`, content: emitOpenRpc(hookspec, plan), target: 'docs' },
      { path: `${base}.md`, content: emitMarkdown(hookspec, plan), target: 'docs' },
    ],
  };
}

/**
 * Where generated files go.
 * @since 0.1.0
 */
export interface OutputOptions {
  /** Folder of the TypeScript modules (`<out>/kinds/<kind>/v<N>.ts`). */
  readonly out: string;
  /** Folder of the OpenRPC and Markdown files. @default out */
  readonly docsOut?: string;
}

/**
 * A planned file on disk.
 * @since 0.1.0
 */
export interface PlannedFile {
  /** Absolute path. */
  readonly file: string;
  /** The text to write there. */
  readonly content: string;
}

/**
 * Result of loading the hookspecs and generating in memory.
 * @since 0.1.0
 */
export interface PlanResult {
  /** False when any hookspec has an error (then `files` is empty). */
  readonly ok: boolean;
  /** Errors (when not ok) and warnings. */
  readonly problems: readonly HookspecProblem[];
  /** Every file to generate, at its absolute destination path. */
  readonly files: readonly PlannedFile[];
}

/**
 * Load every hookspec and generate its files in memory, at their absolute
 * destination paths. Two hookspecs may not produce the same file.
 * @since 0.1.0
 */
export async function planGeneration(
  hookspecs: readonly string[],
  options: OutputOptions,
): Promise<PlanResult> {
  const problems: HookspecProblem[] = [];
  const files: PlannedFile[] = [];
  const owner = new Map<string, string>();
  const out = resolve(options.out);
  const docsOut = resolve(options.docsOut ?? options.out);
  for (const path of hookspecs) {
    const result = await loadHookspec(path);
    if (!result.ok) {
      problems.push(...result.problems);
      continue;
    }
    problems.push(...result.warnings);
    for (const generated of generateKind(result.hookspec).files) {
      const file = resolve(generated.target === 'code' ? out : docsOut, generated.path);
      const previous = owner.get(file);
      if (previous !== undefined) {
        problems.push({
          severity: 'error',
          file: result.hookspec.file,
          pointer: '/kind',
          rule: 'duplicate',
          message: `generates ${file}, which ${previous} generates too (same kind and major version)`,
        });
        continue;
      }
      owner.set(file, result.hookspec.file);
      files.push({ file, content: generated.content });
    }
  }
  const ok = !problems.some((p) => p.severity === 'error');
  return { ok, problems, files: ok ? files : [] };
}

/**
 * Generated files found on disk that this run does not produce (a kind was
 * removed or renamed). Only files carrying the generator's marker count.
 */
async function findExtra(options: OutputOptions, expected: ReadonlySet<string>): Promise<string[]> {
  const roots = new Set([
    join(resolve(options.out), 'kinds'),
    join(resolve(options.docsOut ?? options.out), 'kinds'),
  ]);
  const extra: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && !expected.has(path)) {
        const head = (await readFile(path, 'utf8')).slice(0, 2000);
        if (head.includes(GENERATED_MARKER)) extra.push(path);
      }
    }
  };
  for (const root of roots) await walk(root);
  return extra;
}

/**
 * What {@link generate} did.
 * @since 0.1.0
 */
export interface GenerateResult {
  /** False when a hookspec is invalid; nothing is written then. */
  readonly ok: boolean;
  /** Errors (when not ok) and warnings. */
  readonly problems: readonly HookspecProblem[];
  /** Absolute paths written because they were missing or different. */
  readonly written: readonly string[];
  /** Absolute paths already up to date. */
  readonly unchanged: readonly string[];
  /** Generated files on disk this run does not produce (removed when `prune`). */
  readonly extra: readonly string[];
}

/**
 * Load the hookspecs, generate, and write the files that changed. With
 * `prune`, generated files of kinds no longer listed are deleted.
 * @since 0.1.0
 */
export async function generate(
  hookspecs: readonly string[],
  options: OutputOptions & { readonly prune?: boolean },
): Promise<GenerateResult> {
  const plan = await planGeneration(hookspecs, options);
  if (!plan.ok) {
    return { ok: false, problems: plan.problems, written: [], unchanged: [], extra: [] };
  }
  const written: string[] = [];
  const unchanged: string[] = [];
  for (const { file, content } of plan.files) {
    const current = await readFile(file, 'utf8').catch(() => undefined);
    if (current === content) {
      unchanged.push(file);
      continue;
    }
    await mkdir(resolve(file, '..'), { recursive: true });
    await writeFile(file, content, 'utf8');
    written.push(file);
  }
  const extra = await findExtra(options, new Set(plan.files.map((f) => f.file)));
  if (options.prune === true) for (const file of extra) await rm(file);
  return { ok: true, problems: plan.problems, written, unchanged, extra };
}

/**
 * One stale file: on disk, but different from what would be generated.
 * @since 0.1.0
 */
export interface StaleFile {
  /** Absolute path. */
  readonly file: string;
  /** First line (1-based) that differs. */
  readonly line: number;
  /** That line as it would be generated; `undefined` when the file on disk is longer. */
  readonly expected: string | undefined;
  /** That line as it is on disk; `undefined` when the file on disk is shorter. */
  readonly actual: string | undefined;
}

/**
 * What {@link checkGenerated} found.
 * @since 0.1.0
 */
export interface CheckResult {
  /** True when the hookspecs are valid and every file is up to date. */
  readonly ok: boolean;
  /** Errors (when the hookspecs are invalid) and warnings. */
  readonly problems: readonly HookspecProblem[];
  /** Absolute paths whose content matches. */
  readonly upToDate: readonly string[];
  /** Files on disk whose content differs, with their first difference. */
  readonly stale: readonly StaleFile[];
  /** Absolute paths that would be generated but do not exist. */
  readonly missing: readonly string[];
  /** Generated files on disk this run does not produce. */
  readonly extra: readonly string[];
}

/**
 * Compare the committed output with what the hookspecs generate now, without
 * writing anything: the CI gate against stale generated code.
 * @since 0.1.0
 */
export async function checkGenerated(
  hookspecs: readonly string[],
  options: OutputOptions,
): Promise<CheckResult> {
  const plan = await planGeneration(hookspecs, options);
  const empty = { upToDate: [], stale: [], missing: [], extra: [] };
  if (!plan.ok) return { ok: false, problems: plan.problems, ...empty };
  const upToDate: string[] = [];
  const stale: StaleFile[] = [];
  const missing: string[] = [];
  for (const { file, content } of plan.files) {
    const current = await readFile(file, 'utf8').catch(() => undefined);
    if (current === undefined) missing.push(file);
    else if (current === content) upToDate.push(file);
    else stale.push({ file, ...firstDifference(content, current) });
  }
  const extra = await findExtra(options, new Set(plan.files.map((f) => f.file)));
  return {
    ok: stale.length === 0 && missing.length === 0 && extra.length === 0,
    problems: plan.problems,
    upToDate,
    stale,
    missing,
    extra,
  };
}

function firstDifference(
  expected: string,
  actual: string,
): { line: number; expected: string | undefined; actual: string | undefined } {
  const a = expected.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return { line: i + 1, expected: a[i], actual: b[i] };
  }
  return { line: 1, expected: undefined, actual: undefined };
}
