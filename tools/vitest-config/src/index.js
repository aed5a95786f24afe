// Shared vitest settings for every workspace package. Each package's
// vitest.config.ts calls dagstackVitest(import.meta.url).
//
// Plain JavaScript (types in index.d.ts): vitest bundles a package's
// vitest.config.ts but leaves bare imports such as this package to Node,
// and Node 20 cannot load TypeScript.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Resolve sibling workspace packages from their TypeScript sources. */
const CONDITIONS = ['@dagstack/source', 'module', 'node', 'development|production'];

/**
 * The vitest settings of the package whose `vitest.config.ts` is at `configUrl`.
 * @param {string} configUrl `import.meta.url` of the calling `vitest.config.ts`.
 * @returns {import('vitest/config').ViteUserConfig}
 */
export function dagstackVitest(configUrl) {
  const root = dirname(fileURLToPath(configUrl));
  return {
    root,
    resolve: { conditions: CONDITIONS },
    ssr: { resolve: { conditions: CONDITIONS, externalConditions: ['@dagstack/source'] } },
    test: {
      include: ['test/**/*.test.ts'],
      environment: 'node',
      // One worker per core: the machines this runs on have two.
      pool: 'forks',
      reporters: process.env.CI ? ['dot', 'json'] : ['default', 'json'],
      outputFile: { json: '.test-report.json' },
      // Expected log records of a test are shown only when it fails.
      setupFiles: [fileURLToPath(new URL('./capture-logs.js', import.meta.url))],
      testTimeout: 30_000,
      hookTimeout: 30_000,
      typecheck: {
        enabled: true,
        include: ['test/**/*.test-d.ts'],
        tsconfig: './tsconfig.json',
      },
    },
  };
}
