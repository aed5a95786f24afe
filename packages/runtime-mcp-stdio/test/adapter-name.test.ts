// MCPStdioAdapter: the docs' API-page name of the mcp_stdio runtime factory.
import { describe, expect, it } from 'vitest';
import { createMcpStdioRuntime, MCPStdioAdapter } from '../src/index.js';

describe('MCPStdioAdapter', () => {
  it('builds the same runtime as createMcpStdioRuntime, with or without new', async () => {
    const viaNew = new MCPStdioAdapter();
    const viaCall = MCPStdioAdapter();
    const primary = createMcpStdioRuntime();
    for (const adapter of [viaNew, viaCall]) {
      expect(adapter.runtime).toBe('mcp_stdio');
      expect(Object.keys(adapter).sort()).toEqual(Object.keys(primary).sort());
      expect(adapter).not.toBe(primary);
    }
    for (const adapter of [viaNew, viaCall, primary]) await adapter.close?.();
  });
});
