import type {
  CallMetadata,
  KindSpec,
  Logger,
  PluginManifest,
  PluginRegistryError,
} from '@dagstack/plugin-api';
import type { CheckId } from './checks.js';

/**
 * One hook call the suite makes, with its input and, when known, the output
 * it must return.
 * @since 0.1.0
 */
export interface ContractSample {
  /** Hook name (`chunk`, `execute`, ...); camelCase methods answer to snake_case names. */
  readonly hook: string;
  /** The hook's input. Must itself be JSON (the serializable check says so when not). */
  readonly input: unknown;
  /** The output the hook must return, compared as JSON. */
  readonly expected?: unknown;
  /** The call's metadata (ADR-0005 §1): `tenant_id`, `actor`, ... */
  readonly metadata?: CallMetadata;
  /** For `mcp_stdio` plugins: the MCP tool to call. Default: the tool whose name ends in `.<hook>` or equals it. */
  readonly tool?: string;
}

/** A plugin object, its class, or a factory, for {@link ContractSuiteOptions.plugin}. @since 0.1.0 */
export type PluginSource = object | (new () => object) | (() => object | Promise<object>);

/**
 * What {@link runContractSuite} checks and how.
 * @since 0.1.0
 */
export interface ContractSuiteOptions {
  /**
   * The manifest: a path to a manifest file or a plugin folder, or a manifest
   * object (raw, as in a file, or normalised).
   */
  readonly manifest?: string | PluginManifest | Readonly<Record<string, unknown>>;
  /**
   * The plugin itself, instead of importing the manifest's `entry_point`. The
   * forked checks (neutrality, the collectable-instance probe) need an entry
   * point and are skipped with a reason when only an object is given.
   */
  readonly plugin?: PluginSource;
  /** The plugin folder. Default: the manifest's folder. */
  readonly dir?: string;
  /** Hook calls to make. Checks that need samples are skipped without them. */
  readonly samples?: readonly ContractSample[];
  /** Checks to run. @default ALL_CHECKS */
  readonly checks?: readonly CheckId[];
  /** The kind's hookspec: enables the chain-stage schema check and schema validation. */
  readonly kindSpec?: KindSpec;
  /** The plugin's configuration (`ctx.config`). @default {} */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Seed of the `SeededRng`. @default "dagstack-contract-suite" */
  readonly seed?: string | number;
  /** Time of the `FrozenClock`, ms since the epoch or a Date. @default 2026-01-01T00:00:00Z */
  readonly now?: number | Date;
  /** Resources beyond the standard doubles (`{ postgres: fakePool }`), for in-process runs. */
  readonly resources?: Readonly<Record<string, unknown>>;
  /** Extra folders the plugin may touch besides its tmpdir (read-write) and its own folder (read-only). */
  readonly allowedPaths?: readonly string[];
  /**
   * `auto` checks determinism for `idempotency_mode = "output_hash"` plugins
   * only; `always` checks every plugin. @default "auto"
   */
  readonly determinism?: 'auto' | 'always';
  /** `auto` runs the edge-case dataset for `fallback = true` plugins only. @default "auto" */
  readonly fallback?: 'auto' | 'always';
  /** Where the suite logs what it does (never to the console). @default NOOP_LOGGER */
  readonly logger?: Logger;
  /** Time limits (ms) of the forked hosts, one fallback case, and the stdio session. */
  readonly timeouts?: {
    /** Time limit of a forked host, in ms. @default 30000 (60000 for the fallback run) */
    readonly forkMs?: number;
    /** Time limit of one fallback edge case in a forked host, in ms. @default 10000 */
    readonly fallbackCaseMs?: number;
    /** Time limit of the `mcp_stdio` session, in ms. @default 10000 */
    readonly stdioMs?: number;
  };
}

/** `pass`, `fail`, or `skipped` (with a reason). @since 0.1.0 */
export type CheckStatus = 'pass' | 'fail' | 'skipped';

/**
 * One violation found by a check.
 * @since 0.1.0
 */
export interface ContractFailure {
  /** The check that found the violation. */
  readonly check: CheckId;
  /** The error class as the spec names it (`LeakDetected`, `SerializationError`, ...). */
  readonly errorClass: string;
  /** Stable code of the class (`LEAK_DETECTED`, ...). */
  readonly code: string;
  /** What went wrong, in plain text. */
  readonly message: string;
  /** The hook involved, when one is. */
  readonly hook?: string;
  /** Index of the sample involved, when one is. */
  readonly sample?: number;
  /**
   * Where: a JSON pointer (`sample #0 output /chunks/3`), a source frame
   * (`plugin.js:12:5`), a file descriptor (`fd 23`), a pid, a tmpdir path, a
   * stdout byte offset, or a manifest field (`dagstack.toml#/priority`).
   */
  readonly location?: string;
  /** The error object itself, of the class named by `errorClass`. */
  readonly error: PluginRegistryError;
}

/**
 * The result of one check.
 * @since 0.1.0
 */
export interface CheckResult {
  /** The check's identifier. */
  readonly id: CheckId;
  /** Short human-readable description of the check. */
  readonly title: string;
  /** The invariant it verifies, with its place in the spec. */
  readonly invariant: string;
  /** Whether the check passed, failed or was skipped. */
  readonly status: CheckStatus;
  /** Why the check was skipped. */
  readonly reason?: string;
  /** The violations the check found; empty when it passed or was skipped. */
  readonly failures: readonly ContractFailure[];
  /** What the check could not look at, and other remarks. */
  readonly notes: readonly string[];
  /** How long the check took, in milliseconds. */
  readonly durationMs: number;
}

/**
 * What {@link runContractSuite} returns.
 * @since 0.1.0
 */
export interface ContractReport {
  /** No check failed (skipped checks do not count). */
  readonly ok: boolean;
  /** The plugin's name, when the manifest could be read. */
  readonly plugin: string | undefined;
  /** The manifest file, or `inline`. */
  readonly source: string | undefined;
  /** The result of every selected check, in `ALL_CHECKS` order. */
  readonly checks: readonly CheckResult[];
  /** Every failure of every check. */
  readonly failures: readonly ContractFailure[];
  /** How long the whole run took, in milliseconds. */
  readonly durationMs: number;
  /** The result of one check. */
  check(id: CheckId): CheckResult | undefined;
  /** A readable list of the failures (and skipped checks), for an assertion message. */
  formatFailures(): string;
  /** The whole report as text: one line per check, failures indented. */
  format(): string;
}
