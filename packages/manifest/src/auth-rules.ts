// The rules of an `mcp_http` `auth` table the JSON Schema cannot say (spec
// decisions M8, H1): which keys each form takes, the secrets that must stay
// out of the manifest, and the URLs of the OAuth client-credentials grant.
// Messages quote no value (a secret-named key's value is never quoted).
import { type ProblemList, pointer, quote } from './problems.js';

type Raw = Record<string, unknown>;

/** The `type` of the OAuth 2.1 client-credentials grant (RFC 6749 §4.4). */
export const OAUTH_CLIENT_CREDENTIALS = 'oauth2_client_credentials';

/** Keys of the token forms (`bearer`, `header`, no `type`). */
const TOKEN_KEYS: readonly string[] = ['header', 'scheme', 'token', 'token_env', 'secret_env'];

/** Keys of the client-credentials grant besides `type`. */
const OAUTH_KEYS: readonly string[] = [
  'token_url',
  'client_id',
  'client_id_env',
  'client_secret_env',
  'scope',
  'resource',
  'token_endpoint_auth_method',
];

const KNOWN_KEYS: ReadonlySet<string> = new Set(['type', ...TOKEN_KEYS, ...OAUTH_KEYS]);

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

/**
 * Check the `auth` table of `[plugin.mcp_http]` (or the flat `auth`), and
 * the flat `auth_header` / `auth_secret_env` beside it.
 */
export function checkAuth(raw: Raw, http: Raw, problems: ProblemList): void {
  const auth = isObject(http.auth) ? http.auth : isObject(raw.auth) ? raw.auth : undefined;
  if (auth === undefined) return;
  const authAt = isObject(http.auth) ? '/mcp_http/auth' : '/auth';
  const at = (key: string): string => pointer(...authAt.slice(1).split('/'), key);
  for (const key of Object.keys(auth)) {
    if (key === 'client_secret') {
      problems.error(
        at(key),
        'secret',
        'a client secret must not be written in the manifest: keep it in the environment and name the variable in client_secret_env',
      );
    } else if (!KNOWN_KEYS.has(key)) {
      problems.warn(at(key), 'unknown', `unknown auth field ${quote(key)} is ignored`);
    }
  }
  if (auth.type === OAUTH_CLIENT_CREDENTIALS) {
    checkClientCredentials(auth, http, at, problems);
    return;
  }
  const oauthKey = OAUTH_KEYS.find((key) => auth[key] !== undefined);
  if (oauthKey !== undefined) {
    problems.error(
      at('type'),
      'required',
      `${quote(oauthKey)} belongs to the OAuth client-credentials grant: add type = "${OAUTH_CLIENT_CREDENTIALS}" to the auth table`,
    );
  }
  if (isString(auth.token)) {
    problems.warn(
      at('token'),
      'secret',
      'the token is written in the manifest; prefer token_env and keep the secret in the environment',
    );
  }
}

function checkClientCredentials(
  auth: Raw,
  http: Raw,
  at: (key: string) => string,
  problems: ProblemList,
): void {
  for (const key of TOKEN_KEYS) {
    if (auth[key] !== undefined) {
      problems.error(
        at(key),
        'conflict',
        `${quote(key)} is not used with type = "${OAUTH_CLIENT_CREDENTIALS}": the runtime gets the token from the token endpoint and sends it as "Authorization: Bearer"`,
      );
    }
  }
  for (const flat of ['auth_header', 'auth_secret_env']) {
    if (http[flat] !== undefined) {
      problems.error(
        pointer('mcp_http', flat),
        'conflict',
        `${quote(flat)} is not used with type = "${OAUTH_CLIENT_CREDENTIALS}"; remove it`,
      );
    }
  }
  if (auth.client_secret_env === undefined && auth.client_secret === undefined) {
    problems.error(
      at('client_secret_env'),
      'required',
      'the client-credentials grant needs client_secret_env: the environment variable that holds the client secret',
    );
  }
  if (auth.token_url === undefined) {
    // Not discovered from the service's metadata: the secret goes only where the manifest says.
    problems.error(
      at('token_url'),
      'required',
      "the client-credentials grant needs token_url: the authorization server's token endpoint",
    );
  }
  if (auth.client_id === undefined && auth.client_id_env === undefined) {
    problems.error(
      at('client_id'),
      'required',
      'the client-credentials grant needs the client id: client_id, or client_id_env naming the environment variable that holds it',
    );
  } else if (auth.client_id !== undefined && auth.client_id_env !== undefined) {
    problems.error(at('client_id_env'), 'conflict', 'give client_id or client_id_env, not both');
  }
  if (isString(auth.token_url)) checkUrl(auth.token_url, at('token_url'), true, problems);
  if (isString(auth.resource)) checkUrl(auth.resource, at('resource'), false, problems);
}

/** An absolute http(s) URL without credentials (and, for a resource indicator, no fragment). */
function checkUrl(text: string, at: string, tokenEndpoint: boolean, problems: ProblemList): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.error(at, 'format', `${quote(text)} is not an absolute URL`);
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.error(at, 'format', `must be an http:// or https:// URL, got ${quote(url.protocol)}`);
    return;
  }
  if (url.username !== '' || url.password !== '') {
    problems.error(
      at,
      'secret',
      'must not carry credentials; the client id and secret come from client_id(_env) and client_secret_env',
    );
  }
  if (!tokenEndpoint && url.hash !== '') {
    problems.error(at, 'format', 'a resource indicator has no fragment (RFC 8707)');
  }
  if (tokenEndpoint && url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    problems.warn(
      at,
      'security',
      'the client secret would cross the network unencrypted: use an https:// token_url outside development',
    );
  }
}
