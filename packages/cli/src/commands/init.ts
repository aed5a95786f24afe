import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { HookSpec, JsonObject, JsonValue, KindSpec } from '@dagstack/plugin-api';
import { validateManifest } from '@dagstack/plugin-manifest';
import { BUILT_IN_KINDS, loadKinds, resolvePath } from '../host.js';
import { CliError, type CliIo, EXIT, UsageError, writeJson } from '../io.js';

/** Usage of `init`. */
export const INIT_USAGE = `dagstack-plugins init <kind> <name> [--runtime in_process|mcp_stdio|mcp_http]
    [--dir plugins] [--kinds <dir>]... [--force] [--json]

Scaffolds <dir>/<name>/ with a dagstack.toml and a plugin.js whose hook methods
follow the kind's hookspec (tool and orchestrator are built in; --kinds loads
kind YAMLs) and return well-formed values, so the folder passes \`validate\` and
\`contract\` as generated. mcp_stdio adds server.mjs (servePlugin over stdio,
started by the host); mcp_http adds server.mjs (servePlugin over HTTP on
127.0.0.1:8080, PORT and <NAME>_TOKEN from the environment; you run it). Both
need @dagstack/plugin-runtime-mcp-stdio or -http installed where they run.
Refuses to overwrite an existing folder unless --force.
Exit codes: 0 created, 1 the folder exists, 2 usage error.
`;

/** Runtimes `init` can scaffold. */
const RUNTIMES = ['in_process', 'mcp_stdio', 'mcp_http'] as const;

/** The smallest value valid against a JSON Schema (best effort for scaffolds). */
export function exampleOf(schema: JsonValue | undefined, depth = 0): JsonValue {
  if (schema === undefined || schema === true || schema === null || typeof schema !== 'object')
    return null;
  if (Array.isArray(schema) || depth > 8) return null;
  const s = schema as JsonObject;
  if ('const' in s) return s.const as JsonValue;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0] as JsonValue;
  if (s.default !== undefined) return s.default as JsonValue;
  for (const key of ['oneOf', 'anyOf'] as const) {
    const list = s[key];
    if (Array.isArray(list) && list.length > 0) return exampleOf(list[0], depth + 1);
  }
  if (Array.isArray(s.allOf)) {
    const merged: Record<string, JsonValue> = {};
    for (const part of s.allOf) {
      const value = exampleOf(part, depth + 1);
      if (value !== null && typeof value === 'object' && !Array.isArray(value))
        Object.assign(merged, value);
    }
    return merged;
  }
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, JsonValue> = {};
      const properties = (s.properties ?? {}) as Record<string, JsonValue>;
      const required = Array.isArray(s.required) ? (s.required as string[]) : [];
      for (const key of required) out[key] = exampleOf(properties[key], depth + 1);
      return out;
    }
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 0;
      return Array.from({ length: min }, () => exampleOf(s.items, depth + 1));
    }
    case 'string':
      return typeof s.minLength === 'number' && s.minLength > 0 ? 'x'.repeat(s.minLength) : '';
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}

function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0]?.toUpperCase() + p.slice(1))
    .join('');
}

function hookMethod(kind: string, hook: HookSpec): string {
  const doc = hook.description === undefined ? '' : `  /** ${hook.description.trim()} */\n`;
  if (kind === 'tool' && hook.name === 'get_schema') {
    return `${doc}  get_schema() {
    return [
      {
        name: 'echo',
        description: 'Returns its text argument unchanged.',
        parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      },
    ];
  }
`;
  }
  if (kind === 'tool' && hook.name === 'execute') {
    return `${doc}  execute({ function: fn, args }) {
    if (fn !== 'echo') return { result: null, is_error: true, error_message: \`unknown function \${fn}\` };
    return { result: args.text };
  }
`;
  }
  const value =
    hook.output_schema === undefined ? undefined : exampleOf(hook.output_schema as JsonValue);
  const body =
    value === undefined
      ? '    // notification: nothing to return\n'
      : `    return ${JSON.stringify(value)};\n`;
  return `${doc}  ${hook.name}(input, call) {\n${body}  }\n`;
}

/** The plugin module of a scaffold. */
export function pluginSource(spec: KindSpec | undefined, kind: string, className: string): string {
  const hooks =
    spec === undefined
      ? `  // Kind "${kind}" has no hookspec here: add its hook methods (snake_case names).\n`
      : spec.hooks.map((h) => hookMethod(kind, h)).join('\n');
  return `// Plugin of kind "${kind}" scaffolded by \`dagstack-plugins init\`.
// Hook methods take (input, call): call.metadata carries tenant, actor and trace
// context; call.signal aborts on timeout or cancellation.
export class ${className} {
  setup(ctx) {
    this.logger = ctx.logger;
  }

${hooks}
  teardown() {
    return true;
  }
}
`;
}

/** The environment variable of an HTTP scaffold's token: `MY_TOOL_TOKEN`. */
export function tokenEnvOf(name: string): string {
  return `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_TOKEN`;
}

/** The manifest of a scaffold. */
export function manifestSource(
  kind: string,
  name: string,
  kindApiVersion: string,
  className: string,
  runtime: (typeof RUNTIMES)[number] = 'in_process',
): string {
  const head = `[plugin]
schema_version = "1"
name = "${name}"
kind = "${kind}"
kind_api_version = "${kindApiVersion.split('.')[0]}"
core_version = ">=0.1.0,<1.0.0"
runtime = "${runtime}"
version = "0.1.0"
description = "A ${kind} plugin."
`;
  if (runtime === 'mcp_stdio') {
    return `${head}
[plugin.mcp_stdio]
command = ["node", "server.mjs"]
`;
  }
  if (runtime === 'mcp_http') {
    return `${head}
# Start the service first (node server.mjs); set ${tokenEnvOf(name)} on both sides
# and uncomment the auth table to require a bearer token.
[plugin.mcp_http]
url = "http://127.0.0.1:8080/mcp"
timeout_sec = 10

# [plugin.mcp_http.auth]
# token_env = "${tokenEnvOf(name)}"
`;
  }
  return `${head}entry_point = "plugin:${className}"
`;
}

