// Report shape, check selection, plugin objects, and the JSON helpers.
import { describe, expect, it } from 'vitest';
import { findJsonIssues, firstDifference } from '../host/json.mjs';
import { edgeCases, HUGE_LENGTH } from '../host/probes.mjs';
import {
  ALL_CHECKS,
  CHECK_INFO,
  CHECKS,
  isStdioPurityViolation,
  runContractSuite,
  StdioPurityViolation,
} from '../src/index.js';
import { fixture } from './helpers.js';

describe('the report', () => {
  it('runs only the selected checks and lists them in ALL_CHECKS order', async () => {
    const report = await runContractSuite({
      manifest: fixture('unserializable'),
      samples: [{ hook: 'execute', input: {} }],
      checks: [CHECKS.serializable, CHECKS.manifest],
    });
    expect(report.checks.map((c) => c.id)).toEqual(['manifest', 'serializable']);
    expect(report.ok).toBe(false);
    expect(report.plugin).toBe('unserializable');
    const text = report.formatFailures();
    expect(text).toMatch(/fails 1 of 2 checks/);
    expect(text).toMatch(
      /FAIL {4}serializable — hook boundaries are JSON-serializable \[ADR-0003 §2/,
    );
    expect(report.failures[0]?.error).toBeInstanceOf(Error);
    expect(report.failures[0]?.code).toBe('SERIALIZATION_ERROR');
  });

  it('names the invariant and error classes of every check', () => {
    expect(Object.keys(CHECK_INFO).sort()).toEqual([...ALL_CHECKS].sort());
    expect(CHECK_INFO.lifecycle.errorClasses).toContain('LeakDetected');
    expect(CHECK_INFO['ambient-state'].errorClasses).toEqual(['AmbientStateViolation']);
  });

  it('brands its own errors like the rest of the hierarchy', () => {
    const error = new StdioPurityViolation({ offset: 3, text: 'hi\n', plugin: 'p' });
    expect(isStdioPurityViolation(error)).toBe(true);
    expect(error.code).toBe('STDIO_PURITY_VIOLATION');
    expect(error.toJSON().details).toEqual({ offset: 3, text: 'hi\n' });
  });
});

describe('a plugin given as an object', () => {
  it('runs the in-process checks and skips the forked ones with a reason', async () => {
    class Upper {
      execute({ text }: { text: string }) {
        return { text: text.toUpperCase() };
      }
    }
    const report = await runContractSuite({
      manifest: { name: 'upper', kind: 'tool', core_version: '>=0.1', runtime: 'in_process' },
      plugin: Upper,
      samples: [{ hook: 'execute', input: { text: 'a' }, expected: { text: 'A' } }],
    });
    expect(report.ok, report.formatFailures()).toBe(true);
    expect(report.check('orchestration-neutrality')?.reason).toMatch(/needs? an entry point/);
    expect(report.check('lifecycle')?.status).toBe('pass');
  });

  it("says how to give samples when there are none (samples, or the kind's hookspec)", async () => {
    class Upper {
      execute({ text }: { text: string }) {
        return { text: text.toUpperCase() };
      }
    }
    const manifest = {
      name: 'upper',
      kind: 'shouter',
      core_version: '>=0.1',
      runtime: 'in_process',
    };
    const bare = await runContractSuite({ manifest, plugin: Upper, checks: ['serializable'] });
    const reason = bare.check('serializable')?.reason ?? '';
    expect(bare.check('serializable')?.status).toBe('skipped');
    expect(reason).toContain('no hookspec for kind "shouter"');
    expect(reason).toContain('pass samples');
    expect(reason).toContain("the kind's hookspec (kindSpec)");
    const withSpec = await runContractSuite({
      manifest,
      plugin: Upper,
      checks: ['serializable'],
      kindSpec: {
        kind: 'shouter',
        kind_api_version: '1.0.0',
        hooks: [{ name: 'execute', dispatch: 'singleton', mcp_exposed: true }],
      },
    });
    expect(withSpec.check('serializable')?.reason).toContain('no samples (the hookspec gave none)');
  });

  it('reports a sample whose output differs from `expected`', async () => {
    const report = await runContractSuite({
      plugin: { execute: () => ({ n: 1 }) },
      samples: [{ hook: 'execute', input: {}, expected: { n: 2 } }],
      checks: [CHECKS.lifecycle],
    });
    expect(report.failures.map((f) => [f.errorClass, f.location])).toEqual([
      ['UnexpectedOutput', 'sample #0 (execute) output /n'],
    ]);
  });
});

describe('JSON helpers', () => {
  it('finds each breaker with its pointer, escaping keys', () => {
    expect(findJsonIssues({ 'a/b': [1, 2n], ok: 'x' }).map((i) => [i.pointer, i.type])).toEqual([
      ['/a~1b/1', 'BigInt'],
    ]);
    expect(findJsonIssues(new Uint8Array(2))[0]?.type).toBe('Uint8Array');
    expect(findJsonIssues({ a: 1, b: [null, 'x', { c: true }] })).toEqual([]);
  });

  it('locates the first difference, key order included', () => {
    expect(firstDifference({ a: [1, 2] }, { a: [1, 3] })).toEqual({
      pointer: '/a/1',
      left: 2,
      right: 3,
    });
    expect(firstDifference({ a: 1, b: 2 }, { b: 2, a: 1 })?.pointer).toBe('');
    expect(firstDifference({ a: 0 }, { a: -0 })).toBeUndefined();
  });

  it('derives the fallback edge cases from a sample input', () => {
    const cases = edgeCases({ text: 'x', n: 3 });
    expect(cases.map((c) => `${c.label}@${c.pointer}`)).toContain('huge (> 10 MiB)@/text');
    const huge = cases.find((c) => c.label === 'huge (> 10 MiB)')?.input as {
      text: string;
      n: number;
    };
    expect(huge.text.length).toBe(HUGE_LENGTH);
    expect(huge.n).toBe(3);
  });
});
