import {
  type ChainWrapSpec,
  type DependencyRef,
  type ExecutionModel,
  type IdempotencyMode,
  type JsonObject,
  MANIFEST_SCHEMA_VERSION,
  type ManifestProblem,
  type McpHttpAuth,
  type McpHttpSpec,
  type McpStdioSpec,
  MIDDLEWARE_PRIORITY_FLOOR,
  type PluginManifest,
  type Runtime,
  type UnitOfWorkSpec,
} from '@dagstack/plugin-api';
import { parseEntryPoint } from './entry-point.js';
import { ProblemList, pointer } from './problems.js';
import { getAjv, schemaProblems } from './schema.js';
import { parseVersionSpec } from './version-spec.js';

/**
 * Result of validating a manifest: the canonical manifest and any warnings, or
 * every problem found.
 * @since 0.1.0
 */
export type ManifestResult =
  | {
      /** The manifest is valid. */
      readonly ok: true;
      /** The canonical (normalised) manifest. */
      readonly manifest: PluginManifest;
      /** Non-fatal findings (defaults assumed, ignored or unknown fields, ...). */
      readonly warnings: readonly ManifestProblem[];
    }
  | {
      /** The manifest is invalid. */
      readonly ok: false;
      /** Every error found, each with a JSON pointer. */
      readonly problems: readonly ManifestProblem[];
      /** Non-fatal findings, reported alongside the errors. */
      readonly warnings: readonly ManifestProblem[];
      /** The file (or `inline`) the problems are about. */
      readonly source: string;
      /** The plugin's name, when the document had a readable one. */
      readonly name?: string;
    };

/** Options of {@link validateManifest}. @since 0.1.0 */
export interface ValidateManifestOptions {
  /** The file the manifest came from. @default "inline" */
  source?: string;
}

type Raw = Record<string, unknown>;

const SCHEMA_VERSIONS = new Set(['1', '1.0', '1.0.0']);
const MCP_RUNTIMES: readonly Runtime[] = ['mcp_stdio', 'mcp_http'];

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter(isString) : []);
const optionalString = (v: unknown): string | undefined => (isString(v) ? v : undefined);

