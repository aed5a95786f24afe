/**
 * Health polling: one interval timer per started plugin (its first check
 * right at start), `checkHealth` and the failure threshold (degraded on a
 * failing check, unavailable after `healthFailureThreshold` failing checks
 * in a row, ready again on `ok`, from unavailable too: polling goes on while
 * a plugin is down for its health). Each state change is logged once.
 *
 * Owns: a record's `health`, `healthFailures`, `healthTimer` and
 * `healthDown` fields.
 * May not touch: any other record field except through `setState`, the
 * registry's private fields, or dispatch (state changes go through the
 * host's `setState`, which refreshes dispatch as the registry decides).
 */

import {
  type HealthStatus,
  HookTimeout,
  type Logger,
  type PluginHandle,
  type PluginRegistryError,
  type PluginState,
  PluginUnavailable,
} from '@dagstack/plugin-api';
import type { PluginRecord } from './record.js';
import { withTimeout } from './timeout.js';

/** The part of a record that health polling reads or updates. */
export type HealthSubject = Pick<
  PluginRecord,
  'manifest' | 'handle' | 'state' | 'health' | 'healthFailures' | 'healthTimer' | 'healthDown'
>;

/** What the health monitor needs from its owner. */
export interface HealthHost<R extends HealthSubject> {
  /** Whether polling is on (`healthChecks !== false`). */
  readonly enabled: boolean;
  /** Failing checks in a row that make a plugin `unavailable`. */
  readonly threshold: number;
  /** Change a record's state (events, error, dispatch refresh). */
  setState(record: R, to: PluginState, error?: PluginRegistryError): void;
  /** One poll tick for a record (the registry runs its public `checkHealth`). */
  poll(record: R): void;
  /** Where state changes caused by health checks are reported, once each. */
  readonly logger: Logger;
}

/** Health polling and the failure-threshold logic for the registry's records. */
export class HealthMonitor<R extends HealthSubject> {
  readonly #host: HealthHost<R>;

  constructor(host: HealthHost<R>) {
    this.#host = host;
  }

  /**
   * Start polling a record at its manifest's `health_interval_sec`, with a
   * first check at once (ADR-0002: health is known from the start).
   */
  start(record: R): void {
    if (!this.#host.enabled) return;
    this.stop(record);
    record.healthDown = false;
    const ms = record.manifest.health_interval_sec * 1000;
    record.healthTimer = setInterval(() => this.#host.poll(record), ms);
    record.healthTimer.unref?.();
    this.#host.poll(record);
  }

  /** Stop polling a record. */
  stop(record: R): void {
    if (record.healthTimer !== undefined) clearInterval(record.healthTimer);
    record.healthTimer = undefined;
  }

  /** Run one health check of a record now; see `PluginRegistry.checkHealth`. */
  async check(record: R): Promise<HealthStatus | undefined> {
    const name = record.manifest.name;
    const checkable =
      record.state === 'ready' ||
      record.state === 'degraded' ||
      (record.state === 'unavailable' && record.healthDown);
    if (record.handle === undefined || !checkable) return undefined;
    let status: HealthStatus;
    try {
      status = await withTimeout(
        () => (record.handle as PluginHandle).health(),
        Math.max(1000, record.manifest.health_interval_sec * 500),
        () =>
          new HookTimeout({
            plugin: name,
            hook: 'health',
            timeoutMs: record.manifest.health_interval_sec * 500,
          }),
      );
    } catch (error) {
      status = {
        status: 'failing',
        message: error instanceof Error ? error.message : String(error),
      };
    }
    record.health = status;
    const { logger } = this.#host;
    const fields = { plugin: name, kind: record.manifest.kind };
    if (status.status === 'ok') {
      record.healthFailures = 0;
      if (record.state === 'degraded' || record.state === 'unavailable') {
        const from = record.state;
        record.healthDown = false;
        this.#host.setState(record, 'ready');
        logger.info(`plugin ready again: its health check passes (was ${from})`, fields);
      }
      return status;
    }
    record.healthFailures += 1;
    const threshold = this.#host.threshold;
    const error = new PluginUnavailable({
      plugin: name,
      kind: record.manifest.kind,
      state: record.state,
      reason: `health check ${status.status}${status.message === undefined ? '' : `: ${status.message}`}`,
    });
    if (status.status === 'failing' && record.healthFailures >= threshold) {
      if (record.state !== 'unavailable') {
        // Polling goes on: an `ok` later brings the plugin back.
        record.healthDown = true;
        this.#host.setState(record, 'unavailable', error);
        logger.error(
          `plugin unavailable: ${record.healthFailures} failing health checks in a row`,
          { ...fields, reason: error.message },
        );
      }
    } else if (record.state === 'ready') {
      this.#host.setState(record, 'degraded', error);
      logger.warn('plugin degraded: its health check does not pass', {
        ...fields,
        reason: error.message,
      });
    }
    return status;
  }
}
