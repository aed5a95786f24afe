import { createRequire } from 'node:module';

/**
 * The version of this core, checked against each manifest's `core_version`:
 * this package's own version, read from its package.json (the same relative
 * path from `src/` and from `dist/`), so a release never forgets to bump it.
 * @since 0.1.0
 */
export const CORE_VERSION: string = (
  createRequire(import.meta.url)('../package.json') as { version: string }
).version;
