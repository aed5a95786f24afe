// The vitest helpers: expectContract and describeContract.
import { describe, expect, it } from 'vitest';
import { describeContract, expectContract } from '../src/vitest.js';
import { fixture } from './helpers.js';

const samples = [{ hook: 'transform', input: { text: 'hello' } }];

describe('expectContract', () => {
  it('returns the report of a plugin that passes', async () => {
    const report = await expectContract({ manifest: fixture('clean'), samples });
    expect(report.ok).toBe(true);
  });

  it('fails the test with the readable failure list', async () => {
    await expect(
      expectContract({
        manifest: fixture('unserializable'),
        samples: [{ hook: 'execute', input: {} }],
      }),
    ).rejects.toThrow(
      /SerializationError \(hook execute, sample #0, at sample #0 \(execute\) output \/when\)/,
    );
  });
});

// One test per check; stdio-purity shows up as skipped with its reason.
describeContract({
  name: 'describeContract on the clean plugin',
  manifest: fixture('clean'),
  samples,
});
