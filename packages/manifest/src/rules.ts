// The rules a JSON Schema cannot say: runtime-specific fields, ordering,
// flat-vs-table conflicts, `entry_point` and `core_version` forms, a
// `config_schema` that is itself a JSON Schema, and the warnings. Every rule
// is linear in the size of the table; names and values quoted in messages
// are bounded and secret-free (problems.ts).
import { MIDDLEWARE_PRIORITY_FLOOR, type Runtime } from '@dagstack/plugin-api';
import { checkAuth } from './auth-rules.js';
import { parseEntryPoint } from './entry-point.js';
import { describeValue, type ProblemList, pointer, quote } from './problems.js';
import { getAjv } from './schema.js';
import { parseVersionSpec } from './version-spec.js';

type Raw = Record<string, unknown>;

const SCHEMA_VERSIONS = new Set(['1', '1.0', '1.0.0']);
const MCP_RUNTIMES: readonly Runtime[] = ['mcp_stdio', 'mcp_http'];
const RUNTIME_NAMES: ReadonlySet<unknown> = new Set(['in_process', 'mcp_stdio', 'mcp_http']);
/** A specifier set is a few clauses; longer text is not parsed (parsing is linear, but slow per character). */
const MAX_CORE_VERSION = 1024;
/** JSON Schema 2020-12, the dialect of a config_schema that names none. */
const DEFAULT_META = 'https://json-schema.org/draft/2020-12/schema';

export const isObject = (v: unknown): v is Raw =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const isString = (v: unknown): v is string => typeof v === 'string';
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter(isString) : []);
const optionalString = (v: unknown): string | undefined => (isString(v) ? v : undefined);

/** The runtimes a table names, in its order (unknown names left out). */
export function runtimesOf(raw: Raw): Runtime[] {
  const r = raw.runtime;
  const list = Array.isArray(r) ? r : [r];
  return list.filter(
    (x): x is Runtime => x === 'in_process' || x === 'mcp_stdio' || x === 'mcp_http',
  );
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** "a, b, c and 12 more": a bounded list of names for a message. */
function someNames(names: readonly string[]): string {
  const shown = names.slice(0, 5).map(quote).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}

/** Cross-field rules: what the schema alone cannot say. */
export function checkRules(raw: Raw, problems: ProblemList): void {
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
      `schema_version ${describeValue(raw.schema_version)} is not supported; this binding reads "1"`,
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
  } else if (isString(raw.core_version) && raw.core_version.length > MAX_CORE_VERSION) {
    problems.error(
      '/core_version',
      'maxLength',
      `is longer than ${MAX_CORE_VERSION} characters; a specifier set is a few clauses such as ">=0.1.0,<1.0.0"`,
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

  // A runtime listed twice (checked here, not by the schema: see schema.ts).
  if (Array.isArray(raw.runtime) && raw.runtime.every((r) => RUNTIME_NAMES.has(r))) {
    if (new Set(raw.runtime).size < raw.runtime.length) {
      problems.error('/runtime', 'uniqueItems', 'lists the same value twice');
    }
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
          `${quote(name)} is listed twice; the repeat is ignored`,
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
      problems.error(
        at,
        'format',
        `${quote(httpUrl)} is not an absolute URL (e.g. "https://host/mcp")`,
      );
    }
    if (parsed !== undefined && parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      problems.error(
        at,
        'format',
        `must be an http:// or https:// URL, got ${quote(parsed.protocol)}`,
      );
    }
    if (parsed !== undefined && (parsed.username !== '' || parsed.password !== '')) {
      problems.error(
        at,
        'secret',
        'must not carry credentials; use [plugin.mcp_http] auth with token_env',
      );
    }
  }
  checkAuth(raw, http, problems);
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
          `${quote(name)} is already required`,
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
        `declared is not true, so ${someNames(others)} ${others.length === 1 ? 'is' : 'are'} ignored`,
      );
    }
  }

  // config_schema must itself be a valid JSON Schema (ADR-0001 step 6).
  if (isObject(raw.config_schema)) checkConfigSchema(raw.config_schema, problems);
}

/**
 * Check a config_schema against its meta-schema (JSON Schema 2020-12 unless
 * `$schema` names another that ajv knows). Validated, not compiled: checking
 * against the meta-schema is linear in the schema's size, while compiling
 * generates code (50 properties took 70 ms, 20,000 took 6 s) and registers
 * the schema in ajv for good (the second validation of a config_schema with
 * an `$id` then failed with "already exists"). The registry compiles the
 * schema when it validates the configuration, and reports what only
 * compiling finds (an unresolvable `$ref`).
 */
function checkConfigSchema(schema: Raw, problems: ProblemList): void {
  const ajv = getAjv();
  const meta = schema.$schema ?? DEFAULT_META;
  let known: boolean;
  try {
    known = typeof meta === 'string' && ajv.getSchema(meta) !== undefined;
  } catch {
    known = false;
  }
  if (!known) {
    problems.error(
      '/config_schema',
      'schema',
      `is not a valid JSON Schema: its $schema ${describeValue(meta)} is not a meta-schema this binding knows; write JSON Schema 2020-12 and leave $schema out (or set it to "${DEFAULT_META}")`,
    );
    return;
  }
  let valid: boolean;
  try {
    valid = ajv.validate(meta as string, schema) as boolean;
  } catch (error) {
    problems.error(
      '/config_schema',
      'schema',
      `is not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`,
    );
    return;
  }
  if (valid) return;
  const errors = ajv.errors ?? [];
  const listed = errors
    .slice(0, 3)
    .map((e) => `${e.instancePath === '' ? '(top)' : e.instancePath} ${e.message ?? e.keyword}`)
    .join('; ');
  const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : '';
  problems.error('/config_schema', 'schema', `is not a valid JSON Schema: ${listed}${more}`);
}
