/**
 * {@link CheckpointConflict}: the typed error of a checkpoint write whose
 * `expectedVersion` is not the key's current version (spec decision RS8).
 * Every `CheckpointStore` implementation throws it, so callers catch one
 * class (or test with {@link isCheckpointConflict}) whatever the backend.
 */

import { isPluginError, type PluginErrorOptions } from '@dagstack/plugin-api';
import { ResourceError } from './errors.js';

/** Options of {@link CheckpointConflict}. @since 0.2.1 */
export interface CheckpointConflictOptions extends PluginErrorOptions {
  /** The key that was written. */
  key: string;
  /** The `expectedVersion` the caller passed (`null`: "no checkpoint yet"). */
  expectedVersion: string | null;
  /** The key's version when the write was refused (`null`: it has no checkpoint). */
  actualVersion: string | null;
}

function shown(version: string | null): string {
  return version === null ? 'none' : JSON.stringify(version);
}

/**
 * `CheckpointStore.save` or `delete` with an `expectedVersion` that is not
 * the key's current version: someone else wrote (or removed) the checkpoint
 * since the caller read it, or it already exists when `null` said it must
 * not. Nothing was written. Load the checkpoint again, merge or give up.
 * @since 0.2.1
 */
export class CheckpointConflict extends ResourceError {
  static override readonly code: string = 'CHECKPOINT_CONFLICT';
  /** The key that was written. */
  readonly key: string;
  /** The version the caller expected (`null`: no checkpoint). */
  readonly expectedVersion: string | null;
  /** The version the key had (`null`: no checkpoint). */
  readonly actualVersion: string | null;

  constructor(options: CheckpointConflictOptions) {
    const key = options.key.length > 60 ? `${options.key.slice(0, 60)}…` : options.key;
    super(
      `key ${JSON.stringify(key)} is at version ${shown(options.actualVersion)}, not the expected ${shown(options.expectedVersion)}`,
      {
        hint: 'another writer got there first: load the checkpoint again and retry with its version',
        ...options,
        resource: 'checkpoint',
      },
    );
    this.key = options.key;
    this.expectedVersion = options.expectedVersion;
    this.actualVersion = options.actualVersion;
  }

  protected override details(): Record<string, unknown> {
    return {
      resource: this.resource,
      key: this.key,
      expectedVersion: this.expectedVersion,
      actualVersion: this.actualVersion,
    };
  }
}

/**
 * Whether `value` is a {@link CheckpointConflict}, from any copy of this package.
 * @since 0.2.1
 */
export function isCheckpointConflict(value: unknown): value is CheckpointConflict {
  return isPluginError(value, CheckpointConflict.code);
}
