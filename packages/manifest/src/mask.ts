// Secret masking: which keys hold secrets, the text that replaces them, and
// the masked copy of a value. Problem messages use the same rules
// (problems.ts), so nothing printed about a manifest shows a secret.

/**
 * The text that replaces a secret in printed output: `[MASKED]`, as the
 * other bindings print it (the spec's configuration guide; spec decision M19).
 * @since 0.1.0
 */
export const MASK = '[MASKED]';

/**
 * The spec's secret names (`api_key`, `secret_key`, `access_token`,
 * `password`, `client_secret`, and any name ending in `_secret`, `_token`,
 * `_password`, `_key`), case-insensitive, plus the credential names this
 * binding always masked (`secret`, `token`, `passwd`, `pwd`, `bearer`,
 * `private_key`, HTTP credential headers, `-` spellings of the suffixes).
 */
const SECRET_KEY =
  /^(?:api[_-]?key|apikey|secret[_-]?key|access[_-]?token|refresh[_-]?token|client[_-]?secret|private[_-]?key|password|passwd|pwd|secret|token|bearer|authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-api-token|x-auth-token)$|[_-](?:secret|token|password|passwd|key)$/i;

/** The same suffixes in camelCase (`apiKey`, `clientSecret`, `githubToken`), as JSON manifests write them. */
const CAMEL_SECRET_KEY = /[a-z0-9](?:Secret|Token|Password|Passwd|Key)$/;

/**
 * The spec's own field names that end in `_key` but hold no secret: the
 * unit-of-work fields of manifests and call metadata (`partition_key`,
 * `idempotency_key`, `checkpoint_key`, in either spelling).
 */
const NOT_SECRET = new Set([
  'partition_key',
  'partitionkey',
  'idempotency_key',
  'idempotencykey',
  'checkpoint_key',
  'checkpointkey',
]);

/**
 * Whether a key names a secret-bearing field (spec decision M20): `api_key`,
 * `secret_key`, `access_token`, `password`, `client_secret`, any name ending
 * in `_secret`, `_token`, `_password` or `_key` (case-insensitive, `-` as
 * well as `_`, and the camelCase forms such as `apiKey`), plus `secret`,
 * `token`, `passwd`, `pwd`, `bearer` and the HTTP credential headers
 * (`Authorization`, `Cookie`, `X-API-Key`, ...). Names of environment
 * variables (`token_env`, `auth_secret_env`) are not secrets and stay visible,
 * and so do the spec's own unit-of-work keys (`partition_key`,
 * `idempotency_key`, `checkpoint_key`).
 * @since 0.1.0
 */
export function isSecretKey(key: string): boolean {
  if (NOT_SECRET.has(key.toLowerCase())) return false;
  return SECRET_KEY.test(key) || CAMEL_SECRET_KEY.test(key);
}

const isTable = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Whether the value under `key` is a secret whatever its type. `auth` holds
 * the credentials of an `mcp_http` plugin: as a table its fields are judged
 * one by one, anything else under it (a bare token string, a list) is masked.
 * `null` says "no value" and is shown as it is.
 */
export function isSecretEntry(key: string, value: unknown, authHeader?: string): boolean {
  if (value === null || value === undefined) return false;
  if (isSecretKey(key)) return true;
  if (key === 'auth' && !isTable(value)) return true;
  return authHeader !== undefined && authHeader !== '' && key.toLowerCase() === authHeader;
}

/**
 * The header an `auth` table (or the flat `auth_header`) names as the carrier
 * of the credential, lower-cased: its value is masked in a `headers` table
 * beside it.
 */
export function authHeaderOf(record: Record<string, unknown>, inherited?: string): string {
  const auth = isTable(record.auth) ? record.auth : undefined;
  const named =
    typeof record.auth_header === 'string'
      ? record.auth_header
      : typeof auth?.header === 'string'
        ? auth.header
        : typeof record.header === 'string'
          ? record.header
          : undefined;
  return named === undefined ? (inherited ?? '') : named.toLowerCase();
}

/** `https://user:password@host` → `https://user:[MASKED]@host`. */
export function maskUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^/@\s]*@/i, `$1:${MASK}@`);
}

/**
 * A deep copy of `value` with every secret replaced by {@link MASK}: the
 * value of a secret-named key (see {@link isSecretKey}) whatever its type
 * (string, number, list, table: the whole value goes), a non-table `auth`,
 * the value of the header an `auth` table or `auth_header` names, and
 * passwords written into URLs. `null` stays `null`. Use it whenever a
 * manifest or a configuration is printed or logged. Cycles are cut, not
 * followed.
 * @since 0.1.0
 */
export function maskSecrets<T>(value: T): T {
  const seen = new WeakSet<object>();
  const walk = (current: unknown, key: string | undefined, authHeader: string): unknown => {
    if (key !== undefined && isSecretEntry(key, current, authHeader)) return MASK;
    if (typeof current === 'string') return maskUrl(current);
    if (typeof current !== 'object' || current === null) return current;
    if (seen.has(current)) return '[Circular]';
    seen.add(current);
    let out: unknown;
    if (Array.isArray(current)) {
      out = current.map((item) => walk(item, undefined, authHeader));
    } else {
      const record = current as Record<string, unknown>;
      // An auth table (or auth_header) names the header that carries the
      // credential; mask that header wherever it appears beside it.
      const header = authHeaderOf(record, authHeader);
      const copy: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(record)) copy[k] = walk(v, k, header);
      out = copy;
    }
    seen.delete(current);
    return out;
  };
  return walk(value, undefined, '') as T;
}
