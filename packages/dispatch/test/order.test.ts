import { describe, expect, it } from 'vitest';
import { compareCandidates, findJsonProblem, sortCandidates } from '../src/index.js';
import { candidate } from './helpers.js';

describe('compareCandidates', () => {
  it('orders tryfirst, normal, trylast; priority desc; name asc', () => {
    const make = (name: string, manifest: Record<string, unknown>) =>
      candidate(name, 'k', { h: () => 1 }, { manifest });
    const input = [
      make('t-last-high', { trylast: true, priority: 90 }),
      make('n-b', { priority: 5 }),
      make('t-first-low', { tryfirst: true, priority: 0 }),
      make('n-a', { priority: 5 }),
      make('t-first-high', { tryfirst: true, priority: 9 }),
      make('n-top', { priority: 50 }),
      make('t-last-low', { trylast: true }),
      make('0-digit', { priority: 5 }),
    ];
    const expected = [
      't-first-high',
      't-first-low',
      'n-top',
      '0-digit',
      'n-a',
      'n-b',
      't-last-high',
      't-last-low',
    ];
    expect(sortCandidates(input).map((c) => c.name)).toEqual(expected);
    expect(sortCandidates([...input].reverse()).map((c) => c.name)).toEqual(expected);
    expect(input.map((c) => c.name)[0]).toBe('t-last-high');
    const [first, second] = input;
    if (first === undefined || second === undefined) throw new Error('unreachable');
    expect(compareCandidates(first, first)).toBe(0);
  });
});

describe('findJsonProblem', () => {
  it('accepts plain JSON and points at what is not', () => {
    expect(findJsonProblem({ a: [1, 'x', null, true, { b: [] }] })).toBeUndefined();
    expect(findJsonProblem({ a: [1, undefined] })?.pointer).toBe('/a/1');
    expect(findJsonProblem({ 'a/b': { '~': Number.POSITIVE_INFINITY } })?.pointer).toBe('/a~1b/~0');
    expect(findJsonProblem({ m: new Map() })?.message).toContain('Map');
    expect(findJsonProblem({ f: () => 1 })?.message).toContain('function');
    expect(findJsonProblem({ n: 10n })?.message).toContain('bigint');
    expect(findJsonProblem({ [Symbol('s')]: 1 })?.message).toContain('symbol keys');
    const shared = { x: 1 };
    expect(findJsonProblem({ a: shared, b: shared })).toBeUndefined();
  });
});
