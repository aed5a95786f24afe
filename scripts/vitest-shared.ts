// Shared vitest settings for every workspace package. Each package's
// vitest.config.ts calls dagstackVitest(import.meta.url).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ViteUserConfig } from 'vitest/config';

/** Resolve sibling workspace packages from their TypeScript sources. */
const CONDITIONS = ['@dagstack/source', 'module', 'node', 'development|production'];

export function dagstackVitest(configUrl: string): ViteUserConfig {
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
