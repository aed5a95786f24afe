// The remote-search tool as its own service: MCP Streamable HTTP on
// 127.0.0.1, bearer token from REMOTE_SEARCH_TOKEN. In production this runs on
// another machine; the main job starts it locally next to the host.
import { servePlugin } from '@dagstack/plugin-runtime-mcp-http';
import { KIND_SPEC } from '@dagstack/plugin-system/kinds/tool/v1';

const DOCUMENTS = [
  { id: 'adr-0001', title: 'Plugin manifests and runtimes' },
  { id: 'adr-0002', title: 'Dispatch classes and lifecycle order' },
  { id: 'adr-0005', title: 'Call metadata and middleware' },
];

class RemoteSearch {
  get_schema() {
    return [
      {
        name: 'search',
        description: 'Finds documents whose title contains the query.',
        parameters: {
          type: 'object',
          properties: { query: { type: 'string' } },
          required: ['query'],
        },
      },
    ];
  }

  execute({ function: fn, args }, call) {
    if (fn !== 'search')
      return { result: null, is_error: true, error_message: `no function ${fn}` };
    const query = String(args.query).toLowerCase();
    const hits = DOCUMENTS.filter((d) => d.title.toLowerCase().includes(query)).map((d) => d.id);
    return { result: hits, tenant: call.metadata.tenant_id ?? null };
  }
}

// biome-ignore lint/suspicious/noUndeclaredEnvVars: read by the example service when it runs, not by a turbo task
const port = Number(process.env.PORT ?? 8931);
// biome-ignore lint/suspicious/noUndeclaredEnvVars: as above
const token = process.env.REMOTE_SEARCH_TOKEN ?? '';
const served = await servePlugin(new RemoteSearch(), KIND_SPEC, {
  transport: 'http',
  name: 'remote-search',
  port,
  auth: { token },
});
process.stderr.write(`remote-search listening on ${served.url}\n`);
const stop = () => void served.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
