// No secret at any output surface. Plugin folders whose manifests, configs,
// environments and inputs hold distinctive secret values under secret-named
// keys, of the right types and of wrong ones, go through every surface a user
// reads: the built `dagstack-plugins` executable (validate, list in all forms,
// call at debug level, serve to a real MCP client), and a host process whose
// registry logs with the default logger and prints its discovery failures and
// status. Everything written to stdout and stderr is searched for each value.
//
// Two groups depend on @dagstack/plugin-manifest (run when it has them):
// - values of wrong-typed secret fields (a list, a table, a number where a
//   string belongs) appear in manifest problem messages unless the manifest
//   package leaves them out;
// - a table under a secret-named key is masked whole only when maskSecrets
//   masks a secret key's value whatever its type.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MASK, maskSecrets, validateManifest } from '@dagstack/plugin-manifest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_DIR, tempDir, writeTree } from './helpers.js';

const BIN = join(PACKAGE_DIR, 'dist/bin.js');
const PACKAGES = join(PACKAGE_DIR, '..');

/** Values under secret-named keys of the type the field takes. */
const RIGHT = {
  metadataApiKey: 'sk-meta-6c1d0b2e',
  configClientSecret: 'cfg-client-secret-a41f',
  configAccessToken: 'cfg-access-token-in-list-93be',
  configServiceToken: 918273645501,
  envServiceToken: 'env-service-token-2d7c',
  inputPassword: 'input-password-f00d',
  detailApiKey: 'detail-api-key-55e1',
};
/** A table under a secret-named key (masked whole only by a maskSecrets that masks any type). */
const TABLE = { configDbPassword: 'cfg-db-password-in-table-7a3b' };
/** Values of wrong types under secret-named keys: manifest problems point at them. */
const WRONG = {
  envTokenList: 'wrong-env-token-in-list-0e9a',
  envPasswordTable: 'wrong-env-password-in-table-4c2f',
  envTokenNumber: 556677889900,
};

/** Whether manifest problem messages leave out the values of secret-named fields. */
const PROBLEMS_HIDE_SECRETS = (() => {
  const result = validateManifest({
    schema_version: '1',
    name: 'probe',
    kind: 'tool',
    kind_api_version: '1',
    core_version: '>=0.1.0,<1.0.0',
    runtime: 'mcp_stdio',
    command: ['node', 'x.js'],
    env: { API_TOKEN: ['probe-list-secret'], DB_PASSWORD: { value: 'probe-table-secret' } },
  });
  const text = JSON.stringify(result);
  return !result.ok && !text.includes('probe-list-secret') && !text.includes('probe-table-secret');
})();
/** Whether maskSecrets masks a table under a secret-named key. */
const TABLES_MASKED = !JSON.stringify(maskSecrets({ db_password: { value: 'probe-x' } })).includes(
  'probe-x',
);

const TRUSTED = { DAGSTACK_PLUGIN_TRUSTED_PUBLISHERS: 'trusted-corp' };

