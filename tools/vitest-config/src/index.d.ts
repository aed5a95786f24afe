import type { ViteUserConfig } from 'vitest/config';

/**
 * The vitest settings of the package whose `vitest.config.ts` is at
 * `configUrl`: the tests under `test/` named `*.test.ts` (type tests
 * `*.test-d.ts`), sibling packages resolved from their TypeScript sources, a
 * JSON report in `.test-report.json`.
 * @param configUrl `import.meta.url` of the calling `vitest.config.ts`.
 */
export declare function dagstackVitest(configUrl: string): ViteUserConfig;
