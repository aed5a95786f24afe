// Failure accounting of one handle: failed calls in a row, the `degraded`
// report while calls still go to the service (and `ready` after the next
// success), the circuit breaker, going `down`, background recovery on a
// timer, and the `PluginUnavailable` a call gets while the handle cannot
// serve. The only module that reports states to the registry. It opens and
// closes no session itself: it asks connection.ts, through its methods.
import {
  type Logger,
  type McpHttpSpec,
  type PluginManifest,
  type PluginRegistryError,
  PluginUnavailable,
  type RuntimeLoadOptions,
} from '@dagstack/plugin-api';
import type { Connection } from './connection.js';
import { backoff } from './delays.js';
import { isOAuthTokenError, OAuthTokenError } from './errors.js';
import { displayUrl } from './failures.js';
import type { BreakerState, HttpSettings } from './handle-types.js';

/** The failure accounting of one handle (see the module comment). */
export class Breaker {
  readonly #manifest: PluginManifest;
  readonly #connection: Connection;
  readonly #logger: Logger;
  readonly #report: RuntimeLoadOptions['onStateChange'];
  readonly #settings: HttpSettings;
  /** The service URL as messages show it. */
  readonly #where: string;
  readonly #threshold: number;
  readonly #cooldownMs: number;
  /**
   * What the registry is told while the service is down: `unavailable` when it
   * was never reached (ADR-0001 §Cold start), `degraded` when it was up before.
   */
  #downAs: 'degraded' | 'unavailable' = 'degraded';
  #failures = 0;
  #open = false;
  #probing = false;
  #recoveryAttempt = 0;
  #recoveryTimer: ReturnType<typeof setTimeout> | undefined;
  #nextAttemptAt = 0;
  #downError: PluginRegistryError | undefined;
  /** `degraded` was reported while calls still go to the service (state `up`). */
  #degraded = false;

