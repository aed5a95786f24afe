// Category `wire`: MCP transcripts checked in two directions (README §Wire).
// `host`: this binding's host (registry + the wire session of
// @dagstack/plugin-mcp-wire, or the real mcp_stdio runtime) against a
// scripted plugin. `plugin`: this binding's plugin server (createPluginServer,
// or servePlugin in a real child) against a scripted host.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server as NetServer } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type {
  Logger,
  PluginHandle,
  PluginManifest,
  Runtime,
  RuntimeAdapter,
  RuntimeLoadOptions,
} from '@dagstack/plugin-api';
import {
  CAPABILITY_KEY,
  createPluginServer,
  createWireClient,
  openWireSession,
  setupParamsFrom,
  WIRE_VERSION,
  type WireSession,
} from '@dagstack/plugin-mcp-wire';
import { createMcpStdioRuntime } from '@dagstack/plugin-runtime-mcp-stdio';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { makePluginObject } from './behaviour.js';
import { assertEqual, assertError, Mismatch, show } from './compare.js';
import { CHILD_PROGRAMS, ProcessScope } from './processes.js';
import {
  caseKindSpecs,
  type HostSpec,
  type KindShorthand,
  type PluginSpec,
  pluginParts,
  runScenario,
  type ScenarioCase,
} from './scenario.js';
import { Channel, IdBindings, play, type TranscriptEntry } from './transcript.js';

type Direction = 'host' | 'plugin';
type Transport = 'in_memory' | 'stdio';

/** A wire case (README §Wire). */
export interface WireCase {
  id: string;
  description?: string;
  directions?: Direction[];
  transports?: Transport[];
  host?: HostSpec;
  kinds?: Record<string, KindShorthand>;
  plugin: PluginSpec;
  /** `host` direction: the scenario steps the host runs while the transcript plays. */
  steps?: ScenarioCase['steps'];
  transcript: TranscriptEntry[];
  /** The transcript starts after the handshake and `dagstack/setup` (the prelude). */
  after_setup?: boolean;
  /** `host` direction: the scripted plugin is a plain MCP server (no dagstack capability). */
  plain_server?: boolean;
  /** `host` direction: the `extensions` the scripted plugin announces in the prelude. */
  extensions?: string[];
  /** `plugin` direction: the scripted host is a plain MCP client (no capability, no setup). */
  plain_client?: boolean;
  /** `plugin` direction: the served plugin's event log when the transcript has ended. */
  plugin_calls?: string[];
  /** `plugin` direction: the plugin server refuses to start with this error. */
  serve_error?: unknown;
}

const DIRECTIONS: readonly Direction[] = ['host', 'plugin'];
const TRANSPORTS: readonly Transport[] = ['in_memory', 'stdio'];
const CASE_KEYS = new Set([
  'id',
  'description',
  'directions',
  'transports',
  'host',
  'kinds',
  'plugin',
  'steps',
  'transcript',
  'after_setup',
  'plain_server',
  'extensions',
  'plain_client',
  'plugin_calls',
  'serve_error',
]);
const PROTOCOL_VERSION = '2025-06-18';

const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silent,
};

/** Run every direction × transport of a wire case; a failure names both. */
export async function runWireCase(c: WireCase): Promise<void> {
  for (const key of Object.keys(c)) {
    if (!CASE_KEYS.has(key)) throw new Mismatch(`fixture error: unknown key "${key}"`);
  }
  if (typeof c.plugin?.name !== 'string')
    throw new Mismatch('fixture error: plugin.name is required');
  if (!Array.isArray(c.transcript)) throw new Mismatch('fixture error: transcript is required');
  const directions = c.directions ?? [...DIRECTIONS];
  const transports = c.transports ?? ['in_memory'];
  for (const d of directions)
    if (!DIRECTIONS.includes(d)) throw new Mismatch(`fixture error: direction "${d}"`);
  for (const t of transports)
    if (!TRANSPORTS.includes(t)) throw new Mismatch(`fixture error: transport "${t}"`);
  for (const direction of directions) {
    for (const transport of transports) {
      try {
        if (direction === 'host') await hostDirection(c, transport);
        else await pluginDirection(c, transport);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const wrapped =
          error instanceof Mismatch
            ? new Mismatch(`${direction} direction, ${transport}: ${message}`)
            : new Error(`${direction} direction, ${transport}: ${message}`, { cause: error });
        if (!(error instanceof Mismatch) && error instanceof Error && error.stack !== undefined)
          wrapped.stack = `${wrapped.message}\n${error.stack}`;
        throw wrapped;
      }
    }
  }
}

