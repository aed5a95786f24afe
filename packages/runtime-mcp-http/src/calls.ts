// Hook calls of one handle: the fast path straight to the current session,
// and what follows a failed call: a retry of what the service did not accept
// (with backoff, cut short by the call's signal), one resend on a new session
// after the service lost the old one, and the failure counted. It holds no
// state besides its policy: the session is connection.ts's and the counts
// are breaker.ts's, used through their methods only.
import {
  type HookCall,
  HookCancelled,
  isHookTimeout,
  isPluginError,
  isPluginInvocationError,
  type Logger,
  type McpHttpSpec,
  type PluginManifest,
  type PluginRegistryError,
} from '@dagstack/plugin-api';
import type { Breaker } from './breaker.js';
import type { Connection } from './connection.js';
import { backoff, sleep } from './delays.js';
import type { Failure } from './failures.js';
import type { HttpSettings, Live } from './handle-types.js';

/**
 * Whether a failed exchange says something about the service rather than
 * about one request: no connection, a broken one, a 5xx, refused
 * credentials, a session it keeps losing, 408/429. Other 4xx answers are the
 * request's own problem.
 */
function degrades(failure: Failure | undefined): boolean {
  if (failure === undefined) return true;
  const status = failure.status;
  if (status === undefined || failure.auth || failure.sessionLost) return true;
  return status < 400 || status >= 500 || status === 408 || status === 429;
}

/** The hook calls of one handle (see the module comment). */
export class Calls {
  readonly #manifest: PluginManifest;
  readonly #logger: Logger;
  readonly #settings: HttpSettings;
  readonly #connection: Connection;
  readonly #breaker: Breaker;
  readonly #retryAttempts: number;
  /** {@link Breaker.succeeded}, kept at hand for the fast path. */
  readonly #ok: (value: unknown) => unknown;

  constructor(
    manifest: PluginManifest,
    spec: McpHttpSpec,
    logger: Logger,
    settings: HttpSettings,
    connection: Connection,
    breaker: Breaker,
  ) {
    this.#manifest = manifest;
    this.#logger = logger;
    this.#settings = settings;
    this.#connection = connection;
    this.#breaker = breaker;
    this.#retryAttempts = settings.retryAttempts ?? spec.retry_attempts;
    this.#ok = breaker.succeeded;
  }

  invoke(hook: string, input: unknown, call: HookCall): Promise<unknown> {
    const connection = this.#connection;
    const live = connection.live;
    if (
      connection.state === 'up' &&
      live !== undefined &&
      connection.reestablishing === undefined
    ) {
      return live.session
        .invoke(hook, input, call)
        .then(this.#ok, (error: unknown) => this.#failed(error, live, hook, input, call, 0, false));
    }
    return this.#invokeSlow(hook, input, call, 0, false);
  }

  async #invokeSlow(
    hook: string,
    input: unknown,
    call: HookCall,
    attempt: number,
    renewed: boolean,
  ): Promise<unknown> {
    const reestablishing = this.#connection.reestablishing;
    if (reestablishing !== undefined && this.#connection.state === 'up') {
      try {
        await reestablishing;
      } catch {
        // The call then fails below or on its own attempt.
      }
    }
    const live = this.#connection.live;
    if (this.#connection.state !== 'up' || live === undefined) throw this.#breaker.unavailable();
    try {
      return this.#ok(await live.session.invoke(hook, input, call));
    } catch (error) {
      return this.#failed(error, live, hook, input, call, attempt, renewed);
    }
  }

  /** A call failed: retry what is safe to retry, re-open a lost session, count the rest. */
  async #failed(
    error: unknown,
    live: Live,
    hook: string,
    input: unknown,
    call: HookCall,
    attempt: number,
    renewed: boolean,
  ): Promise<unknown> {
    const failure = this.#connection.failureOf(error);
    if (failure === undefined) {
      // The plugin's own error, a cancellation, a deadline: the service answered.
      if (isHookTimeout(error) && !call.signal.aborted) this.#breaker.recordFailure(error, false);
      // The plugin's own error came back over the wire: the service answers,
      // which ends a run of transport failures as a success does.
      else if (isPluginInvocationError(error)) this.#ok(undefined);
      throw error;
    }
    if (failure.sessionLost && !renewed && this.#connection.state === 'up') {
      try {
        await this.#connection.reestablish(live);
      } catch (reopenError) {
        const typed = isPluginError(reopenError)
          ? reopenError
          : this.#connection.connectError(reopenError, 0);
        const reopenFailure = this.#connection.failureOf(typed);
        if (reopenFailure?.retryable === true && attempt < this.#retryAttempts) {
          return this.#retry(hook, input, call, attempt, false, typed);
        }
        this.#breaker.recordFailure(typed, true);
        throw typed;
      }
      // 404 (or a 400 about the session) on a known session: the request was
      // never processed, so it is sent once more on the new session.
      return this.#invokeSlow(hook, input, call, attempt, true);
    }
    if (failure.retryable && attempt < this.#retryAttempts && this.#connection.state === 'up') {
      return this.#retry(hook, input, call, attempt, renewed, error as PluginRegistryError);
    }
    this.#breaker.recordFailure(error as PluginRegistryError, degrades(failure));
    throw error;
  }

  async #retry(
    hook: string,
    input: unknown,
    call: HookCall,
    attempt: number,
    renewed: boolean,
    error: PluginRegistryError,
  ): Promise<unknown> {
    const delay = backoff(
      attempt,
      this.#settings.retryInitialDelayMs,
      this.#settings.retryMaxDelayMs,
    );
    this.#logger.debug('retrying a call the service did not accept', {
      hook,
      attempt: attempt + 1,
      of: this.#retryAttempts,
      delayMs: Math.round(delay),
      error: error.message,
    });
    try {
      await sleep(delay, call.signal);
    } catch (reason) {
      throw isPluginError(reason)
        ? reason
        : new HookCancelled({
            plugin: this.#manifest.name,
            kind: this.#manifest.kind,
            hook,
            cause: reason,
          });
    }
    return this.#invokeSlow(hook, input, call, attempt + 1, renewed);
  }
}
