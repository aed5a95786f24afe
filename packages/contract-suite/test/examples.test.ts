// The project's example plugins (the in-process ones) pass the whole suite.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_CHECKS, runContractSuite } from '../src/index.js';
import { EXAMPLES, statuses } from './helpers.js';

describe('example plugins', () => {
  it('fixed-chunker (a capability fallback) passes every check, the edge-case dataset included', async () => {
    const report = await runContractSuite({
      manifest: join(EXAMPLES, 'fixed-chunker'),
      samples: [
        {
          hook: 'chunk',
          input: { text: 'hello dagstack', max_size: 5 },
          expected: ['hello', ' dags', 'tack'],
        },
      ],
      checks: ALL_CHECKS,
    });
    expect(report.ok, report.formatFailures()).toBe(true);
    expect(report.check('fallback')?.status).toBe('pass');
    expect(report.check('orchestration-neutrality')?.status).toBe('pass');
  });

  it('governance (middleware, priority 1000 with chain_wrap) passes every check', async () => {
    const report = await runContractSuite({
      manifest: join(EXAMPLES, 'governance'),
      // Middleware hooks are called as the registry calls them: before(call, value).
      samples: [
        {
          hook: 'before',
          input: { msg: 'hi' },
          metadata: { tenant_id: 't1' },
          expected: { msg: 'hi' },
        },
      ],
      checks: ALL_CHECKS,
    });
    expect(report.ok, report.formatFailures()).toBe(true);
    expect(report.check('middleware-band')?.status).toBe('pass');
  });

  it('echo passes every in-process check; its stdio command is checked when server.js exists', async () => {
    const dir = join(EXAMPLES, 'echo');
    const report = await runContractSuite({
      manifest: dir,
      samples: [
        {
          hook: 'execute',
          input: { function: 'echo', args: { msg: 'hi' } },
          expected: { result: { echoed: 'hi' } },
        },
      ],
      checks: ALL_CHECKS,
    });
    const { 'stdio-purity': stdio, ...inProcess } = statuses(report);
    expect(
      Object.values(inProcess).every((s) => s !== 'fail'),
      report.formatFailures(),
    ).toBe(true);
    if (existsSync(join(dir, 'server.js'))) {
      expect(report.ok, report.formatFailures()).toBe(true);
    } else {
      // The manifest declares mcp_stdio `node ./server.js`, but the file is not
      // in the repository: the suite says so instead of passing it silently.
      expect(stdio).toBe('fail');
      expect(report.check('stdio-purity')?.failures.map((f) => f.errorClass)).toEqual([
        'PluginLoadError',
      ]);
    }
  });
});
