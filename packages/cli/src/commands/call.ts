import { readFile } from 'node:fs/promises';
import {
  type CallMetadata,
  DISPATCH_CLASSES,
  type DispatchClass,
  type JsonValue,
} from '@dagstack/plugin-api';
import { createHost, type HostOptions, resolvePath } from '../host.js';
import { type CliIo, EXIT, progress, UsageError } from '../io.js';

/** Usage of `call`. */
export const CALL_USAGE = `dagstack-plugins call <kind> <hook> --plugins <dir> [--input <json>|@file]
    [--name <plugin>] [--meta key=value]... [--timeout <ms>]
    [--kinds <dir>]... [--dispatch <class>] [--json]

Discovers and starts the plugins under --plugins, dispatches <kind>.<hook> with
the class the kind's hookspec declares (tool and orchestrator are built in;
--kinds loads kind YAMLs; --dispatch names the class for a kind without one),
prints the result as JSON and stops the plugins.
--meta values are JSON when they parse as JSON (numbers, true, {...}), strings
otherwise. --name calls that plugin only. A manifest that was skipped is
warned about on stderr (one line: the file and its first problem).
Exit codes: 0 the call returned, 1 the call or the start failed, 2 usage error.
`;

/** Options of `call`. */
export interface CallOptions extends Omit<HostOptions, 'io'> {
  /** `--json`: write only the result as JSON on stdout. */
  readonly json: boolean;
  /** `--plugins`: folders to discover plugins in; at least one is required. */
  readonly plugins: readonly string[];
  /** `--input`: the hook's input as JSON text, or `@file` to read it from a file. @default `{}` */
  readonly input?: string;
  /** `--name`: call only this plugin, bypassing selection. */
  readonly name?: string;
  /** `--meta`: `key=value` pairs of call metadata; a value is parsed as JSON when it can be. */
  readonly meta: readonly string[];
  /** `--timeout`: time limit of the call in ms, as given on the command line. */
  readonly timeout?: string;
  /** `--dispatch`: the dispatch class to use for a kind or hook that has no hookspec here. */
  readonly dispatch?: string;
}

async function parseInput(io: CliIo, text: string | undefined): Promise<unknown> {
  if (text === undefined) return {};
  let source = text;
  let where = '--input';
  if (text.startsWith('@')) {
    where = text;
    try {
      source = await readFile(resolvePath(io, text.slice(1)), 'utf8');
    } catch (error) {
      throw new UsageError(`--input ${text}: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(source) as unknown;
  } catch (error) {
    throw new UsageError(`${where} is not JSON: ${(error as Error).message}`);
  }
}

/** `key=value` pairs into call metadata. */
export function parseMeta(pairs: readonly string[]): CallMetadata {
  const out: Record<string, JsonValue> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--meta ${pair}: expected key=value`);
    const key = pair.slice(0, at);
    const raw = pair.slice(at + 1);
    let value: JsonValue;
    try {
      value = JSON.parse(raw) as JsonValue;
    } catch {
      value = raw;
    }
    out[key] = value;
  }
  return out as CallMetadata;
}

/** `dagstack-plugins call`. */
export async function callCommand(
  io: CliIo,
  kind: string | undefined,
  hook: string | undefined,
  options: CallOptions,
): Promise<number> {
  if (kind === undefined) throw new UsageError('missing <kind> <hook>');
  if (hook === undefined) throw new UsageError(`missing <hook> (of kind "${kind}")`);
  if (options.plugins.length === 0) throw new UsageError('missing --plugins <dir>');
  const input = await parseInput(io, options.input);
  const metadata = parseMeta(options.meta);
  let timeoutMs: number | undefined;
  if (options.timeout !== undefined) {
    timeoutMs = Number(options.timeout);
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
      throw new UsageError(`--timeout ${options.timeout}: expected a positive number of ms`);
  }
  if (
    options.dispatch !== undefined &&
    !(Object.values(DISPATCH_CLASSES) as string[]).includes(options.dispatch)
  ) {
    throw new UsageError(
      `--dispatch ${options.dispatch}: expected one of ${Object.values(DISPATCH_CLASSES).join(', ')}`,
    );
  }

  const host = await createHost({ io, ...options, command: 'call' });
  const show = progress(io);
  try {
    show.update('discovering plugins…');
    await host.discover(options.plugins);
    show.done();
    host.warnSkipped();
    const spec = host.kinds.get(kind);
    if (spec === undefined || !spec.hooks.some((h) => h.name === hook)) {
      if (options.dispatch === undefined) {
        throw new UsageError(
          spec === undefined
            ? `kind "${kind}" has no hookspec here: pass --kinds <dir> with its YAML, or --dispatch <class>`
            : `kind "${kind}" has no hook "${hook}" (it has: ${spec.hooks.map((h) => h.name).join(', ')})`,
        );
      }
      const declared = host.registry.listManifests().find((m) => m.kind === kind);
      const major = declared?.kind_api_version.split('.')[0] ?? '1';
      host.registry.registerKind({
        kind,
        kind_api_version: spec?.kind_api_version ?? `${major}.0.0`,
        hooks: [
          ...(spec?.hooks ?? []),
          { name: hook, dispatch: options.dispatch as DispatchClass, mcp_exposed: true },
        ],
      });
    }
    show.update('starting plugins…');
    await host.registry.setupAll({ metadata });
    show.done();
    const callOptions = {
      metadata,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(options.name === undefined ? {} : { target: options.name }),
    };
    const result =
      options.name === undefined
        ? await host.registry.call(kind, hook, input, callOptions)
        : await host.registry
            .getPlugin<Record<string, (i: unknown, o: unknown) => Promise<unknown>>>(
              kind,
              options.name,
            )
            [hook]?.(input, callOptions);
    // The hook's output, printed as the plugin returned it (not masked: it is
    // what the caller asked for; diagnostics around it are masked).
    io.stdout.write(`${JSON.stringify(result ?? null, null, 2)}\n`);
    return EXIT.ok;
  } finally {
    show.done();
    await host.close();
  }
}
