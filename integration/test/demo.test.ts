// The demo host (examples/host/demo.mjs) as `pnpm demo` runs it: a real child
// process that starts in-process, stdio and HTTP plugins, makes one call of
// each dispatch class, and must leave no process behind.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface DemoResult {
  status: { plugin: string; runtime: string | null; state: string }[];
  calls: { dispatch: string; what: string; value: unknown }[];
  journal: string[];
  processesLeft: number;
  problems: string[];
}

describe('the demo', () => {
  it('runs every dispatch class over all three runtimes, refuses a call without a tenant, and leaves no process', () => {
    const run = spawnSync(process.execPath, ['examples/host/demo.mjs', '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as DemoResult;
    expect(result.problems).toEqual([]);
    expect(run.status).toBe(0);
    expect(new Set(result.status.map((s) => s.runtime))).toEqual(
      new Set(['in_process', 'mcp_stdio', 'mcp_http']),
    );
    expect(result.status.every((s) => s.state === 'ready')).toBe(true);
    expect(new Set(result.calls.map((c) => c.dispatch))).toEqual(
      new Set(['singleton', 'broadcast_collect', 'broadcast_notify', 'chain', 'capability']),
    );
    const denied = result.calls.find((c) => c.what.includes('without a tenant'));
    expect(JSON.stringify(denied?.value)).toContain('tenant_id is required');
    expect(result.journal).toContain('audit: acme indexed notes.txt (3 chunks)');
    expect(result.processesLeft).toBe(0);
  }, 150_000);
});

describe('the demo on a machine without python3', () => {
  it('runs everything else and names the one skipped step', () => {
    // A PATH holding only `node`: what a fresh machine with Node and npm has.
    const bin = mkdtempSync(join(tmpdir(), 'dagstack-nopython-'));
    try {
      symlinkSync(process.execPath, join(bin, 'node'));
      const run = spawnSync(process.execPath, ['examples/host/demo.mjs', '--json'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, PATH: bin },
      });
      expect(run.stderr).toBe('');
      const result = JSON.parse(run.stdout) as DemoResult & { skipped: string[] };
      expect(result.problems).toEqual([]);
      expect(run.status).toBe(0);
      expect(result.skipped).toEqual([expect.stringContaining('python3 is not on PATH')]);
      expect(result.status.some((s) => s.plugin === 'tokenizer/tokenizer')).toBe(false);
      expect(result.calls.some((c) => c.what.startsWith('tokenizer.'))).toBe(false);
      expect(result.processesLeft).toBe(0);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }, 150_000);
});
