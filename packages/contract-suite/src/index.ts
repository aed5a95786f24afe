/**
 * @dagstack/plugin-contract-suite — checks a plugin against the spec's
 * invariants and reports every violation with its error class and location.
 *
 * Any export added here becomes public API: use explicit named exports only,
 * with `export type` for types.
 */

export type { CheckId, CheckInfo } from './checks.js';
export { ALL_CHECKS, CHECK_INFO, CHECKS } from './checks.js';
export type { StdioPurityViolationOptions, UnexpectedOutputOptions } from './errors.js';
export {
  isStdioPurityViolation,
  isUnexpectedOutput,
  StdioPurityViolation,
  UnexpectedOutput,
} from './errors.js';
export { runContractSuite } from './run.js';
export type {
  CheckResult,
  CheckStatus,
  ContractFailure,
  ContractReport,
  ContractSample,
  ContractSuiteOptions,
  PluginSource,
} from './types.js';
