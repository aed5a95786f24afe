import type { DispatchClass, ErrorPolicy, JsonValue } from '@dagstack/plugin-api';
import type { HookspecProblem } from './problems.js';
import type { SchemaSet } from './schemas.js';

/**
 * One hook of a loaded hookspec: the YAML fields with defaults filled, plus
 * the absolute paths of its schema files.
 * @since 0.1.0
 */
export interface LoadedHook {
  /** The hook's name, unique within the kind. */
  readonly name: string;
  /** How the registry dispatches a call to the plugins of the kind. */
  readonly dispatch: DispatchClass;
  /** What the hook does, as written in the YAML. */
  readonly description?: string;
  /** As written in the YAML (relative to it). */
  readonly input_schema: string;
  /** Absolute path of the input schema. */
  readonly input_schema_file: string;
  /** As written in the YAML; absent only for `broadcast_notify` hooks. */
  readonly output_schema?: string;
  /** Absolute path of the output schema; absent with `output_schema`. */
  readonly output_schema_file?: string;
  /** @default true */
  readonly mcp_exposed: boolean;
  /** @default "{kind}.{plugin}.{hook}" */
  readonly mcp_tool_name_template: string;
  /** Set for `broadcast_collect` hooks (default `fail_fast`), absent otherwise. */
  readonly error_policy?: ErrorPolicy;
}

/**
 * One input file of a kind, as listed in generated headers.
 * @since 0.1.0
 */
export interface SourceFile {
  /** Path relative to the hookspec's folder, `/`-separated. */
  readonly path: string;
  /** Absolute path. */
  readonly file: string;
  /** sha256 of the bytes, hex. */
  readonly sha256: string;
}

/**
 * A validated hookspec with its schema files loaded and checked.
 * @since 0.1.0
 */
export interface LoadedHookspec {
  /** Absolute path of the YAML file. */
  readonly file: string;
  /** The kind's name. */
  readonly kind: string;
  /** The kind's API version (SemVer). */
  readonly kind_api_version: string;
  /** What the kind is for, as written in the YAML. */
  readonly description?: string;
  /** Constraints every plugin of the kind is held to; empty when none are declared. */
  readonly constraints: Readonly<Record<string, JsonValue>>;
  /** The hooks, in declaration order. */
  readonly hooks: readonly LoadedHook[];
  /** Every schema file the hooks reach through `$ref`s. */
  readonly schemas: SchemaSet;
  /** The YAML file first, then the schema files by path. */
  readonly sources: readonly SourceFile[];
}

/**
 * What {@link loadHookspec} returns: never throws for problems in the files.
 * @since 0.1.0
 */
export type LoadHookspecResult =
  | {
      /** The hookspec and its schemas loaded without errors. */
      readonly ok: true;
      /** The validated hookspec. */
      readonly hookspec: LoadedHookspec;
      /** Problems that do not stop generation. */
      readonly warnings: readonly HookspecProblem[];
    }
  | {
      /** At least one error was found. */
      readonly ok: false;
      /** Errors and warnings, errors first. */
      readonly problems: readonly HookspecProblem[];
      /** The warnings among `problems`. */
      readonly warnings: readonly HookspecProblem[];
    };
