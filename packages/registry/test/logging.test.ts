// Audible by default, silent on request, and no secret in a log record: the
// registry's default stderr logger (JSON lines off a terminal, one readable
// line on one), `logger: 'silent'`, and the masking every record passes
// through. The defaults are checked in a real child host process whose stderr
// is read as a user would see it.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type LogFields,
  type Logger,
  NOOP_LOGGER,
  PluginRegistryError,
} from '@dagstack/plugin-api';
import { MASK } from '@dagstack/plugin-manifest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bindLogger, createStderrLogger, PluginRegistry } from '../src/index.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'dagstack-logging-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A stream that keeps what is written. */
function sink(isTTY = false): { write(chunk: string): boolean; isTTY: boolean; text: string } {
  return {
    isTTY,
    text: '',
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

/** A host logger that records every call. */
function capture(): Logger & { records: { level: string; msg: string; fields?: LogFields }[] } {
  const records: { level: string; msg: string; fields?: LogFields }[] = [];
  const at =
    (level: string) =>
    (msg: string, fields?: LogFields): void => {
      records.push(fields === undefined ? { level, msg } : { level, msg, fields });
    };
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const SECRETS = {
  string: 'sk-logging-string-5f1e',
  nested: 'logging-nested-secret-77aa',
  array: 'logging-array-token-31c0',
  number: 918273645501,
};

const secretFields = {
  api_key: SECRETS.string,
  request: { client_secret: SECRETS.nested, region: 'eu-west-1' },
  access_token: [SECRETS.array],
  db_password: SECRETS.number,
};

function expectNoSecret(text: string): void {
  for (const value of Object.values(SECRETS)) expect(text).not.toContain(String(value));
}

describe('createStderrLogger', () => {
  it('off a terminal: one pino-compatible JSON line per record (time, level name, msg, fields)', () => {
    const out = sink(false);
    const logger = createStderrLogger({ stream: out, bindings: { source: 'test' } });
    logger.debug('dropped');
    logger.info('dropped too');
    logger.warn('first\nwarning', { plugin: 'echo', level: 'field named like the level' });
    logger.error('failed', { error: new PluginRegistryError('it broke', { plugin: 'echo' }) });
    const lines = out.text.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(2);
    const [warn, error] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(warn).toMatchObject({
      level: 'warn',
      msg: 'first\nwarning',
      source: 'test',
      plugin: 'echo',
      // A field cannot replace the record's own keys.
      _level: 'field named like the level',
    });
    expect(new Date(String(warn?.time)).toISOString()).toBe(warn?.time);
    // An Error is written as its JSON form, not as `{}`.
    expect(error).toMatchObject({
      level: 'error',
      msg: 'failed',
      error: { name: 'PluginRegistryError', code: 'PLUGIN_REGISTRY_ERROR', plugin: 'echo' },
    });
  });

  it('on a terminal: one readable line per record', () => {
    const out = sink(true);
    const logger = bindLogger(createStderrLogger({ stream: out }), { plugin: 'echo' });
    logger.warn('untrusted plugin', { publisher: 'someone else', count: 2 });
    expect(out.text).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}untrusted plugin plugin=echo publisher="someone else" count=2\n$/,
    );
    const json = sink(true);
    createStderrLogger({ stream: json, format: 'json' }).warn('forced');
    expect(JSON.parse(json.text)).toMatchObject({ level: 'warn', msg: 'forced' });
  });

  it('masks fields by key, bindings included, in both formats', () => {
    for (const tty of [false, true]) {
      const out = sink(tty);
      bindLogger(createStderrLogger({ stream: out, bindings: { password: SECRETS.string } }), {
        nested: { client_secret: SECRETS.nested },
      }).warn('configured', secretFields);
      expectNoSecret(out.text);
      expect(out.text).toContain(MASK);
      expect(out.text).toContain('eu-west-1');
    }
  });
});

describe('the registry logger option', () => {
  const TOOL = {
    kind: 'tool',
    kind_api_version: '1.0.0',
    hooks: [{ name: 'execute', dispatch: 'singleton' as const, mcp_exposed: true }],
  };

  async function loggingPlugin(): Promise<string> {
    const dir = join(root, 'plugins', 'talker');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'dagstack.toml'),
      `[plugin]
schema_version = "1"
name = "talker"
kind = "tool"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:Talker"
`,
    );
    await writeFile(
      join(dir, 'plugin.js'),
      `export class Talker {
  setup(ctx) {
    this.boom = new Error('kept as it is');
    ctx.logger.warn('configured', { ...ctx.config, error: this.boom });
    ctx.logger.child({ api_key: ctx.config.api_key }).info('bound');
  }
  execute() { return {}; }
}
`,
    );
    return join(root, 'plugins');
  }

  it("a host logger gets every record's fields masked by key; Error values pass as they are", async () => {
    const host = capture();
    const registry = new PluginRegistry({
      logger: host,
      healthChecks: false,
      env: {},
      config: { tool: { talker: secretFields } },
    });
    registry.registerKind(TOOL);
    await registry.discover(await loggingPlugin());
    await registry.setupAll();
    await registry.teardownAll();
    registry.close();
    const configured = host.records.find((r) => r.msg === 'configured');
    expect(configured?.fields).toMatchObject({
      'plugin.name': 'talker',
      api_key: MASK,
      request: { client_secret: MASK, region: 'eu-west-1' },
    });
    expect(configured?.fields?.error).toBeInstanceOf(Error);
    expect(host.records.find((r) => r.msg === 'bound')?.fields).toMatchObject({ api_key: MASK });
    expectNoSecret(
      JSON.stringify(host.records.map((r) => ({ ...r, fields: { ...r.fields, error: null } }))),
    );
  });

  it('a level the host logger reports disabled is not masked or called', async () => {
    const host = capture();
    const quiet = { ...host, isLevelEnabled: (level: string) => level === 'error' };
    const registry = new PluginRegistry({ logger: quiet, healthChecks: false, env: {} });
    registry.registerKind(TOOL);
    await registry.discover(await loggingPlugin());
    await registry.setupAll();
    await registry.teardownAll();
    registry.close();
    expect(host.records).toEqual([]);
  });

  it("'silent' and NOOP_LOGGER are accepted and log nothing", async () => {
    const plugins = await loggingPlugin();
    for (const logger of ['silent', NOOP_LOGGER] as const) {
      const registry = new PluginRegistry({ logger, healthChecks: false, env: {} });
      registry.registerKind(TOOL);
      await registry.discover(plugins);
      expect((await registry.setupAll()).started).toEqual(['talker']);
      await registry.teardownAll();
      registry.close();
    }
  });
});

