// The same echo plugin served over MCP on stdio: a deployment that lists
// mcp_stdio first (as this manifest does) runs this file as a child process.
// Served with the tool kind's hookspec, each function is an MCP tool
// (`tool.echo.execute.echo`).
import { servePlugin } from '@dagstack/plugin-runtime-mcp-stdio';
import { KIND_SPEC } from '@dagstack/plugin-system/kinds/tool/v1';
import { EchoPlugin } from './plugin.js';

// No name here: the host passes it (DAGSTACK_PLUGIN_NAME), so one program can serve under any name.
await servePlugin(new EchoPlugin(), KIND_SPEC, { transport: 'stdio' });
