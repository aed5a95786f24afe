/**
 * The stdio-purity check: start an `mcp_stdio` plugin's command, talk MCP to
 * it (initialize, tools/list, one tools/call) over its real pipes while every
 * byte of its stdout is scanned, close stdin, and report every byte that is
 * not part of a JSON-RPC message, with its offset.
 */

import { spawn } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import type { Logger, PluginManifest } from '@dagstack/plugin-api';
import { PluginLoadError } from '@dagstack/plugin-api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { StdioPurityViolation } from './errors.js';
import type { CheckRecorder } from './report.js';
import type { ContractSample } from './types.js';

/** A run of non-protocol bytes in the plugin's stdout. */
interface Pollution {
  readonly offset: number;
  readonly text: string;
}

/** Splits stdout into lines, hands protocol messages on and keeps everything else. */
class StdoutScanner {
  readonly pollution: Pollution[] = [];
  #pending: Buffer = Buffer.alloc(0);
  #pendingOffset = 0;
  #total = 0;
  readonly #deliver: (message: JSONRPCMessage) => void;

  constructor(deliver: (message: JSONRPCMessage) => void) {
    this.#deliver = deliver;
  }

  push(chunk: Buffer): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#total += chunk.length;
    for (;;) {
      const newline = this.#pending.indexOf(0x0a);
      if (newline === -1) break;
      const line = this.#pending.subarray(0, newline);
      this.#line(line, this.#pendingOffset);
      this.#pending = this.#pending.subarray(newline + 1);
      this.#pendingOffset += newline + 1;
    }
  }

  end(): void {
    if (this.#pending.length > 0) {
      this.#add(this.#pendingOffset, `${this.#pending.toString('utf8')} (no newline before EOF)`);
    }
    this.#pending = Buffer.alloc(0);
  }

  get bytes(): number {
    return this.#total;
  }

  #line(raw: Buffer, offset: number): void {
    const text = raw.toString('utf8').replace(/\r$/, '');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.#add(offset, `${text}\n`);
      return;
    }
    const message = JSONRPCMessageSchema.safeParse(parsed);
    if (message.success) this.#deliver(message.data);
    else this.#add(offset, `${text}\n`);
  }

  #add(offset: number, text: string): void {
    // Consecutive polluted lines are one finding.
    const last = this.pollution[this.pollution.length - 1];
    if (last !== undefined && last.offset + Buffer.byteLength(last.text) === offset) {
      this.pollution[this.pollution.length - 1] = {
        offset: last.offset,
        text: (last.text + text).slice(0, 200),
      };
      return;
    }
    this.pollution.push({ offset, text: text.slice(0, 200) });
  }
}

/** A minimal environment, like the stdio runtime's: the host's secrets are not inherited. */
function childEnv(manifest: PluginManifest): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'SYSTEMROOT', 'NODE_PATH']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  // What a host tells the server it starts (docs/wire.md §2): one server
  // program may serve under several names.
  env.DAGSTACK_PLUGIN_NAME = manifest.name;
  env.DAGSTACK_PLUGIN_KIND = manifest.kind;
  return { ...env, ...(manifest.mcp_stdio?.env ?? {}) };
}