/** A host whose registry is built with the default logger, or `logger: 'silent'` when SILENT is set. */
const HOST_SOURCE = `
const { PluginRegistry } = await import(process.env.REGISTRY_ENTRY);
const registry = new PluginRegistry(process.env.SILENT ? { logger: 'silent', healthChecks: false } : { healthChecks: false });
registry.registerKind({
  kind: 'events',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'notify', dispatch: 'broadcast_notify', mcp_exposed: true }],
});
await registry.discover(process.env.PLUGINS);
await registry.setupAll();
await registry.call('events', 'notify', { what: 'deployed' });
await registry.settled();
await registry.teardownAll();
registry.close();
process.stdout.write(JSON.stringify(registry.status().map((s) => [s.name, s.state, s.untrusted])) + '\\n');
`;

async function writeNotifyPlugins(): Promise<string> {
  const plugins = join(root, 'plugins');
  for (const [name, publisher, body] of [
    ['listener', 'trusted-corp', 'notify() {}'],
    ['faulty', 'someone-else', "notify() { throw new Error('handler failed on purpose'); }"],
  ] as const) {
    await mkdir(join(plugins, name), { recursive: true });
    await writeFile(
      join(plugins, name, 'dagstack.toml'),
      `[plugin]
schema_version = "1"
name = "${name}"
kind = "events"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:Listener"

[plugin.metadata]
publisher = "${publisher}"
`,
    );
    await writeFile(join(plugins, name, 'plugin.js'), `export class Listener {\n  ${body}\n}\n`);
  }
  return plugins;
}

async function runHost(
  plugins: string,
  silent: boolean,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const host = join(root, 'host.mjs');
  await writeFile(host, HOST_SOURCE);
  const child = spawn(process.execPath, [host], {
    env: {
      ...process.env,
      REGISTRY_ENTRY: pathToFileURL(join(PACKAGE_DIR, 'dist/index.js')).href,
      PLUGINS: plugins,
      DAGSTACK_PLUGIN_TRUSTED_PUBLISHERS: 'trusted-corp',
      ...(silent ? { SILENT: '1' } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

describe('a host with a default registry (real child process)', () => {
  it('writes one stderr line for a failing broadcast_notify handler and one for an untrusted publisher', async () => {
    const run = await runHost(await writeNotifyPlugins(), false);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([
      ['faulty', 'stopped', true],
      ['listener', 'stopped', false],
    ]);
    const lines = run.stderr.split('\n').filter((l) => l !== '');
    expect(lines, run.stderr).toHaveLength(2);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'warn',
          msg: 'untrusted plugin: publisher not in the allow-list',
          plugin: 'faulty',
          publisher: 'someone-else',
        }),
        expect.objectContaining({
          level: 'error',
          msg: expect.stringContaining('handler failed on purpose'),
          plugin: 'faulty',
          hook: 'notify',
        }),
      ]),
    );
    for (const record of records) expect(typeof record.time).toBe('string');
  }, 30_000);

  it("with logger: 'silent' writes nothing to stderr", async () => {
    const run = await runHost(await writeNotifyPlugins(), true);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveLength(2);
    expect(run.stderr).toBe('');
  }, 30_000);
});

describe('status() rows', () => {
  it('mask secret-named fields in the JSON of the error that degraded a plugin', async () => {
    const dir = join(root, 'plugins', 'leaky');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'dagstack.toml'),
      `[plugin]
schema_version = "1"
name = "leaky"
kind = "lookup"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:Leaky"
`,
    );
    await writeFile(
      join(dir, 'plugin.js'),
      'export class Leaky { find() { throw globalThis.leak; } }\n',
    );
    class UpstreamRefused extends PluginRegistryError {
      static override readonly code: string = 'UPSTREAM_REFUSED';
      protected override details(): Record<string, unknown> {
        return { request: secretFields };
      }
    }
    (globalThis as { leak?: unknown }).leak = new UpstreamRefused('the upstream refused the key');
    const registry = new PluginRegistry({ logger: 'silent', healthChecks: false, env: {} });
    try {
      registry.registerKind({
        kind: 'lookup',
        kind_api_version: '1.0.0',
        hooks: [{ name: 'find', dispatch: 'broadcast_collect', mcp_exposed: true }],
      });
      await registry.discover(join(root, 'plugins'));
      await registry.setupAll();
      await expect(registry.call('lookup', 'find', {})).rejects.toThrow('refused');
      const [row] = registry.status();
      expect(row?.state).toBe('degraded');
      expect(row?.error?.code).toBe('UPSTREAM_REFUSED');
      expectNoSecret(JSON.stringify(registry.status()));
    } finally {
      delete (globalThis as { leak?: unknown }).leak;
      await registry.teardownAll();
      registry.close();
    }
  });
});
