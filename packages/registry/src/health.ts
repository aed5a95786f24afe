/**
 * Health polling: one interval timer per started plugin, `checkHealth` and
 * the failure threshold (degraded on a failing check, unavailable after
 * `healthFailureThreshold` failing checks in a row, ready again on `ok`).
 *
 * Owns: a record's `health`, `healthFailures` and `healthTimer` fields.
 * May not touch: any other record field except through `setState`, the
 * registry's private fields, or dispatch (state changes go through the
 * host's `setState`, which refreshes dispatch as the registry decides).
 */

import {
  type HealthStatus,
  HookTimeout,
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
  'manifest' | 'handle' | 'state' | 'health' | 'healthFailures' | 'healthTimer'
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
}

/** Health polling and the failure-threshold logic for the registry's records. */
export class HealthMonitor<R extends HealthSubject> {
  readonly #host: HealthHost<R>;

  constructor(host: HealthHost<R>) {
    this.#host = host;
  }

  /** Start polling a record at its manifest's `health_interval_sec`. */
  start(record: R): void {
    if (!this.#host.enabled) return;
    const ms = record.manifest.health_interval_sec * 1000;
    record.healthTimer = setInterval(() => this.#host.poll(record), ms);
    record.healthTimer.unref?.();
  }

  /** Stop polling a record. */
  stop(record: R): void {
    if (record.healthTimer !== undefined) clearInterval(record.healthTimer);
    record.healthTimer = undefined;
  }

  /** Run one health check of a record now; see `PluginRegistry.checkHealth`. */
  async check(record: R): Promise<HealthStatus | undefined> {
    const name = record.manifest.name;
    if (record.handle === undefined || (record.state !== 'ready' && record.state !== 'degraded'))
      return undefined;
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
    if (status.status === 'ok') {
      record.healthFailures = 0;
      if (record.state === 'degraded') this.#host.setState(record, 'ready');
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
      this.stop(record);
      this.#host.setState(record, 'unavailable', error);
    } else if (record.state === 'ready') {
      this.#host.setState(record, 'degraded', error);
    }
    return status;
  }
}
