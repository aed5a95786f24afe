import {
  type CallMetadata,
  type InFlightOperation,
  type JsonValue,
  type LogFields,
  type Logger,
  NOOP_TENANT,
  type PluginContext,
  PluginRegistryError,
  type RegistryView,
  type ResourceContainer,
} from '@dagstack/plugin-api';

const LEVELS: readonly JsonLineLevel[] = ['debug', 'info', 'warn', 'error'];

/** A log level of {@link createJsonLineLogger}. @since 0.1.0 */
export type JsonLineLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * A logger that writes one JSON object per line (`{"time","level","msg",...}`)
 * to a stream, stderr by default. The stdio host reads these lines back at
 * their level (docs/wire.md §11). With `mask` (pass `maskSecrets` of
 * `@dagstack/plugin-manifest`), each record's fields are masked before they
 * are written.
 * @since 0.1.0
 */
export function createJsonLineLogger(
  options: {
    level?: JsonLineLevel;
    bindings?: LogFields;
    stream?: { write(chunk: string): unknown };
    /** Applied to each record's fields (bindings included). @since 0.2.0 */
    mask?: <T>(value: T) => T;
  } = {},
): Logger {
  const threshold = LEVELS.indexOf(options.level ?? 'info');
  const stream = options.stream ?? process.stderr;
  const bindings = options.bindings ?? {};
  const write =
    (level: JsonLineLevel) =>
    (message: string, fields?: LogFields): void => {
      if (LEVELS.indexOf(level) < threshold) return;
      let line: string;
      try {
        const all = { ...bindings, ...fields };
        line = JSON.stringify({
          time: new Date().toISOString(),
          level,
          msg: message,
          ...(options.mask === undefined ? all : options.mask(all)),
        });
      } catch {
        line = JSON.stringify({ time: new Date().toISOString(), level, msg: message });
      }
      stream.write(`${line}\n`);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more: LogFields): Logger =>
      createJsonLineLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
}

/** Resources a plugin server holds: what crossed the wire, then its own. */
export function createWireResources(
  fromHost: Readonly<Record<string, JsonValue>>,
  local: Readonly<Record<string, unknown>>,
): ResourceContainer {
  const all: Record<string, unknown> = { ...local, ...fromHost };
  return {
    get(name: string): unknown {
      return all[name];
    },
    has(name: string): boolean {
      return Object.hasOwn(all, name);
    },
    names(): readonly string[] {
      return Object.keys(all).sort();
    },
  } as ResourceContainer;
}

/** The registry view of a plugin behind the wire: it cannot see the host's registry. */
export function remoteRegistryView(plugin: string): RegistryView {
  return {
    list: () => [],
    get: () => undefined,
    find: () => [],
    call: () =>
      Promise.reject(
        new PluginRegistryError('cannot call other plugins from behind the MCP wire', {
          plugin,
          hint: 'let the host pass what the plugin needs in the hook input, or run it in_process',
        }),
      ),
  };
}

/** Build the `PluginContext` a served plugin gets in `setup`. */
export function createServedContext(parts: {
  plugin: string;
  config: Readonly<Record<string, unknown>>;
  logger: Logger;
  metadata: CallMetadata;
  resources: ResourceContainer;
  inFlight: () => readonly InFlightOperation[];
}): PluginContext {
  const get = (name: string): unknown =>
    parts.resources.has(name) ? parts.resources.get(name) : undefined;
  return Object.freeze({
    config: parts.config,
    logger: parts.logger,
    registry: remoteRegistryView(parts.plugin),
    metadata: parts.metadata,
    resources: parts.resources,
    progress: get('progress') as PluginContext['progress'],
    checkpoint: get('checkpoint') as PluginContext['checkpoint'],
    eventBus: get('event_bus') as PluginContext['eventBus'],
    tenant: (get('tenant') as PluginContext['tenant'] | undefined) ?? NOOP_TENANT,
    metrics: get('metrics') as PluginContext['metrics'],
    tracer: get('tracer') as PluginContext['tracer'],
    inFlight: parts.inFlight,
    // The wire has no configuration push yet: the plugin keeps its setup config.
    onConfigChange: (): (() => void) => () => {},
  }) as PluginContext;
}
