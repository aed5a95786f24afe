/**
 * The checks of the contract suite, their names and the invariants they verify.
 */

/**
 * Identifiers of the checks, as `as const` object (use `CHECKS.leaks` or the
 * string `'lifecycle'`).
 * @since 0.1.0
 */
export const CHECKS = {
  /** The manifest is valid and its entry point resolves. */
  manifest: 'manifest',
  /** setup -> samples -> teardown leaves nothing behind (forked, `--expose-gc`). */
  lifecycle: 'lifecycle',
  /** No globals, module-level state, env outside setup, cwd or foreign paths. */
  ambientState: 'ambient-state',
  /** Inputs and outputs survive a JSON round trip; chain stages fit each other. */
  serializable: 'serializable',
  /** Two runs with `FrozenClock` + `SeededRng` are bit-equal (output_hash plugins). */
  determinism: 'determinism',
  /** Equal results in-process, in a worker thread and in a forked process. */
  orchestrationNeutrality: 'orchestration-neutrality',
  /** A capability fallback never throws on the edge-case dataset. */
  fallback: 'fallback',
  /** Business plugins stay below priority 1000; middleware declares chain_wrap. */
  middlewareBand: 'middleware-band',
  /** An mcp_stdio plugin writes nothing but protocol messages to stdout. */
  stdioPurity: 'stdio-purity',
  /** Resources are declared and the doubles give the production result. */
  resources: 'resources',
} as const;

/** One of {@link CHECKS}. @since 0.1.0 */
export type CheckId = (typeof CHECKS)[keyof typeof CHECKS];

/**
 * Every check, in the order the suite runs and reports them.
 * @since 0.1.0
 */
export const ALL_CHECKS: readonly CheckId[] = Object.freeze([
  CHECKS.manifest,
  CHECKS.middlewareBand,
  CHECKS.ambientState,
  CHECKS.serializable,
  CHECKS.determinism,
  CHECKS.resources,
  CHECKS.lifecycle,
  CHECKS.orchestrationNeutrality,
  CHECKS.fallback,
  CHECKS.stdioPurity,
]);

/** What each check verifies, where the spec says so, and the error class it reports. */
export interface CheckInfo {
  /** Short human-readable description of what the check verifies. */
  readonly title: string;
  /** The invariant the check verifies, with its place in the spec (ADR and section). */
  readonly invariant: string;
  /** The error classes a failure of this check carries, as the spec names them. */
  readonly errorClasses: readonly string[];
}

/**
 * Title, invariant and error classes of every check.
 * @since 0.1.0
 */
export const CHECK_INFO: Readonly<Record<CheckId, CheckInfo>> = Object.freeze({
  manifest: {
    title: 'manifest is valid and the entry point resolves',
    invariant: 'ADR-0001 §Manifest schema',
    errorClasses: ['ManifestInvalid', 'PluginLoadError'],
  },
  lifecycle: {
    title: 'lifecycle is clean: nothing outlives teardown()',
    invariant: 'ADR-0001 §Leak detection; ADR-0003 §3',
    errorClasses: ['LeakDetected', 'PluginInvocationError', 'UnexpectedOutput'],
  },
  'ambient-state': {
    title: 'no ambient state',
    invariant: 'ADR-0003 §1 Orchestration-neutrality (ambient state ban)',
    errorClasses: ['AmbientStateViolation'],
  },
  serializable: {
    title: 'hook boundaries are JSON-serializable',
    invariant: 'ADR-0003 §2 Serializable boundaries',
    errorClasses: ['SerializationError'],
  },
  determinism: {
    title: 'deterministic with a frozen clock and a seeded rng',
    invariant: 'ADR-0003 §8 Determinism for output_hash plugins',
    errorClasses: ['DeterminismError'],
  },
  'orchestration-neutrality': {
    title: 'same results in-process, in a worker thread and in a forked process',
    invariant: 'ADR-0003 §1 contract test (three hosts)',
    errorClasses: ['AmbientStateViolation'],
  },
  fallback: {
    title: 'the capability fallback handles every edge case',
    invariant: 'ADR-0002 §Contract test for the fallback',
    errorClasses: ['PluginInvocationError', 'SerializationError', 'HookTimeout'],
  },
  'middleware-band': {
    title: 'priority band: business < 1000, middleware declares chain_wrap',
    invariant: 'ADR-0005 §2 (priority range [1000, ∞) reserved for middleware)',
    errorClasses: ['ManifestInvalid'],
  },
  'stdio-purity': {
    title: 'stdout carries protocol messages only',
    invariant: 'ADR-0001 §Runtime adapters (MCPStdioAdapter: JSON-RPC over stdin/stdout)',
    errorClasses: ['StdioPurityViolation'],
  },
  resources: {
    title: 'resources are declared and injected',
    invariant: 'ADR-0003 §3 Resources via dependency injection',
    errorClasses: ['UndeclaredResource', 'ResourceError', 'DeterminismError'],
  },
});
