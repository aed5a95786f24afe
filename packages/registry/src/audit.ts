/**
 * Supply-chain checks at registration (ADR-0001 §Supply-chain security): the
 * trusted-publisher allow-list and the capability audit log.
 *
 * Owns: the audit log entries; a record's `untrusted` flag. May not touch:
 * any other record field, record state, dispatch or registry fields.
 */

import type { Logger, PluginManifest } from '@dagstack/plugin-api';
import type { PluginRecord } from './record.js';

const TRUSTED_ENV = 'DAGSTACK_PLUGIN_TRUSTED_PUBLISHERS';

/** One entry of the capability audit log. */
export interface AuditEntry {
  plugin: string;
  kind: string;
  capabilities: readonly string[];
  untrusted: boolean;
}

/** The part of a record the audit reads or updates. */
export type AuditSubject = Pick<PluginRecord, 'manifest' | 'untrusted'>;

/** The publisher allow-list check and the capability audit log. */
export class AuditLog {
  readonly #env: () => Readonly<Record<string, string | undefined>>;
  readonly #logger: Logger;
  readonly #entries: AuditEntry[] = [];

  /** `env` is read on every record, as the registry's options say (default `process.env`). */
  constructor(env: () => Readonly<Record<string, string | undefined>>, logger: Logger) {
    this.#env = env;
    this.#logger = logger;
  }

  /** Supply chain (ADR-0001): publisher allow-list and capability audit. */
  record(record: AuditSubject): void {
    const allow = this.#env()[TRUSTED_ENV];
    const publisher = publisherOf(record.manifest);
    if (allow !== undefined && allow.trim() !== '') {
      const trusted = allow
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '');
      record.untrusted = publisher === undefined || !trusted.includes(publisher);
      if (record.untrusted) {
        this.#logger.warn('untrusted plugin: publisher not in the allow-list', {
          plugin: record.manifest.name,
          kind: record.manifest.kind,
          publisher: publisher ?? '(none)',
          env: TRUSTED_ENV,
        });
      }
    }
    const entry = {
      plugin: record.manifest.name,
      kind: record.manifest.kind,
      capabilities: record.manifest.capabilities,
      untrusted: record.untrusted,
    };
    this.#entries.push(entry);
    this.#logger.info('plugin capabilities', { ...entry, capabilities: [...entry.capabilities] });
  }

  /** A copy of the log, oldest first. */
  entries(): AuditEntry[] {
    return [...this.#entries];
  }
}

function publisherOf(manifest: PluginManifest): string | undefined {
  const declared = manifest.metadata.publisher;
  if (typeof declared === 'string') return declared;
  return manifest.maintainer;
}
