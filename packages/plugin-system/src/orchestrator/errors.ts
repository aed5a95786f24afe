import { isPluginError, type PluginErrorOptions, PluginRegistryError } from '@dagstack/plugin-api';

/**
 * `status` (or another lookup) named a unit the orchestrator does not know.
 * Code `UNIT_NOT_FOUND`; a {@link PluginRegistryError}.
 * @since 0.1.0
 */
export class UnitNotFound extends PluginRegistryError {
  static override readonly code: string = 'UNIT_NOT_FOUND';
  /** The unit id that was asked for. */
  readonly unitId: string;

  constructor(options: PluginErrorOptions & { unitId: string }) {
    super(`no unit of work "${options.unitId}"`, {
      hint: 'pass a unit_id that enqueue returned (units are kept for the life of the orchestrator, and across restarts with a state file)',
      ...options,
    });
    this.unitId = options.unitId;
  }

  protected override details(): Record<string, unknown> {
    return { unitId: this.unitId };
  }
}

/**
 * Whether `value` is a {@link UnitNotFound} (from any copy of this package).
 * @since 0.1.0
 */
export function isUnitNotFound(value: unknown): value is UnitNotFound {
  return isPluginError(value, UnitNotFound.code);
}