function fixture(): string {
  const root = tempDir('dagstack-secrets-');
  // The plugins import the plugin API, the stdio runtime and the tool kind.
  const scope = join(root, 'node_modules', '@dagstack');
  mkdirSync(scope, { recursive: true });
  for (const [name, dir] of [
    ['plugin-api', 'plugin-api'],
    ['plugin-runtime-mcp-stdio', 'runtime-mcp-stdio'],
    ['plugin-system', 'plugin-system'],
  ] as const) {
    symlinkSync(join(PACKAGES, dir), join(scope, name), 'dir');
  }
  return writeTree(root, {
    // Wrong types under secret-named keys: an invalid manifest.
    'plugins/wrong-env/dagstack.toml': `[plugin]
schema_version = "1"
name = "wrong-env"
kind = "tool"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "mcp_stdio"

[plugin.mcp_stdio]
command = ["node", "server.mjs"]

[plugin.mcp_stdio.env]
API_TOKEN = ["${WRONG.envTokenList}"]
DB_PASSWORD = { value = "${WRONG.envPasswordTable}" }
SERVICE_TOKEN = ${WRONG.envTokenNumber}
`,
    // In process: a secret in its metadata, secrets of every type as config
    // defaults, config logged in setup, an error carrying secrets in details.
    'plugins/vault/dagstack.toml': `[plugin]
schema_version = "1"
name = "vault"
kind = "tool"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:Vault"

[plugin.metadata]
publisher = "acme"
api_key = "${RIGHT.metadataApiKey}"

[plugin.config_schema]
type = "object"

[plugin.config_schema.properties.client_secret]
type = "string"
default = "${RIGHT.configClientSecret}"

[plugin.config_schema.properties.access_token]
type = "array"
default = ["${RIGHT.configAccessToken}"]

[plugin.config_schema.properties.service_token]
type = "integer"
default = ${RIGHT.configServiceToken}

[plugin.config_schema.properties.db_password]
type = "object"
default = { value = "${TABLE.configDbPassword}" }
`,
    'plugins/vault/plugin.js': `import { PluginRegistryError } from '@dagstack/plugin-api';

class VaultRefused extends PluginRegistryError {
  static code = 'VAULT_REFUSED';
  constructor(request) {
    super('the vault refused the request', { plugin: 'vault', kind: 'tool', hint: 'check the credentials' });
    this.request = request;
  }
  details() {
    return { request: this.request };
  }
}

export class Vault {
  setup(ctx) {
    this.config = ctx.config;
    ctx.logger.warn('vault configured', { config: ctx.config });
    ctx.logger.debug('vault secrets', { ...ctx.config });
  }
  get_schema() {
    return [{ name: 'unlock', description: 'Unlocks.', parameters: { type: 'object' } }];
  }
  execute({ args }) {
    throw new VaultRefused({ args, api_key: '${RIGHT.detailApiKey}', config: this.config });
  }
}
`,
    // Over stdio: a secret in the manifest's env, logged by the plugin process.
    'plugins/courier/dagstack.toml': `[plugin]
schema_version = "1"
name = "courier"
kind = "tool"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "mcp_stdio"

[plugin.metadata]
publisher = "trusted-corp"

[plugin.mcp_stdio]
command = ["node", "server.mjs"]

[plugin.mcp_stdio.env]
SERVICE_TOKEN = "${RIGHT.envServiceToken}"
`,
    'plugins/courier/server.mjs': `import { servePlugin } from '@dagstack/plugin-runtime-mcp-stdio';
import { KIND_SPEC } from '@dagstack/plugin-system/kinds/tool/v1';

class Courier {
  setup(ctx) {
    ctx.logger.warn('courier started', { service_token: process.env.SERVICE_TOKEN, config: ctx.config });
  }
  get_schema() {
    return [{ name: 'send', description: 'Sends.', parameters: { type: 'object' } }];
  }
  execute() {
    return { content: [{ type: 'text', text: 'sent' }], is_error: false };
  }
}

await servePlugin(new Courier(), KIND_SPEC, { transport: 'stdio', name: 'courier' });
`,
  });
}

interface Output {
  readonly surface: string;
  readonly text: string;
}

function environment(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return { ...env, ...TRUSTED, ...extra };
}

/** Run a child to its end; stdout and stderr as separate outputs. */
function run(
  surface: string,
  args: readonly string[],
  cwd: string,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string; outputs: Output[] }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, args, {
      cwd,
      env: environment(extraEnv),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout,
        stderr,
        outputs: [
          { surface: `${surface} (stdout)`, text: stdout },
          { surface: `${surface} (stderr)`, text: stderr },
        ],
      });
    });
  });
}

/** A host with a default registry: its logs, discovery failures and status rows. */
const HOST_SOURCE = `
const { PluginRegistry } = await import(process.env.REGISTRY_ENTRY);
const { createMcpStdioRuntime } = await import(process.env.STDIO_ENTRY);
const { KIND_SPEC } = await import(process.env.TOOL_KIND_ENTRY);
const registry = new PluginRegistry({ runtimes: [createMcpStdioRuntime()], healthChecks: false });
registry.registerKind(KIND_SPEC);
await registry.discover(process.env.PLUGINS);
await registry.setupAll();
await registry.call('tool', 'execute', { function: 'unlock', args: { password: process.env.INPUT_SECRET } }).catch(() => {});
process.stdout.write(JSON.stringify({
  failures: registry.discoveryFailures().map((f) => ({ path: f.path, error: f.error.toJSON() })),
  status: registry.status(),
}) + '\\n');
await registry.teardownAll();
registry.close();
`;

const outputs: Output[] = [];
const facts: Record<string, unknown> = {};

