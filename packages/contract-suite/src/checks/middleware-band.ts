/**
 * The `middleware-band` check (ADR-0005 §2): business plugins stay below
 * `MIDDLEWARE_PRIORITY_FLOOR`, `chain_wrap` middleware at or above it and
 * wrapping something.
 *
 * Owns: the band rule's verdicts. It reads the manifest (or, when the manifest
 * could not be read, its problems) only; it writes only to its own recorder
 * and may not run the plugin.
 */

import {
  ManifestInvalid,
  type ManifestProblem,
  MIDDLEWARE_PRIORITY_FLOOR,
  type PluginManifest,
} from '@dagstack/plugin-api';
import type { CheckRecorder } from '../report.js';

/**
 * Check the priority band. The band rule is also a manifest rule: when the
 * manifest could not be read because of it, report it from the problems.
 */
export function checkBand(
  rec: CheckRecorder | undefined,
  manifest: PluginManifest | undefined,
  problems: readonly ManifestProblem[],
): void {
  if (rec === undefined) return;
  const fail = (pointer: string, message: string, path: string, plugin?: string) =>
    rec.fail(
      new ManifestInvalid({
        problems: [{ pointer, message, source: path, rule: 'cross-field' }],
        path,
        ...(plugin === undefined ? {} : { plugin }),
      }),
      { location: `${path}#${pointer}`, message },
    );
  if (manifest === undefined) {
    const band = problems.filter(
      (p) => p.pointer === '/priority' || p.pointer.startsWith('/chain_wrap'),
    );
    for (const p of band) fail(p.pointer, p.message, p.source);
    if (band.length === 0) rec.skip('the manifest could not be read');
    return;
  }
  const path = manifest.source;
  const middleware = manifest.chain_wrap !== undefined;
  if (!middleware && manifest.priority >= MIDDLEWARE_PRIORITY_FLOOR) {
    fail(
      '/priority',
      `business plugin has priority ${manifest.priority}, inside the band [${MIDDLEWARE_PRIORITY_FLOOR}, ∞) reserved for middleware; use < ${MIDDLEWARE_PRIORITY_FLOOR} or declare [plugin.chain_wrap]`,
      path,
      manifest.name,
    );
  } else if (middleware && manifest.priority < MIDDLEWARE_PRIORITY_FLOOR) {
    fail(
      '/priority',
      `middleware ([plugin.chain_wrap]) has priority ${manifest.priority}; it must be >= ${MIDDLEWARE_PRIORITY_FLOOR}`,
      path,
      manifest.name,
    );
  }
  if (
    middleware &&
    (manifest.chain_wrap?.kinds.length === 0 || manifest.chain_wrap?.hooks.length === 0)
  ) {
    fail('/chain_wrap', 'chain_wrap wraps no kind or no hook', path, manifest.name);
  }
  rec.note(
    middleware
      ? `middleware: priority ${manifest.priority}, wraps kinds ${manifest.chain_wrap?.kinds.join(', ')} / hooks ${manifest.chain_wrap?.hooks.join(', ')}`
      : `business plugin: priority ${manifest.priority}`,
  );
}