/** The server module of an out-of-process scaffold. */
export function serverSource(
  runtime: 'mcp_stdio' | 'mcp_http',
  name: string,
  kind: string,
  className: string,
  hasSpec: boolean,
): string {
  const target = hasSpec ? 'KIND_SPEC' : `{ name: '${name}', kind: '${kind}' }`;
  const spec = hasSpec
    ? `import { readFileSync } from 'node:fs';

const KIND_SPEC = JSON.parse(readFileSync(new URL('./kind.json', import.meta.url), 'utf8'));
`
    : '';
  if (runtime === 'mcp_stdio') {
    return `// Serves ${className} over MCP on stdio: the host starts this file (runtime =
// "mcp_stdio"). stdout carries protocol messages only; console.log goes to stderr.
import { servePlugin } from '@dagstack/plugin-runtime-mcp-stdio';
import { ${className} } from './plugin.js';
${spec}
await servePlugin(new ${className}(), ${target}, { transport: 'stdio', name: '${name}' });
`;
  }
  return `// Serves ${className} over MCP Streamable HTTP (runtime = "mcp_http"): run it
// yourself (node server.mjs), then point the manifest's url at it.
import { servePlugin } from '@dagstack/plugin-runtime-mcp-http';
import { ${className} } from './plugin.js';
${spec}
const token = process.env.${tokenEnvOf(name)};
const served = await servePlugin(new ${className}(), ${target}, {
  transport: 'http',
  name: '${name}',
  port: Number(process.env.PORT ?? 8080),
  ...(token ? { auth: { token } } : {}),
});
process.stderr.write(\`${name} listening on \${served.url}\\n\`);
const stop = () => void served.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
`;
}

/** `dagstack-plugins init`. */
export async function initCommand(
  io: CliIo,
  kind: string | undefined,
  name: string | undefined,
  options: {
    json: boolean;
    runtime?: string;
    dir?: string;
    force: boolean;
    kindDirs: readonly string[];
  },
): Promise<number> {
  if (kind === undefined || name === undefined) throw new UsageError('missing <kind> <name>');
  const runtime = options.runtime ?? 'in_process';
  if (!(RUNTIMES as readonly string[]).includes(runtime)) {
    throw new UsageError(
      `--runtime ${runtime}: this version scaffolds ${RUNTIMES.join(', ')} plugins only`,
    );
  }
  const kinds = new Map<string, KindSpec>(BUILT_IN_KINDS.map((k) => [k.kind, k]));
  for (const spec of await loadKinds(io, options.kindDirs)) kinds.set(spec.kind, spec);
  const spec = kinds.get(kind);
  const className = `${pascal(name) || 'My'}Plugin`;
  const manifest = manifestSource(
    kind,
    name,
    spec?.kind_api_version ?? '1',
    className,
    runtime as (typeof RUNTIMES)[number],
  );
  // The name and kind must make a valid manifest before anything is written.
  const check = validateManifest({
    schema_version: '1',
    name,
    kind,
    kind_api_version: '1',
    core_version: '>=0.1.0,<1.0.0',
    runtime: 'in_process',
    entry_point: `plugin:${className}`,
  });
  if (!check.ok) {
    throw new UsageError(
      check.problems.map((p) => `${p.pointer.slice(1)}: ${p.message}`).join('; '),
    );
  }
  const folder = join(resolvePath(io, options.dir ?? 'plugins'), name);
  const exists = await stat(folder).then(
    () => true,
    () => false,
  );
  if (exists && !options.force) {
    throw new CliError(
      'FOLDER_EXISTS',
      `${relative(io.cwd ?? process.cwd(), folder) || folder} exists`,
      'pass --force to overwrite its files, or choose another <name> or --dir',
    );
  }
  await mkdir(folder, { recursive: true });
  const files: Record<string, string> = {
    'dagstack.toml': manifest,
    // ES modules whatever the surrounding project declares.
    'package.json': `${JSON.stringify({ name: `${name}-plugin`, private: true, type: 'module' }, null, 2)}\n`,
    'plugin.js': pluginSource(spec, kind, className),
  };
  if (runtime === 'mcp_stdio' || runtime === 'mcp_http') {
    files['server.mjs'] = serverSource(runtime, name, kind, className, spec !== undefined);
    if (spec !== undefined) files['kind.json'] = `${JSON.stringify(spec, null, 2)}\n`;
  }
  for (const [file, text] of Object.entries(files)) await writeFile(join(folder, file), text);
  const shown = relative(io.cwd ?? process.cwd(), folder) || '.';
  if (options.json) writeJson(io, { folder, files: Object.keys(files), kind, name, runtime });
  else
    io.stdout.write(
      `created ${shown}/ (${Object.keys(files).join(', ')}) — ${runtime}, kind ${kind}${spec === undefined ? ' (no hookspec: add the hook methods)' : `, hooks: ${spec.hooks.map((h) => h.name).join(', ')}`}\nnext: dagstack-plugins validate ${shown}\n`,
    );
  return EXIT.ok;
}
