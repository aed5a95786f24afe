// A chunker served over MCP on stdio: the host starts this file as a child
// process (runtime = "mcp_stdio") and calls it like any in-process plugin.
import { servePlugin } from '@dagstack/plugin-runtime-mcp-stdio';

const CHUNKER = {
  kind: 'chunker',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'chunk', dispatch: 'capability', mcp_exposed: true }],
};

class CodeChunker {
  chunk({ text }) {
    // Blocks separated by blank lines; each block keeps its own lines together.
    return text
      .split(/\n\s*\n/)
      .map((block) => block.trim())
      .filter((block) => block.length > 0);
  }
}

await servePlugin(new CodeChunker(), CHUNKER, { transport: 'stdio' });
