import { createRequire } from 'node:module';

/**
 * The version of `@dagstack/plugin-cli`, read from its package.json at run
 * time (the same relative path from `src/` and from `dist/`): what `--version`
 * prints and `serve` announces as the MCP server version.
 */
export const CLI_VERSION: string = (
  createRequire(import.meta.url)('../package.json') as { version: string }
).version;
