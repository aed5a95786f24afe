/**
 * `@dagstack/plugin-cli`: the `dagstack-plugins` command and its programmatic
 * entry. Any export added here becomes public API.
 * @packageDocumentation
 */
export type { CallOptions } from './commands/call.js';
export { parseMeta } from './commands/call.js';
export { exampleOf } from './commands/init.js';
export type { ListedPlugin } from './commands/list.js';
export type { ValidateResult } from './commands/validate.js';
export { BUILT_IN_KINDS } from './host.js';
export type { CliIo } from './io.js';
export { EXIT } from './io.js';
export { runCli, USAGE } from './main.js';
