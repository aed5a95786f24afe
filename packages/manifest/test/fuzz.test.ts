// Property tests: the loader never throws on arbitrary input, and every
// problem it reports can be located and read.
import { isManifestInvalid, type ManifestProblem } from '@dagstack/plugin-api';
import fc from 'fast-check';
import { stringify } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { assertManifestValid, parseManifest, validateManifest } from '../src/index.js';

const FIELDS = [
  'schema_version',
  'name',
  'kind',
  'kind_api_version',
  'core_version',
  'runtime',
  'entry_point',
  'priority',
  'depends_on',
  'tryfirst',
  'trylast',
  'fallback',
  'supports_extensions',
  'mcp_stdio',
  'mcp_http',
  'command',
  'url',
  'auth',
  'env',
  'chain_wrap',
  'resources',
  'unit_of_work',
  'config_schema',
  'metadata',
  'in_process_only',
  'execution_model',
  'startup_timeout_sec',
];

const value = fc.oneof(
  fc.string(),
  fc.constantFrom('in_process', 'mcp_stdio', 'mcp_http', 'tool', 'echo', '>=0.1,<1', '^0.2', '1'),
  fc.integer({ min: -2000, max: 2000 }),
  fc.boolean(),
  fc.array(fc.oneof(fc.string(), fc.constantFrom('in_process', 'mcp_stdio')), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.integer(), fc.boolean()), {
    maxKeys: 3,
  }),
);

/** Objects shaped like manifests: known fields with random values, plus random keys. */
const manifestLike = fc.dictionary(
  fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 10 })),
  value,
  { maxKeys: 12 },
);

/** A valid manifest with a few fields overwritten by random values: reaches normalisation. */
const nearlyValid = fc
  .tuple(fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 2 }), fc.boolean())
  .map(([overrides, keep]) => ({
    schema_version: '1',
    name: 'fuzzed',
    kind: 'tool',
    kind_api_version: '1',
    core_version: '>=0.1.0',
    runtime: 'in_process',
    entry_point: 'plugin:P',
    ...(keep ? {} : overrides),
  }));

const RUNS = Number(process.env.FC_NUM_RUNS ?? 10_000);

function checkProblems(problems: readonly ManifestProblem[]): void {
  expect(problems.length).toBeGreaterThan(0);
  for (const problem of problems) {
    expect(problem.pointer === '' || problem.pointer.startsWith('/')).toBe(true);
    expect(typeof problem.message).toBe('string');
    expect(problem.message.length).toBeGreaterThan(0);
    expect(typeof problem.rule).toBe('string');
  }
}

// Generous limit: 10,000 runs take ~4 s alone but far longer on a loaded 2-core CI box.
describe('fuzzing the manifest loader', { timeout: 180_000 }, () => {
  it(`validateManifest never throws on ${RUNS} arbitrary values and manifest-like objects`, () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(fc.oneof(fc.anything(), manifestLike, nearlyValid), (input) => {
        const result = validateManifest(input);
        if (!result.ok) {
          checkProblems(result.problems);
          rejected += 1;
        } else {
          expect(result.manifest.runtime.length).toBeGreaterThan(0);
          expect(JSON.parse(JSON.stringify(result.manifest))).toEqual(result.manifest);
          accepted += 1;
        }
      }),
      { numRuns: RUNS },
    );
    // Both paths were exercised: rejection and normalisation.
    expect(accepted).toBeGreaterThan(RUNS / 20);
    expect(rejected).toBeGreaterThan(RUNS / 20);
  });

  it('the throwing convenience throws nothing but ManifestInvalid', () => {
    fc.assert(
      fc.property(manifestLike, (input) => {
        try {
          assertManifestValid(input);
        } catch (error) {
          expect(isManifestInvalid(error)).toBe(true);
        }
      }),
      { numRuns: Math.min(RUNS, 3000) },
    );
  });

  it(`parseManifest never throws on ${RUNS} TOML texts (structured and random)`, () => {
    const structured = manifestLike.map((table) => {
      try {
        return stringify({ plugin: table });
      } catch {
        return '[plugin]\nname = "x"';
      }
    });
    fc.assert(
      fc.property(
        fc.oneof(
          structured,
          fc.string(),
          fc.string().map((s) => `[plugin]\n${s}`),
        ),
        (text) => {
          const result = parseManifest(text, 'toml', 'fuzz.toml');
          if (!result.ok) {
            checkProblems(result.problems);
            for (const p of result.problems) expect(p.source).toBe('fuzz.toml');
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('parseManifest never throws on arbitrary JSON texts', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.string(),
          manifestLike.map((m) => JSON.stringify({ dagstack: m })),
        ),
        (text) => {
          for (const format of ['json', 'package.json'] as const) {
            const result = parseManifest(text, format);
            if (!result.ok) checkProblems(result.problems);
          }
        },
      ),
      { numRuns: Math.min(RUNS, 3000) },
    );
  });
});
