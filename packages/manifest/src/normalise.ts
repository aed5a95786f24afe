// Normalisation: a table that passed the schema and the rules becomes the
// canonical PluginManifest (spec decisions M4-M17): defaults filled, variants
// folded into one shape, deep-frozen.
import {
  type ChainWrapSpec,
  type DependencyRef,
  type ExecutionModel,
  type IdempotencyMode,
  type JsonObject,
  MANIFEST_SCHEMA_VERSION,
  type McpHttpAuth,
  type McpHttpSpec,
  type McpStdioSpec,
  type PluginManifest,
  type UnitOfWorkSpec,
} from '@dagstack/plugin-api';
import { OAUTH_CLIENT_CREDENTIALS } from './auth-rules.js';
import { isObject, isString, runtimesOf } from './rules.js';

type Raw = Record<string, unknown>;

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter(isString) : []);
const optionalString = (v: unknown): string | undefined => (isString(v) ? v : undefined);

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

/**
 * The canonical `auth` of the OAuth 2.1 client-credentials grant (spec
 * decision H1): the token fields of {@link McpHttpAuth} fixed to
 * `Authorization: Bearer`, and where the runtime gets the token. Secrets are
 * named by environment variable only.
 */
interface ClientCredentialsAuth extends McpHttpAuth {
  readonly type: typeof OAUTH_CLIENT_CREDENTIALS;
  readonly token_url?: string;
  readonly client_id?: string;
  readonly client_id_env?: string;
  readonly client_secret_env: string;
  readonly scope?: string;
  readonly resource?: string;
  readonly token_endpoint_auth_method?: McpHttpAuth['token_endpoint_auth_method'];
}

function normaliseClientCredentials(table: Raw): ClientCredentialsAuth {
  /** `{ [key]: value }` when the table has a string there, else nothing. */
  const given = <TKey extends string>(key: TKey): { [K in TKey]?: string } => {
    const value = optionalString(table[key]);
    return (value === undefined ? {} : { [key]: value }) as { [K in TKey]?: string };
  };
  return {
    type: OAUTH_CLIENT_CREDENTIALS,
    header: 'Authorization',
    scheme: 'Bearer',
    ...given('token_url'),
    ...given('client_id'),
    ...given('client_id_env'),
    client_secret_env: String(table.client_secret_env),
    ...given('scope'),
    ...given('resource'),
    // The rules admit only the two methods (auth-rules.ts).
    ...(given('token_endpoint_auth_method') as Pick<
      ClientCredentialsAuth,
      'token_endpoint_auth_method'
    >),
  };
}

function normaliseAuth(raw: Raw, http: Raw): McpHttpAuth | undefined {
  const table = isObject(http.auth) ? http.auth : isObject(raw.auth) ? raw.auth : {};
  if (table.type === 'none') return undefined;
  if (table.type === OAUTH_CLIENT_CREDENTIALS) return normaliseClientCredentials(table);
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
export function normalise(raw: Raw, source: string): PluginManifest {
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

/** Freeze `value` and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