beforeAll(async () => {
  const root = fixture();
  const cli = (surface: string, ...args: string[]) =>
    run(surface, [BIN, ...args], root).then((r) => {
      outputs.push(...r.outputs);
      return r;
    });
  const paths = ['plugins/wrong-env', 'plugins/vault', 'plugins/courier'];
  facts.validate = await cli('validate', 'validate', ...paths);
  facts.validateJson = await cli('validate --json', 'validate', ...paths, '--json');
  await cli('list', 'list', 'plugins');
  await cli('list --json', 'list', 'plugins', '--json');
  facts.listSetup = await cli('list --setup', 'list', 'plugins', '--setup');
  await cli('list --setup --json', 'list', 'plugins', '--setup', '--json');
  const unlock = JSON.stringify({
    function: 'unlock',
    args: { password: RIGHT.inputPassword },
  });
  facts.call = await cli(
    'call --log-level debug',
    'call',
    'tool',
    'execute',
    '--plugins',
    'plugins',
    '--input',
    unlock,
    '--log-level',
    'debug',
  );
  facts.callJson = await cli(
    'call --json --log-level debug',
    'call',
    'tool',
    'execute',
    '--plugins',
    'plugins',
    '--input',
    unlock,
    '--json',
    '--log-level',
    'debug',
  );

  // serve --stdio, driven by a real MCP client.
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'serve', 'plugins', '--stdio', '--log-level', 'debug'],
    cwd: root,
    env: environment(),
    stderr: 'pipe',
  });
  let serveErr = '';
  transport.stderr?.on('data', (c: Buffer) => {
    serveErr += c.toString('utf8');
  });
  const client = new Client({ name: 'secrets-test', version: '1.0.0' });
  await client.connect(transport);
  try {
    const tools = (await client.listTools()).tools.map((t) => t.name);
    facts.tools = tools;
    const direct = await client.callTool({
      name: 'tool.vault.execute.unlock',
      arguments: { password: RIGHT.inputPassword },
    });
    const dispatched = await client.callTool({
      name: 'tool.execute',
      arguments: { function: 'unlock', args: { password: RIGHT.inputPassword } },
    });
    facts.served = direct;
    outputs.push({
      surface: 'serve: MCP error result (plugin tool)',
      text: JSON.stringify(direct),
    });
    outputs.push({
      surface: 'serve: MCP error result (dispatch tool)',
      text: JSON.stringify(dispatched),
    });
  } finally {
    await client.close();
  }
  outputs.push({ surface: 'serve --stdio --log-level debug (stderr)', text: serveErr });

  // A host: the registry's default logger, discovery failures and status.
  writeFileSync(join(root, 'host.mjs'), HOST_SOURCE);
  const host = await run('host', [join(root, 'host.mjs')], root, {
    REGISTRY_ENTRY: pathToFileURL(join(PACKAGES, 'registry/dist/index.js')).href,
    STDIO_ENTRY: pathToFileURL(join(PACKAGES, 'runtime-mcp-stdio/dist/index.js')).href,
    TOOL_KIND_ENTRY: pathToFileURL(join(PACKAGES, 'plugin-system/dist/generated/kinds/tool/v1.js'))
      .href,
    PLUGINS: join(root, 'plugins'),
    INPUT_SECRET: RIGHT.inputPassword,
  });
  outputs.push(...host.outputs);
  facts.host = host;
}, 180_000);

function leaks(values: readonly (string | number)[]): string[] {
  const found: string[] = [];
  for (const { surface, text } of outputs) {
    for (const value of values)
      if (text.includes(String(value))) found.push(`${surface}: ${value}`);
  }
  return found;
}

describe('no secret at any output surface', () => {
  it('every surface ran and said something (the search below is not vacuous)', () => {
    expect((facts.validate as { code: number }).code).toBe(1);
    expect((facts.validateJson as { stdout: string }).stdout).toContain('"ok": false');
    // The vault's error reached the caller, with its details masked.
    const call = facts.call as { code: number; stderr: string };
    expect(call.code).toBe(1);
    expect(call.stderr).toContain('VaultRefused (VAULT_REFUSED)');
    const callJson = JSON.parse((facts.callJson as { stdout: string }).stdout) as {
      error: { code: string; details: { request: { api_key: string } } };
    };
    expect(callJson.error.code).toBe('VAULT_REFUSED');
    expect(callJson.error.details.request.api_key).toBe(MASK);
    // The plugin logged its config at debug and warn; the courier its env over stdio.
    expect(call.stderr).toContain('vault configured');
    expect(call.stderr).toContain('vault secrets');
    expect(call.stderr).toContain('courier started');
    expect(call.stderr).toContain(MASK);
    // The MCP client got a structured error with masked details.
    expect(facts.tools).toContain('tool.vault.execute.unlock');
    const served = facts.served as { isError?: boolean; _meta?: Record<string, unknown> };
    expect(served.isError).toBe(true);
    expect(JSON.stringify(served._meta)).toContain('VAULT_REFUSED');
    expect(JSON.stringify(served._meta)).toContain(MASK);
    // The host's default logger wrote the untrusted publisher and the config lines.
    const host = facts.host as { code: number; stderr: string; stdout: string };
    expect(host.code, host.stderr).toBe(0);
    expect(host.stderr).toContain('untrusted plugin');
    expect(host.stderr).toContain('vault configured');
    expect(host.stderr).toContain('courier started');
    expect(JSON.parse(host.stdout).failures).toHaveLength(1);
  });

  it('values of right-typed secret fields (string, list, number): 0 occurrences', () => {
    expect(leaks(Object.values(RIGHT))).toEqual([]);
  });

  it.runIf(TABLES_MASKED)(
    'a table under a secret-named key: 0 occurrences (needs maskSecrets to mask any type)',
    () => {
      expect(leaks(Object.values(TABLE))).toEqual([]);
    },
  );

  it.runIf(PROBLEMS_HIDE_SECRETS)(
    'values of wrong-typed secret fields in an invalid manifest: 0 occurrences (needs manifest problems without them)',
    () => {
      expect(leaks(Object.values(WRONG))).toEqual([]);
    },
  );
});