function runtimesOf(raw: Raw): Runtime[] {
  const r = raw.runtime;
  const list = Array.isArray(r) ? r : [r];
  return list.filter(
    (x): x is Runtime => x === 'in_process' || x === 'mcp_stdio' || x === 'mcp_http',
  );
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Cross-field rules: what the schema alone cannot say. */
function checkRules(raw: Raw, problems: ProblemList): void {
  const runtimes = runtimesOf(raw);
  const stdio = isObject(raw.mcp_stdio) ? raw.mcp_stdio : {};
  const http = isObject(raw.mcp_http) ? raw.mcp_http : {};

  // schema_version
  if (raw.schema_version === undefined) {
    problems.warn('/schema_version', 'default', 'schema_version is missing; assuming "1"');
  } else if (!SCHEMA_VERSIONS.has(String(raw.schema_version))) {
    problems.error(
      '/schema_version',
      'version',
      `schema_version ${JSON.stringify(raw.schema_version)} is not supported; this binding reads "1"`,
    );
  }
  if (raw.kind_api_version === undefined) {
    problems.warn('/kind_api_version', 'default', 'kind_api_version is missing; assuming "1"');
  }

  // core_version is a PEP 440 specifier set (or an npm range).
  if (isString(raw.core_version) && raw.core_version !== '' && raw.core_version.trim() === '') {
    // "" is caught by the schema (minLength); blanks would pass it and mean nothing.
    problems.error(
      '/core_version',
      'version',
      'core_version is blank: give a specifier such as ">=0.1.0,<1.0.0"',
    );
  } else if (isString(raw.core_version) && raw.core_version.trim() !== '') {
    const parsed = parseVersionSpec(raw.core_version);
    if (!parsed.ok) problems.error('/core_version', 'version', parsed.message);
  }

  // Ordering.
  if (raw.tryfirst === true && raw.trylast === true) {
    problems.error('/trylast', 'cross-field', 'tryfirst and trylast cannot both be true; keep one');
  }
  const isMiddleware = raw.chain_wrap !== undefined;
  if (typeof raw.priority === 'number') {
    if (raw.priority >= MIDDLEWARE_PRIORITY_FLOOR && !isMiddleware) {
      problems.error(
        '/priority',
        'cross-field',
        `priority ${raw.priority} is in the band reserved for middleware (>= ${MIDDLEWARE_PRIORITY_FLOOR}); use 0-100 for a business plugin, or declare [plugin.chain_wrap]`,
      );
    } else if (raw.priority < MIDDLEWARE_PRIORITY_FLOOR && isMiddleware) {
      problems.error(
        '/priority',
        'cross-field',
        `a middleware plugin ([plugin.chain_wrap]) needs priority >= ${MIDDLEWARE_PRIORITY_FLOOR}, got ${raw.priority}`,
      );
    } else if (!isMiddleware && (raw.priority < 0 || raw.priority > 100)) {
      problems.warn(
        '/priority',
        'range',
        `priority ${raw.priority} is outside the usual 0-100 range`,
      );
    }
  } else if (isMiddleware && raw.priority === undefined) {
    problems.error(
      '/priority',
      'cross-field',
      `a middleware plugin ([plugin.chain_wrap]) needs priority >= ${MIDDLEWARE_PRIORITY_FLOOR}`,
    );
  }

  // depends_on
  if (Array.isArray(raw.depends_on)) {
    const seen = new Set<string>();
    raw.depends_on.forEach((dep, i) => {
      const name = isString(dep) ? dep : isObject(dep) ? optionalString(dep.name) : undefined;
      if (name === undefined) return;
      if (name === raw.name) {
        problems.error(pointer('depends_on', i), 'cross-field', 'a plugin cannot depend on itself');
      }
      const key = isObject(dep) && isString(dep.kind) ? `${dep.kind}/${name}` : name;
      if (seen.has(key)) {
        problems.warn(
          pointer('depends_on', i),
          'duplicate',
          `"${name}" is listed twice; the repeat is ignored`,
        );
      }
      seen.add(key);
    });
  }

  // Runtime-specific fields.
  if (runtimes.includes('in_process')) {
    // Required for discovery (ADR-0006), but a host may register the manifest
    // and attach the object itself (ADR-0001 §Discovery sources, explicit
    // register); the registry refuses to load it without one or the other.
    if (raw.entry_point === undefined || raw.entry_point === null) {
      problems.warn(
        '/entry_point',
        'missing-entry-point',
        'no entry_point: the in_process runtime can load this plugin only if the host attaches the object (e.g. add entry_point = "plugin:MyPlugin" or "./plugin.js#MyPlugin")',
      );
    }
  } else if (isString(raw.entry_point)) {
    problems.warn(
      '/entry_point',
      'unused',
      'entry_point is ignored: the runtime list has no in_process',
    );
  }
  if (isString(raw.entry_point)) {
    const parsed = parseEntryPoint(raw.entry_point);
    if (!parsed.ok) problems.error('/entry_point', 'format', parsed.message);
  }

  if (raw.in_process_only === true) {
    const mcp = runtimes.filter((r) => MCP_RUNTIMES.includes(r));
    if (mcp.length > 0) {
      problems.error(
        '/in_process_only',
        'cross-field',
        `in_process_only = true contradicts runtime ${mcp.join(', ')}; remove the MCP runtime or the flag`,
      );
    }
  }

  const stdioCommand = stdio.command ?? raw.command;
  if (runtimes.includes('mcp_stdio') && (stdioCommand === undefined || stdioCommand === null)) {
    problems.error(
      '/mcp_stdio/command',
      'required',
      'the mcp_stdio runtime needs a command: add [plugin.mcp_stdio] command = ["node", "server.js"]',
    );
  }
  for (const field of ['command', 'env'] as const) {
    if (
      stdio[field] !== undefined &&
      raw[field] !== undefined &&
      raw[field] !== null &&
      !sameJson(stdio[field], raw[field])
    ) {
      problems.error(
        pointer('mcp_stdio', field),
        'conflict',
        `differs from the top-level ${field}; keep one of them`,
      );
    }
  }

  const httpUrl = http.url ?? raw.url;
  if (runtimes.includes('mcp_http') && (httpUrl === undefined || httpUrl === null)) {
    problems.error(
      '/mcp_http/url',
      'required',
      'the mcp_http runtime needs a url: add [plugin.mcp_http] url = "https://host/mcp"',
    );
  }
  if (http.url !== undefined && raw.url !== undefined && raw.url !== null && http.url !== raw.url) {
    problems.error('/mcp_http/url', 'conflict', 'differs from the top-level url; keep one of them');
  }
  if (
    http.auth !== undefined &&
    raw.auth !== undefined &&
    raw.auth !== null &&
    !sameJson(http.auth, raw.auth)
  ) {
    problems.error(
      '/mcp_http/auth',
      'conflict',
      'differs from the top-level auth; keep one of them',
    );
  }
  if (isString(httpUrl)) {
    const at = http.url === undefined ? '/url' : '/mcp_http/url';
    let parsed: URL | undefined;
    try {
      parsed = new URL(httpUrl);
    } catch {
      problems.error(at, 'format', `"${httpUrl}" is not an absolute URL (e.g. "https://host/mcp")`);
    }
    if (parsed !== undefined && parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      problems.error(at, 'format', `must be an http:// or https:// URL, got "${parsed.protocol}"`);
    }
    if (parsed !== undefined && (parsed.username !== '' || parsed.password !== '')) {
      problems.error(
        at,
        'secret',
        'must not carry credentials; use [plugin.mcp_http] auth with token_env',
      );
    }
  }
  const auth = isObject(http.auth) ? http.auth : isObject(raw.auth) ? raw.auth : undefined;
  const authAt = isObject(http.auth) ? '/mcp_http/auth' : '/auth';
  if (auth !== undefined) {
    for (const key of Object.keys(auth)) {
      if (!['type', 'header', 'scheme', 'token', 'token_env', 'secret_env'].includes(key)) {
        problems.warn(
          pointer(...authAt.slice(1).split('/'), key),
          'unknown',
          `unknown auth field "${key}" is ignored`,
        );
      }
    }
    if (isString(auth.token)) {
      problems.warn(
        `${authAt}/token`,
        'secret',
        'the token is written in the manifest; prefer token_env and keep the secret in the environment',
      );
    }
  }
  if (http.tls_verify === false) {
    problems.warn(
      '/mcp_http/tls_verify',
      'security',
      'tls_verify = false: acceptable in development only',
    );
  }
  if (
    !runtimes.includes('mcp_stdio') &&
    (raw.mcp_stdio !== undefined || isObject(raw.command) || Array.isArray(raw.command))
  ) {
    problems.warn(
      '/mcp_stdio',
      'unused',
      'mcp_stdio settings are ignored: the runtime list has no mcp_stdio',
    );
  }
  if (!runtimes.includes('mcp_http') && (raw.mcp_http !== undefined || isString(raw.url))) {
    problems.warn(
      '/mcp_http',
      'unused',
      'mcp_http settings are ignored: the runtime list has no mcp_http',
    );
  }

  // Execution model only matters in-process.
  if (
    (raw.execution_model === 'thread_cpu_bound' || raw.execution_model === 'process_cpu_bound') &&
    !runtimes.includes('in_process') &&
    runtimes.length > 0
  ) {
    problems.warn(
      '/execution_model',
      'unused',
      'execution_model has no effect outside the in_process runtime',
    );
  }

  // Resources declared both required and optional.
  if (isObject(raw.resources)) {
    const required = new Set(strings(raw.resources.required));
    strings(raw.resources.optional).forEach((name, i) => {
      if (required.has(name)) {
        problems.error(
          pointer('resources', 'optional', i),
          'cross-field',
          `"${name}" is already required`,
        );
      }
    });
  }
  if (isObject(raw.unit_of_work) && raw.unit_of_work.declared !== true) {
    const others = Object.keys(raw.unit_of_work).filter((k) => k !== 'declared');
    if (others.length > 0) {
      problems.warn(
        '/unit_of_work/declared',
        'unused',
        `declared is not true, so ${others.join(', ')} are ignored`,
      );
    }
  }

  // config_schema must itself be a valid JSON Schema (ADR-0001 step 6).
  if (isObject(raw.config_schema)) {
    try {
      getAjv().compile(raw.config_schema);
    } catch (error) {
      problems.error(
        '/config_schema',
        'schema',
        `is not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

function normaliseExtension(ext: string): string {
  const lower = ext.trim().toLowerCase();
  return lower.startsWith('.') ? lower : `.${lower}`;
}

function unique<T>(values: readonly T[], key: (v: T) => string = String): T[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const k = key(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function normaliseAuth(raw: Raw, http: Raw): McpHttpAuth | undefined {
  const table = isObject(http.auth) ? http.auth : isObject(raw.auth) ? raw.auth : {};
  if (table.type === 'none') return undefined;
  const header = optionalString(table.header) ?? optionalString(http.auth_header);
  const token = optionalString(table.token);
  const tokenEnv =
    optionalString(table.token_env) ??
    optionalString(table.secret_env) ??
    optionalString(http.auth_secret_env);
  if (
    header === undefined &&
    token === undefined &&
    tokenEnv === undefined &&
    table.type === undefined
  ) {
    return undefined;
  }
  const headerName = header ?? 'Authorization';
  const defaultScheme = headerName.toLowerCase() === 'authorization' ? 'Bearer' : null;
  const scheme =
    table.scheme === undefined
      ? defaultScheme
      : table.scheme === null || table.scheme === ''
        ? null
        : String(table.scheme);
  return {
    header: headerName,
    scheme,
    ...(token === undefined ? {} : { token }),
    ...(tokenEnv === undefined ? {} : { token_env: tokenEnv }),
  };
}

/** Build the canonical manifest from a table that passed the schema and the rules. */
function normalise(raw: Raw, source: string): PluginManifest {
  const stdio = isObject(raw.mcp_stdio) ? raw.mcp_stdio : {};
  const http = isObject(raw.mcp_http) ? raw.mcp_http : {};
  const uow = isObject(raw.unit_of_work) ? raw.unit_of_work : {};
  const resources = isObject(raw.resources) ? raw.resources : {};
  const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);
  const bool = (v: unknown, fallback: boolean): boolean => (typeof v === 'boolean' ? v : fallback);

  const dependsOn: DependencyRef[] = unique(
    (Array.isArray(raw.depends_on) ? raw.depends_on : []).map(
      (d): DependencyRef =>
        isString(d)
          ? { name: d }
          : isString((d as Raw).kind)
            ? { name: String((d as Raw).name), kind: String((d as Raw).kind) }
            : { name: String((d as Raw).name) },
    ),
    (d) => `${d.kind ?? ''}/${d.name}`,
  );

  const unitOfWork: UnitOfWorkSpec = {
    declared: bool(uow.declared, false),
    partition_key: optionalString(uow.partition_key) ?? null,
    estimated_duration_sec:
      typeof uow.estimated_duration_sec === 'number' ? uow.estimated_duration_sec : null,
    idempotency_mode: (optionalString(uow.idempotency_mode) ?? 'none') as IdempotencyMode,
    checkpointable: bool(uow.checkpointable, false),
    content_hash: strings(uow.content_hash),
  };

  const command = stdio.command ?? raw.command;
  const mcpStdio: McpStdioSpec | undefined = Array.isArray(command)
    ? {
        command: strings(command),
        env: {
          ...((isObject(raw.env) ? raw.env : {}) as Record<string, string>),
          ...((isObject(stdio.env) ? stdio.env : {}) as Record<string, string>),
        },
        ...(isString(stdio.working_dir) ? { working_dir: stdio.working_dir } : {}),
        ...(typeof stdio.startup_timeout_sec === 'number'
          ? { startup_timeout_sec: stdio.startup_timeout_sec }
          : {}),
      }
    : undefined;

  const url = optionalString(http.url) ?? optionalString(raw.url);
  const auth = normaliseAuth(raw, http);
  const mcpHttp: McpHttpSpec | undefined =
    url === undefined
      ? undefined
      : {
          url,
          ...(auth === undefined ? {} : { auth }),
          headers: (isObject(http.headers) ? { ...http.headers } : {}) as Record<string, string>,
          timeout_sec: num(http.timeout_sec, 60),
          ...(isString(http.tls_ca_bundle) ? { tls_ca_bundle: http.tls_ca_bundle } : {}),
          tls_verify: bool(http.tls_verify, true),
          retry_attempts: num(http.retry_attempts, 3),
          circuit_breaker_threshold: num(http.circuit_breaker_threshold, 5),
          circuit_breaker_cooldown_sec: num(http.circuit_breaker_cooldown_sec, 30),
        };

  const chainWrap: ChainWrapSpec | undefined = isObject(raw.chain_wrap)
    ? {
        kinds: raw.chain_wrap.kinds === undefined ? ['*'] : unique(strings(raw.chain_wrap.kinds)),
        hooks: raw.chain_wrap.hooks === undefined ? ['*'] : unique(strings(raw.chain_wrap.hooks)),
      }
    : undefined;

  const optionalText = (key: string): Record<string, string> =>
    isString(raw[key]) ? { [key]: raw[key] as string } : {};

  const manifest: PluginManifest = {
    schema_version: MANIFEST_SCHEMA_VERSION,
    name: String(raw.name),
    kind: String(raw.kind),
    kind_api_version: raw.kind_api_version === undefined ? '1' : String(raw.kind_api_version),
    core_version: String(raw.core_version).trim(),
    runtime: unique(runtimesOf(raw)),
    ...optionalText('version'),
    ...optionalText('description'),
    ...optionalText('license'),
    ...optionalText('maintainer'),
    ...optionalText('homepage'),
    authors: strings(raw.authors),
    capabilities: unique(strings(raw.capabilities)),
    priority: num(raw.priority, 0),
    depends_on: dependsOn,
    tryfirst: bool(raw.tryfirst, false),
    trylast: bool(raw.trylast, false),
    startup_timeout_sec: num(raw.startup_timeout_sec, 30),
    teardown_timeout_sec: num(raw.teardown_timeout_sec, 15),
    health_interval_sec: num(raw.health_interval_sec, 30),
    supports_languages: unique(strings(raw.supports_languages).map((l) => l.trim().toLowerCase())),
    supports_extensions: unique(strings(raw.supports_extensions).map(normaliseExtension)),
    supports_mime_types: unique(
      strings(raw.supports_mime_types).map((m) => m.trim().toLowerCase()),
    ),
    supports: (isObject(raw.supports) ? { ...raw.supports } : {}) as Record<string, boolean>,
    fallback: bool(raw.fallback, false),
    execution_model: (optionalString(raw.execution_model) ?? 'sync') as ExecutionModel,
    in_process_only: bool(raw.in_process_only, false),
    resources: {
      required: unique(strings(resources.required)),
      optional: unique(strings(resources.optional)),
    },
    unit_of_work: unitOfWork,
    ...(isString(raw.entry_point) ? { entry_point: raw.entry_point.trim() } : {}),
    ...optionalText('health_check'),
    ...(isObject(raw.config_schema) ? { config_schema: raw.config_schema as JsonObject } : {}),
    ...(chainWrap === undefined ? {} : { chain_wrap: chainWrap }),
    ...(mcpStdio === undefined ? {} : { mcp_stdio: mcpStdio }),
    ...(mcpHttp === undefined ? {} : { mcp_http: mcpHttp }),
    metadata: (isObject(raw.metadata) ? raw.metadata : {}) as JsonObject,
    source,
  };
  return deepFreeze(manifest);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Clone a parsed document into plain JSON data (TOML dates become ISO strings). */
function toPlainJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlainJson);
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (typeof value === 'bigint') return Number(value);
  if (isObject(value)) {
    const out: Raw = {};
    for (const [k, v] of Object.entries(value)) out[k] = toPlainJson(v);
    return out;
  }
  return value;
}

/**
 * Validate a manifest object (the plugin table: the contents of `[plugin]`,
 * a JSON manifest, an inline object) and normalise it to the canonical
 * {@link PluginManifest}. Never throws: every problem is in the result, each
 * with a JSON pointer relative to the plugin table.
 * @since 0.1.0
 */
export function validateManifest(
  input: unknown,
  options: ValidateManifestOptions = {},
): ManifestResult {
  const source = options.source ?? 'inline';
  const problems = new ProblemList(source);
  const name = isObject(input) && isString(input.name) ? input.name : undefined;
  if (!isObject(input)) {
    problems.error(
      '',
      'type',
      `a manifest must be a table/object, got ${Array.isArray(input) ? 'a list' : input === null ? 'null' : typeof input}`,
    );
    return { ok: false, problems: problems.errors, warnings: [], source };
  }
  const raw = toPlainJson(input) as Raw;
  for (const problem of schemaProblems(raw, source)) problems.errors.push(problem);
  checkRules(raw, problems);
  if (problems.errors.length > 0) {
    return {
      ok: false,
      problems: sortProblems(problems.errors, raw),
      warnings: problems.warnings,
      source,
      ...(name === undefined ? {} : { name }),
    };
  }
  return { ok: true, manifest: normalise(raw, source), warnings: problems.warnings };
}

/** Order problems by the position of their field in the document. */
function sortProblems(list: readonly ManifestProblem[], raw: Raw): ManifestProblem[] {
  const order = Object.keys(raw);
  const rank = (p: ManifestProblem): number => {
    const first = p.pointer.split('/')[1] ?? '';
    const index = order.indexOf(first.replace(/~1/g, '/').replace(/~0/g, '~'));
    return index === -1 ? order.length : index;
  };
  return [...list].sort((a, b) => rank(a) - rank(b) || a.pointer.localeCompare(b.pointer));
}
