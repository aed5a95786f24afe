/**
 * @dagstack/hookspec-codegen — generate TypeScript, OpenRPC and Markdown from
 * a dagstack kind hookspec (YAML + JSON Schema 2020-12), and check committed
 * output for drift.
 *
 * Any export added here becomes public API: use explicit named exports only,
 * with `export type` for types.
 */

export { describeStale } from './check-report.js';
export type { CliIo } from './cli-main.js';
export { runCli } from './cli-main.js';
export { methodName } from './emit-openrpc.js';
export type {
  CheckResult,
  GeneratedFile,
  GeneratedKind,
  GenerateResult,
  OutputOptions,
  PlannedFile,
  PlanResult,
  StaleFile,
} from './generate.js';
export { checkGenerated, generate, generateKind, planGeneration } from './generate.js';
export { kindSpecFromHookspec, loadKindSpec } from './kind-spec.js';
export { hookspecJsonSchema, loadHookspec, loadHookspecOrThrow } from './load.js';
export type { LoadedHook, LoadedHookspec, LoadHookspecResult, SourceFile } from './model.js';
export type { HookspecInvalidOptions, HookspecProblem } from './problems.js';
export { formatProblem, HookspecInvalid } from './problems.js';
export type { SchemaDocument, SchemaLocation } from './schemas.js';
export { SchemaSet } from './schemas.js';
