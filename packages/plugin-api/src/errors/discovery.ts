/**
 * The error raised when a path cannot be searched for plugins
 * ({@link DiscoveryError}) and the reasons it gives
 * ({@link DiscoveryFailureReason}). Imports only the base module.
 */

import { type PluginErrorOptions, PluginRegistryError } from './base.js';

/**
 * Why a path could not be searched for plugins.
 * @since 0.1.0
 */
export type DiscoveryFailureReason =
  | 'root_missing'
  | 'not_a_directory'
  | 'unreadable'
  | 'symlink_loop'
  | 'symlink_outside_root'
  | 'symlink_refused'
  | 'too_deep'
  | 'not_remote';

/**
 * A path could not be searched for plugins: a missing root, an unreadable
 * folder, a symlink loop or a link out of the root.
 * @since 0.1.0
 */
export class DiscoveryError extends PluginRegistryError {
  static override readonly code: string = 'DISCOVERY_ERROR';
  /** Why the path could not be searched. */
  readonly reason: DiscoveryFailureReason;

  constructor(message: string, options: PluginErrorOptions & { reason: DiscoveryFailureReason }) {
    super(message, options);
    this.reason = options.reason;
  }

  protected override details(): Record<string, unknown> {
    return { reason: this.reason };
  }
}
