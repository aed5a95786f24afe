// KIND_* constants: the manifest `kind` strings of the spec's and the docs' kinds.
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

describe('KIND_* constants', () => {
  it('each constant is its KINDS entry, a valid snake_case kind, and names are unique', () => {
    const constants = Object.entries(api).filter(([name]) => name.startsWith('KIND_'));
    expect(constants.length).toBe(Object.keys(api.KINDS).length);
    for (const [name, value] of constants) {
      expect(value).toMatch(/^[a-z][a-z0-9_]*$/);
      // KIND_VECTOR_STORE ↔ "vector_store": the constant's name is its value upper-cased.
      expect(name).toBe(`KIND_${String(value).toUpperCase()}`);
      expect(Object.values(api.KINDS)).toContain(value);
    }
    expect(new Set(Object.values(api.KINDS)).size).toBe(Object.keys(api.KINDS).length);
  });

  it('carries the spec kinds and the ones the docs import', () => {
    expect([api.KIND_TOOL, api.KIND_ORCHESTRATOR]).toEqual(['tool', 'orchestrator']);
    expect([api.KIND_LLM, api.KIND_VECTOR_STORE, api.KIND_CHUNKER, api.KIND_PIPELINE]).toEqual([
      'llm',
      'vector_store',
      'chunker',
      'pipeline',
    ]);
    expect(Object.isFrozen(api.KINDS)).toBe(true);
  });
});
