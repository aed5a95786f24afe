// The same echo plugin served over MCP on stdio: a deployment that lists
// mcp_stdio before in_process (or has no in-process runtime) runs this file.
import { servePlugin } from '@dagstack/plugin-runtime-mcp-stdio';
import { EchoPlugin } from './plugin.js';

await servePlugin(new EchoPlugin(), { name: 'echo', kind: 'tool' }, { transport: 'stdio' });