/** Run the stdio-purity check for one `mcp_stdio` plugin. */
export async function checkStdioPurity(options: {
  manifest: PluginManifest;
  dir: string;
  samples: readonly ContractSample[];
  logger: Logger;
  timeoutMs: number;
  rec: CheckRecorder;
}): Promise<void> {
  const { manifest, dir, rec, logger } = options;
  const spec = manifest.mcp_stdio;
  const [command, ...args] = spec?.command ?? [];
  if (command === undefined) {
    rec.skip('the manifest has no mcp_stdio command');
    return;
  }
  const cwd =
    spec?.working_dir === undefined
      ? dir
      : isAbsolute(spec.working_dir)
        ? spec.working_dir
        : resolve(dir, spec.working_dir);
  const context = { plugin: manifest.name, kind: manifest.kind, path: manifest.source };
  const child = spawn(command, args, {
    cwd,
    env: childEnv(manifest),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const kill = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // gone
    }
  };
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
    logger.debug('stdio plugin stderr', { plugin: manifest.name, output: chunk.trimEnd() });
  });
  let spawnError: Error | undefined;
  const exited = new Promise<void>((done) => {
    child.once('error', (error) => {
      spawnError = error;
      done();
    });
    child.once('exit', () => done());
  });
  const transport: Transport & { closed: boolean } = {
    closed: false,
    start: () => Promise.resolve(),
    send: (message) =>
      new Promise<void>((done, fail) => {
        if (child.stdin.destroyed || !child.stdin.writable) {
          fail(new Error('the plugin process closed its stdin'));
          return;
        }
        child.stdin.write(serializeMessage(message), (error) => (error ? fail(error) : done()));
      }),
    close() {
      if (!this.closed) {
        this.closed = true;
        child.stdin.end();
        this.onclose?.();
      }
      return Promise.resolve();
    },
  };
  const scanner = new StdoutScanner((message) => transport.onmessage?.(message));
  const stdoutDone = new Promise<void>((done) => {
    child.stdout.on('data', (chunk: Buffer) => scanner.push(chunk));
    child.stdout.once('close', () => {
      scanner.end();
      // The plugin closed its stdout (it exited): pending requests fail now,
      // not at their time limit.
      void transport.close();
      done();
    });
  });
  child.stdin.on('error', () => {
    // EPIPE after the plugin exited: reported as a failed session below.
  });

  const client = new Client({ name: 'dagstack-contract-suite', version: '0.1.0' });
  const requestOptions = { timeout: options.timeoutMs };
  let sessionError: unknown;
  try {
    await client.connect(transport, requestOptions);
    const { tools } = await client.listTools(undefined, requestOptions);
    const pick = options.samples
      .map((s) => ({
        sample: s,
        tool: s.tool ?? tools.find((t) => t.name === s.hook || t.name.endsWith(`.${s.hook}`))?.name,
      }))
      .find((p) => p.tool !== undefined);
    const tool = pick?.tool ?? tools[0]?.name;
    if (tool === undefined)
      rec.note('the plugin lists no tools; only initialize and tools/list ran');
    else {
      const input = pick?.sample.input;
      const args =
        typeof input === 'object' && input !== null && !Array.isArray(input)
          ? (input as Record<string, unknown>)
          : {};
      try {
        await client.callTool({ name: tool, arguments: args }, undefined, requestOptions);
        rec.note(`initialize, tools/list (${tools.length} tools) and tools/call ${tool} ran`);
      } catch (error) {
        rec.note(
          `tools/call ${tool} failed (${error instanceof Error ? error.message : String(error)}); stdout was still checked`,
        );
      }
    }
  } catch (error) {
    sessionError = error;
  } finally {
    await client.close().catch(() => undefined);
    await transport.close();
    // Closing stdin asks the plugin to exit; then TERM, then KILL, for the whole group.
    const timer = setTimeout(() => kill('SIGTERM'), 2000);
    const hard = setTimeout(() => kill('SIGKILL'), 4000);
    await exited;
    clearTimeout(timer);
    clearTimeout(hard);
    kill('SIGKILL');
    await stdoutDone;
  }

  for (const p of scanner.pollution.slice(0, 10)) {
    rec.fail(new StdioPurityViolation({ ...context, offset: p.offset, text: p.text }), {
      location: `stdout byte ${p.offset}`,
    });
  }
  if (scanner.pollution.length > 10) {
    rec.note(`${scanner.pollution.length - 10} more polluted stretches not listed`);
  }
  if (sessionError !== undefined || spawnError !== undefined) {
    const cause = spawnError ?? sessionError;
    const why = cause instanceof Error ? cause.message : String(cause);
    rec.fail(
      new PluginLoadError(
        `could not hold an MCP session with "${[command, ...args].join(' ')}" (cwd ${cwd}): ${why}${stderr === '' ? '' : `; stderr: ${stderr.trim().slice(-300)}`}`,
        {
          ...context,
          cause,
          hint: 'check mcp_stdio.command; it must start an MCP server on stdio',
        },
      ),
      { location: `${manifest.source}#/mcp_stdio/command` },
    );
  }
  rec.note(`${scanner.bytes} bytes of stdout scanned`);
}