function defaultKind(c: WireCase): string {
  return Object.keys(c.kinds ?? {})[0] ?? 'service';
}

function pluginKind(c: WireCase): string {
  return typeof c.plugin.kind === 'string' ? c.plugin.kind : defaultKind(c);
}

function pluginRuntime(c: WireCase): Runtime {
  const runtime = Array.isArray(c.plugin.runtime) ? c.plugin.runtime[0] : c.plugin.runtime;
  return (typeof runtime === 'string' ? runtime : 'mcp_stdio') as Runtime;
}

// ---------------------------------------------------------------------------
// Preludes: the handshake and setup before an `after_setup` transcript
// ---------------------------------------------------------------------------

/** `host` direction: what the scripted plugin expects and answers before the transcript. */
function hostPrelude(c: WireCase): TranscriptEntry[] {
  const capability = {
    wire_version: WIRE_VERSION,
    plugin: c.plugin.name,
    kind: pluginKind(c),
    hooks: Object.keys((c.plugin.hooks as Record<string, unknown> | undefined) ?? {}),
    extensions: c.extensions ?? ['setup', 'teardown', 'health'],
  };
  const plain = c.plain_server === true;
  return [
    { from: 'host', message: { method: 'initialize', id: '<id:prelude-initialize>' } },
    {
      from: 'plugin',
      message: {
        id: '<id:prelude-initialize>',
        result: {
          protocolVersion: PROTOCOL_VERSION,
          capabilities: plain
            ? { tools: {} }
            : { tools: {}, experimental: { [CAPABILITY_KEY]: capability } },
          serverInfo: { name: `scripted-${c.plugin.name}`, version: '0.1.0' },
        },
      },
    },
    { from: 'host', message: { method: 'notifications/initialized' } },
    ...(plain || !capability.extensions.includes('setup')
      ? []
      : ([
          { from: 'host', message: { method: 'dagstack/setup', id: '<id:prelude-setup>' } },
          { from: 'plugin', message: { id: '<id:prelude-setup>', result: {} } },
        ] as TranscriptEntry[])),
  ];
}

/** `plugin` direction: what the scripted host sends and expects before the transcript. */
function pluginPrelude(c: WireCase): TranscriptEntry[] {
  const plain = c.plain_client === true;
  return [
    {
      from: 'host',
      message: {
        method: 'initialize',
        id: '<id:prelude-initialize>',
        params: {
          protocolVersion: PROTOCOL_VERSION,
          capabilities: plain
            ? {}
            : { experimental: { [CAPABILITY_KEY]: { wire_version: WIRE_VERSION } } },
          clientInfo: { name: 'conformance-host', version: '1.0.0' },
        },
      },
    },
    { from: 'plugin', message: { id: '<id:prelude-initialize>', result: '<object>' } },
    { from: 'host', message: { method: 'notifications/initialized' } },
    ...(plain
      ? []
      : ([
          {
            from: 'host',
            message: {
              method: 'dagstack/setup',
              id: '<id:prelude-setup>',
              params: { config: '{}', resources: {}, resources_unavailable: [] },
            },
          },
          { from: 'plugin', message: { id: '<id:prelude-setup>', result: {} } },
        ] as TranscriptEntry[])),
  ];
}

// ---------------------------------------------------------------------------
// Host direction
// ---------------------------------------------------------------------------

/**
 * An MCP runtime adapter over one in-memory connection: the host half of a
 * runtime built from @dagstack/plugin-mcp-wire's public API (handshake,
 * checks, setup, calls, health, teardown), without a transport of its own.
 */
function inMemoryMcpRuntime(runtime: Runtime, transport: InMemoryTransport): RuntimeAdapter {
  let used = false;
  return {
    runtime,
    async load(manifest: PluginManifest, options: RuntimeLoadOptions): Promise<PluginHandle> {
      if (used)
        throw new Mismatch('fixture error: the in-memory wire runtime serves one load per case');
      used = true;
      const client = createWireClient({ name: 'dagstack-host' });
      await client.connect(transport);
      let session: WireSession;
      try {
        session = openWireSession({ client, manifest, kindSpec: options.kindSpec });
      } catch (error) {
        await client.close();
        throw error;
      }
      return {
        manifest,
        runtime,
        hooks: session.hooks,
        instance: client,
        async setup(ctx) {
          try {
            await session.setup(setupParamsFrom(manifest, ctx));
          } catch (error) {
            await client.close();
            throw error;
          }
        },
        async teardown() {
          try {
            return await session.teardown();
          } finally {
            await client.close();
          }
        },
        health: () => session.health(),
        invoke: (hook, input, call) => session.invoke(hook, input, call),
      };
    },
  };
}