  /**
   * A call went through (or the plugin's own error came back over the wire):
   * ends a run of failures. Passes `value` on, to serve as a `then` callback.
   */
  readonly succeeded = (value: unknown): unknown => {
    if (this.#failures !== 0) this.#failures = 0;
    if (this.#degraded) this.#recovered();
    return value;
  };

  constructor(
    manifest: PluginManifest,
    spec: McpHttpSpec,
    options: RuntimeLoadOptions,
    settings: HttpSettings,
    url: URL,
    connection: Connection,
  ) {
    this.#manifest = manifest;
    this.#connection = connection;
    this.#logger = options.logger;
    this.#report = options.onStateChange;
    this.#settings = settings;
    this.#where = displayUrl(url);
    this.#threshold = settings.breakerThreshold ?? spec.circuit_breaker_threshold;
    this.#cooldownMs = settings.breakerCooldownMs ?? spec.circuit_breaker_cooldown_sec * 1000;
  }

  /** The breaker's position. */
  get position(): BreakerState {
    return this.#probing ? 'half_open' : this.#open ? 'open' : 'closed';
  }

  /** Failed calls in a row since the last success. */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** Message of the error that took the service down; `undefined` once it is back up. */
  get lastError(): string | undefined {
    return this.#downError?.message;
  }

  /**
   * Count a failed call toward the breaker. `degrade`: the failure was the
   * service's (see `degrades` in calls.ts); the plugin is reported `degraded`
   * while calls still go to the service, and `ready` after the next success.
   */
  recordFailure(error: PluginRegistryError, degrade: boolean): void {
    this.#failures += 1;
    if (this.#connection.state === 'up' && this.#failures < this.#threshold) {
      if (degrade && !this.#degraded) this.#degrade(error);
      return;
    }
    if (this.#connection.state === 'up' && this.#failures >= this.#threshold) {
      this.#logger.error('circuit breaker opened', {
        url: this.#where,
        consecutiveFailures: this.#failures,
        cooldownMs: this.#cooldownMs,
        error: error.message,
      });
      this.goDown(
        new PluginUnavailable({
          plugin: this.#manifest.name,
          kind: this.#manifest.kind,
          state: 'degraded',
          reason: `the circuit breaker opened after ${this.#failures} consecutive failures (last: ${error.message})`,
          hint: `calls fail fast; a trial call goes to the service after ${this.#cooldownMs} ms`,
          cause: error,
        }),
        true,
      );
    }
  }

  /** No usable service: fail calls fast, report `degraded`, recover in the background. */
  goDown(error: PluginRegistryError, breaker: boolean): void {
    this.#degraded = false;
    this.#connection.markDown();
    this.#open = breaker;
    this.#downError = error;
    this.#recoveryAttempt = 0;
    this.#downAs = 'degraded';
    this.#report?.('degraded', error);
    this.#scheduleRecovery(breaker ? this.#cooldownMs : this.#recoveryDelay());
  }

  /**
   * Setup came while the service is down: the plugin is set up on the service
   * when it is reached. The registry applies this report when setup returns:
   * the plugin starts `unavailable` with the reason, and becomes `ready` when
   * the background reconnect succeeds.
   */
  deferSetup(): void {
    this.#downAs = 'unavailable';
    this.#report?.('unavailable', this.#downError);
  }

  /** No more recovery attempts (the handle is stopping). */
  stop(): void {
    if (this.#recoveryTimer !== undefined) clearTimeout(this.#recoveryTimer);
    this.#recoveryTimer = undefined;
  }

  /** The error of a call the handle cannot serve now (down, stopping, stopped, not started). */
  unavailable(): PluginUnavailable {
    const state = this.#connection.state;
    if (state === 'down' && this.#downError !== undefined) {
      return this.#downError instanceof PluginUnavailable
        ? this.#downError
        : new PluginUnavailable({
            plugin: this.#manifest.name,
            kind: this.#manifest.kind,
            state: 'degraded',
            reason: this.#downError.message,
          });
    }
    return new PluginUnavailable({
      plugin: this.#manifest.name,
      kind: this.#manifest.kind,
      state: state === 'stopping' || state === 'stopped' ? state : 'not started',
      ...(state === 'down'
        ? { hint: `next reconnect attempt in ${Math.max(0, this.#nextAttemptAt - Date.now())} ms` }
        : {}),
    });
  }

  /** Calls fail at the transport level but still go out: report `degraded`. */
  #degrade(error: PluginRegistryError): void {
    this.#degraded = true;
    const reason =
      error instanceof PluginUnavailable ? (error.reason ?? error.message) : error.message;
    this.#logger.warn('calls to the plugin service fail; reporting the plugin degraded', {
      url: this.#where,
      consecutiveFailures: this.#failures,
      error: error.message,
    });
    this.#report?.(
      'degraded',
      new PluginUnavailable({
        plugin: this.#manifest.name,
        kind: this.#manifest.kind,
        state: 'degraded',
        reason: `calls to ${this.#where} fail (${this.#failures} in a row; last: ${reason})`,
        hint: `the runtime keeps sending calls, opens the circuit breaker after ${this.#threshold} failures in a row, and reports the plugin ready after the next call that succeeds`,
        cause: error,
      }),
    );
  }

  /** A call succeeded after {@link #degrade}: report `ready` again. */
  #recovered(): void {
    this.#degraded = false;
    if (this.#connection.state !== 'up') return;
    this.#logger.info('calls to the plugin service succeed again', { url: this.#where });
    this.#report?.('ready');
  }

  #recoveryDelay(): number {
    const cap = Math.min(this.#settings.reconnectMaxDelayMs, this.#cooldownMs);
    return backoff(this.#recoveryAttempt, this.#settings.reconnectInitialDelayMs, cap);
  }

  #scheduleRecovery(delayMs: number): void {
    if (this.#recoveryTimer !== undefined) clearTimeout(this.#recoveryTimer);
    this.#nextAttemptAt = Date.now() + delayMs;
    this.#recoveryTimer = setTimeout(() => void this.#recover(), delayMs);
    this.#recoveryTimer.unref?.();
  }

  /** One recovery attempt: ping the session, or open a new one; then `ready` or wait and retry. */
  async #recover(): Promise<void> {
    this.#recoveryTimer = undefined;
    if (this.#connection.state !== 'down') return;
    this.#probing = true;
    try {
      if (!(await this.#connection.restore())) return;
      this.#open = false;
      this.#failures = 0;
      this.#downError = undefined;
      this.#logger.info('the plugin service is reachable again', {
        url: this.#where,
        sessions: this.#connection.sessions,
      });
      this.#report?.('ready');
    } catch (error) {
      if (this.#connection.state !== 'down') return;
      const reason = this.#connection.connectError(error);
      this.#recoveryAttempt += 1;
      const delay = this.#open ? this.#cooldownMs : this.#recoveryDelay();
      const token = isOAuthTokenError(reason) ? reason : undefined;
      const down = {
        plugin: this.#manifest.name,
        kind: this.#manifest.kind,
        state: 'degraded',
        reason: `${this.#open ? 'the circuit breaker is open' : token !== undefined ? 'no access token for the service' : 'the service is not reachable'}; attempt ${this.#recoveryAttempt} failed: ${(reason as PluginUnavailable).reason ?? reason.message}`,
        hint: `the runtime tries again in ${Math.round(delay)} ms`,
      };
      // An OAuth failure keeps its type and its token endpoint fields.
      this.#downError =
        token === undefined
          ? new PluginUnavailable(down)
          : new OAuthTokenError({
              ...down,
              tokenUrl: token.tokenUrl,
              oauthError: token.oauthError,
              oauthErrorDescription: token.oauthErrorDescription,
              httpStatus: token.httpStatus,
            });
      this.#logger.debug('reconnect attempt failed', {
        url: this.#where,
        attempt: this.#recoveryAttempt,
        error: reason.message,
      });
      this.#report?.(this.#downAs, this.#downError);
      this.#scheduleRecovery(delay);
    } finally {
      this.#probing = false;
    }
  }
}
