// The error class of this package: OAuthTokenError, the PluginUnavailable a
// caller gets when the runtime could not get an OAuth access token for a
// plugin, and its guard. A leaf: it imports the API package only.
import { isPluginError, type PluginErrorOptions, PluginUnavailable } from '@dagstack/plugin-api';

/**
 * Options of {@link OAuthTokenError}.
 * @since 0.2.0
 */
export interface OAuthTokenErrorOptions extends PluginErrorOptions {
  /** The plugin the token was for. */
  readonly plugin: string;
  /** The plugin's state at the time, when known (`degraded` during calls). */
  readonly state?: string;
  /** Why no token could be had: one sentence naming the token endpoint. */
  readonly reason: string;
  /** The token endpoint, without query string or fragment, when it is known. */
  readonly tokenUrl?: string | undefined;
  /** The OAuth `error` code the token endpoint answered (`invalid_client`, ...). */
  readonly oauthError?: string | undefined;
  /** The token endpoint's `error_description`, bounded and without control characters. */
  readonly oauthErrorDescription?: string | undefined;
  /** The HTTP status of the token endpoint's answer, when it answered. */
  readonly httpStatus?: number | undefined;
}

/**
 * An `mcp_http` plugin is not available because the runtime could not get
 * an OAuth access token for it (the client-credentials grant of
 * `auth.type = "oauth2_client_credentials"`): the token endpoint refused
 * the client (`oauthError` `invalid_client`, `unauthorized_client`,
 * `invalid_scope`, ...), answered without a usable token, or could not be
 * reached (then the runtime keeps trying, as for a service that cannot be
 * reached). It is a `PluginUnavailable` (`isPluginUnavailable` holds), with
 * the token endpoint and the OAuth error; it never carries the client
 * secret or a token.
 * @since 0.2.0
 */
export class OAuthTokenError extends PluginUnavailable {
  /** Stable code of the class. */
  static override readonly code: string = 'OAUTH_TOKEN_FAILED';
  /** The token endpoint, without query string or fragment, when it is known. */
  readonly tokenUrl: string | undefined;
  /** The OAuth `error` code the token endpoint answered, when it answered one. */
  readonly oauthError: string | undefined;
  /** The token endpoint's `error_description`, when it gave one. */
  readonly oauthErrorDescription: string | undefined;
  /** The HTTP status of the token endpoint's answer, when it answered. */
  readonly httpStatus: number | undefined;

  constructor(options: OAuthTokenErrorOptions) {
    super(options);
    this.tokenUrl = options.tokenUrl;
    this.oauthError = options.oauthError;
    this.oauthErrorDescription = options.oauthErrorDescription;
    this.httpStatus = options.httpStatus;
  }

  /** The fields of `PluginUnavailable`, and the token endpoint's ones that are known. */
  protected override details(): Record<string, unknown> {
    const out = super.details();
    if (this.tokenUrl !== undefined) out.tokenUrl = this.tokenUrl;
    if (this.oauthError !== undefined) out.oauthError = this.oauthError;
    if (this.oauthErrorDescription !== undefined)
      out.oauthErrorDescription = this.oauthErrorDescription;
    if (this.httpStatus !== undefined) out.httpStatus = this.httpStatus;
    return out;
  }
}

/**
 * Whether `value` is an {@link OAuthTokenError} (from any copy of this package).
 * @since 0.2.0
 */
export function isOAuthTokenError(value: unknown): value is OAuthTokenError {
  return isPluginError(value, OAuthTokenError.code);
}