/** After the transcript: answer teardown, ignore cancellations; anything else is unexpected. */
async function epilogue(channel: Channel): Promise<void> {
  for (;;) {
    const message = (await channel.next()) as Record<string, unknown> | undefined;
    if (message === undefined) return;
    if (message.method === 'dagstack/teardown' && message.id !== undefined) {
      await channel.send({ jsonrpc: '2.0', id: message.id, result: { released: true } });
    } else if (message.method !== 'notifications/cancelled') {
      throw new Mismatch(`after the transcript, the host sent ${show(message)}`);
    }
  }
}

function attachLines(channel: Channel, input: Readable, output: Writable, close: () => void): void {
  const lines = createInterface({ input });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    try {
      channel.push(JSON.parse(line));
    } catch {
      channel.push({ '<not JSON>': line });
    }
  });
  lines.on('close', () => channel.end());
  channel.attach(
    (message) =>
      new Promise<void>((resolve, reject) => {
        output.write(`${JSON.stringify(message)}\n`, (error) =>
          error ? reject(error) : resolve(),
        );
      }),
    close,
  );
}

async function hostDirection(c: WireCase, transport: Transport): Promise<void> {
  const ids = new IdBindings();
  const channel = new Channel();
  const runtime = pluginRuntime(c);
  let plugin: PluginSpec = c.plugin;
  let adapter: RuntimeAdapter;
  let scope: ProcessScope | undefined;
  let relay: NetServer | undefined;
  if (transport === 'in_memory') {
    const [hostSide, pluginSide] = InMemoryTransport.createLinkedPair();
    pluginSide.onmessage = (message) => channel.push(message);
    pluginSide.onclose = () => channel.end();
    await pluginSide.start();
    channel.attach(
      (message) => pluginSide.send(message as never),
      () => void pluginSide.close(),
    );
    adapter = inMemoryMcpRuntime(runtime, hostSide);
  } else {
    if (runtime !== 'mcp_stdio') throw new Mismatch('fixture error: stdio needs runtime mcp_stdio');
    scope = await ProcessScope.create();
    const socketPath = `${scope.path('relay')}.sock`;
    const server = createServer((socket) => {
      if (channel.attached) {
        socket.destroy();
        return;
      }
      attachLines(channel, socket, socket, () => socket.destroy());
    });
    relay = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, resolve);
    });
    adapter = createMcpStdioRuntime({ shutdown: { exitWaitMs: 2000, killGraceMs: 1000 } });
    plugin = {
      ...plugin,
      mcp_stdio: {
        command: [process.execPath, CHILD_PROGRAMS.relay],
        env: { CONFORMANCE_RELAY: socketPath, CONFORMANCE_PIDS: scope.pidFile },
      },
    };
  }

  const playing = (async () => {
    try {
      if (c.after_setup === true) await play(hostPrelude(c), 'plugin', channel, ids, 'prelude');
      await play(c.transcript, 'plugin', channel, ids, 'transcript');
      await epilogue(channel);
    } catch (error) {
      // Fail the host's pending requests fast instead of letting them hang.
      channel.close();
      throw error;
    }
  })();
  playing.catch(() => undefined);

  let scenarioError: unknown;
  let left: number[] = [];
  try {
    await runScenario(
      {
        id: c.id,
        host: { ...c.host, runtimes: [...new Set([...(c.host?.runtimes ?? []), runtime])] },
        ...(c.kinds === undefined ? {} : { kinds: c.kinds }),
        plugins: [plugin],
        steps: c.steps ?? [{ setup_all: {} }],
      },
      { adapters: [adapter] },
    );
  } catch (error) {
    scenarioError = error;
  } finally {
    // The host has torn down and closed its side; a connection that was never
    // made (a child that did not start) ends here.
    if (transport === 'in_memory' || !channel.attached) channel.end();
    left = (await scope?.reap()) ?? [];
    if (!channel.ended) channel.close();
    relay?.close();
  }
  let transcriptError: unknown;
  try {
    await playing;
  } catch (error) {
    transcriptError = error;
  }
  if (transcriptError !== undefined && scenarioError !== undefined) {
    // Either may be the cause of the other: name both.
    const text = (e: unknown): string => (e instanceof Error ? e.message : String(e));
    throw new Mismatch(`${text(transcriptError)}; and the steps: ${text(scenarioError)}`);
  }
  if (transcriptError !== undefined) throw transcriptError;
  if (scenarioError !== undefined) throw scenarioError;
  if (left.length > 0) throw new Mismatch(`child processes still running: ${left.join(', ')}`);
}

