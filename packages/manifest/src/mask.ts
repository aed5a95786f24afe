/**
 * The text that replaces a secret in printed output.
 * @since 0.1.0
 */
export const MASK = '***';

/**
 * Keys whose values are secrets: `api_key`, `password`, `secret`, `token`,
 * anything ending in `_secret`, `_token`, `_password`, `_key` of an API, and
 * HTTP credential headers. Names of environment variables (`token_env`,
 * `auth_secret_env`) are not secrets and stay visible.
 */
const SECRET_KEY =
  /^(?:api[_-]?key|apikey|password|passwd|pwd|secret|token|bearer|access[_-]?token|refresh[_-]?token|client[_-]?secret|private[_-]?key|authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-api-token|x-auth-token)$|[_-](?:secret|token|password|passwd|api[_-]?key)$/i;

/**
 * Whether a key names a secret-bearing field.
 * @since 0.1.0
 */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

function maskUrl(text: string): string {
  // https://user:password@host -> https://user:***@host
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^/@\s]*@/i, `$1:${MASK}@`);
}

/**
 * A deep copy of `value` with every secret replaced by {@link MASK}: values of
 * secret-named keys (see {@link isSecretKey}), the credential of an `auth`
 * table, the value of the header an `auth` table names, and passwords written
 * into URLs. Use it whenever a manifest or a configuration is printed or
 * logged. Cycles are cut, not followed.
 * @since 0.1.0
 */
export function maskSecrets<T>(value: T): T {
  const seen = new WeakSet<object>();
  const walk = (
    current: unknown,
    key: string | undefined,
    authHeader: string | undefined,
  ): unknown => {
    if (typeof current === 'string') {
      if (key !== undefined && (isSecretKey(key) || key.toLowerCase() === authHeader)) return MASK;
      return maskUrl(current);
    }
    if (typeof current !== 'object' || current === null) {
      return key !== undefined && isSecretKey(key) && current !== null && current !== undefined
        ? MASK
        : current;
    }
    if (seen.has(current)) return '[Circular]';
    seen.add(current);
    if (Array.isArray(current)) {
      const out = current.map((item) => walk(item, key, authHeader));
      seen.delete(current);
      return out;
    }
    const record = current as Record<string, unknown>;
    // An auth table names the header that carries its credential; mask that
    // header wherever it appears beside it (e.g. in a `headers` table).
    const header =
      typeof record.header === 'string'
        ? record.header.toLowerCase()
        : typeof record.auth_header === 'string'
          ? record.auth_header.toLowerCase()
          : authHeader;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) {
      if (key === 'auth' && k === 'token') out[k] = MASK;
      else out[k] = walk(v, k, header);
    }
    seen.delete(current);
    return out;
  };
  return walk(value, undefined, undefined) as T;
}
