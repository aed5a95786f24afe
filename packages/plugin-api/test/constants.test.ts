import { describe, expect, it } from 'vitest';
import {
  DISPATCH_CLASSES,
  envKindSuffix,
  isStopChain,
  RUNTIME_START_ORDER,
  RUNTIMES,
  STOP_CHAIN,
  stopChain,
} from '../src/index.js';

describe('constants', () => {
  it('use the spec wire strings', () => {
    expect(Object.values(RUNTIMES)).toEqual(['in_process', 'mcp_stdio', 'mcp_http']);
    expect(Object.values(DISPATCH_CLASSES)).toEqual([
      'singleton',
      'broadcast_collect',
      'broadcast_notify',
      'chain',
      'capability',
    ]);
    expect(RUNTIME_START_ORDER).toEqual(['in_process', 'mcp_stdio', 'mcp_http']);
    expect(Object.isFrozen(RUNTIME_START_ORDER)).toBe(true);
  });

  it('STOP_CHAIN is a registered symbol shared by every copy', () => {
    expect(STOP_CHAIN).toBe(Symbol.for('dagstack.plugin-system.stop-chain'));
    expect(isStopChain(STOP_CHAIN)).toBe(true);
    expect(isStopChain(stopChain({ done: true }))).toBe(true);
    expect(stopChain(42)[STOP_CHAIN]).toBe(42);
    expect(isStopChain({ stop: true })).toBe(false);
    expect(isStopChain(Symbol('dagstack.plugin-system.stop-chain'))).toBe(false);
    expect(isStopChain(null)).toBe(false);
  });

  it('derives the DAGSTACK_ACTIVE_<KIND> suffix', () => {
    expect(envKindSuffix('vector_store')).toBe('VECTOR_STORE');
    expect(envKindSuffix('vector-store')).toBe('VECTOR_STORE');
    expect(envKindSuffix('llm.v2')).toBe('LLM_V2');
  });
});
