// MCPHttpAdapter: the docs' API-page name of the mcp_http runtime factory.
import { describe, expect, it } from 'vitest';
import { createMcpHttpRuntime, MCPHttpAdapter } from '../src/index.js';

describe('MCPHttpAdapter', () => {
  it('builds the same runtime as createMcpHttpRuntime, with or without new', async () => {
    const viaNew = new MCPHttpAdapter();
    const viaCall = MCPHttpAdapter();
    const primary = createMcpHttpRuntime();
    for (const adapter of [viaNew, viaCall]) {
      expect(adapter.runtime).toBe('mcp_http');
      expect(Object.keys(adapter).sort()).toEqual(Object.keys(primary).sort());
      expect(adapter).not.toBe(primary);
    }
    for (const adapter of [viaNew, viaCall, primary]) await adapter.close?.();
  });
});