// ---------------------------------------------------------------------------
// Plugin direction
// ---------------------------------------------------------------------------

function servedTarget(c: WireCase) {
  const kind = pluginKind(c);
  const kindSpec = caseKindSpecs(c.kinds).find((k) => k.kind === kind);
  const { behaviour } = pluginParts(c.plugin, defaultKind(c), 'plugin');
  return { name: c.plugin.name, kind, kindSpec, behaviour };
}

async function pluginDirection(c: WireCase, transport: Transport): Promise<void> {
  const ids = new IdBindings();
  const channel = new Channel();
  const target = servedTarget(c);
  if (transport === 'in_memory') {
    const log: string[] = [];
    const object = makePluginObject(target.name, target.behaviour, log);
    let served: ReturnType<typeof createPluginServer>;
    try {
      served = createPluginServer(
        object,
        target.kindSpec ?? { name: target.name, kind: target.kind },
        { name: target.name, logger: silent, env: {} },
      );
    } catch (error) {
      if (c.serve_error === undefined) throw error;
      assertError(c.serve_error, error, 'serve_error');
      return;
    }
    if (c.serve_error !== undefined)
      throw new Mismatch(`serve_error: expected ${show(c.serve_error)}, but the server started`);
    const [hostSide, pluginSide] = InMemoryTransport.createLinkedPair();
    hostSide.onmessage = (message) => channel.push(message);
    hostSide.onclose = () => channel.end();
    await served.server.connect(pluginSide);
    await hostSide.start();
    channel.attach(
      (message) => hostSide.send(message as never),
      () => void hostSide.close(),
    );
    try {
      if (c.after_setup === true) await play(pluginPrelude(c), 'host', channel, ids, 'prelude');
      await play(c.transcript, 'host', channel, ids, 'transcript');
      if (c.plugin_calls !== undefined) assertEqual(c.plugin_calls, log, 'plugin_calls');
    } finally {
      await served.server.close();
    }
    return;
  }

  if (c.serve_error !== undefined)
    throw new Mismatch('fixture error: serve_error is checked in memory only');
  const scope = await ProcessScope.create();
  const events = scope.path('events');
  let child: ChildProcess | undefined;
  let stderr = '';
  try {
    child = spawn(process.execPath, [CHILD_PROGRAMS.serve], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        CONFORMANCE_PLUGIN: JSON.stringify({
          name: target.name,
          kind: target.kind,
          ...(target.kindSpec === undefined ? {} : { kind_spec: target.kindSpec }),
          behaviour: target.behaviour,
        }),
        CONFORMANCE_EVENTS: events,
        CONFORMANCE_PIDS: scope.pidFile,
      },
    });
    const proc = child;
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr = `${stderr}${chunk.toString('utf8')}`.slice(-2000);
    });
    attachLines(channel, proc.stdout as Readable, proc.stdin as Writable, () => proc.stdin?.end());
    try {
      if (c.after_setup === true) await play(pluginPrelude(c), 'host', channel, ids, 'prelude');
      await play(c.transcript, 'host', channel, ids, 'transcript');
    } catch (error) {
      if (error instanceof Mismatch && stderr !== '')
        throw new Mismatch(`${error.message}; the child's stderr ended with: ${stderr.trim()}`);
      throw error;
    }
    if (c.plugin_calls !== undefined) {
      const text = await readFile(events, 'utf8').catch(() => '');
      assertEqual(
        c.plugin_calls,
        text.split('\n').filter((l) => l !== ''),
        'plugin_calls',
      );
    }
  } finally {
    if (child !== undefined) await stopChild(child);
    await scope.reap();
  }
}

/** Close the child's stdin (servePlugin then exits) and wait; SIGKILL when it does not exit. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
