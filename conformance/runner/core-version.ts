// Category `core_version`: PEP 440 specifier sets (and the npm ranges this
// binding also accepts) against candidate versions, and the host-level
// compatibility check of a manifest's core_version.
import { checkCoreVersion, parseVersionSpec, validateManifest } from '@dagstack/plugin-manifest';
import { assertEqual, assertError, Mismatch, show } from './compare.js';

export interface CoreVersionCase {
  id: string;
  description?: string;
  specifier: string;
  /** The grammar the specifier must be recognised as. */
  syntax?: 'pep440' | 'npm';
  /** Candidate version and the expected answer. */
  version?: string;
  match?: boolean;
  /** Omitted: the specifier's own pre-release rule. */
  prereleases?: boolean;
  /** false: the specifier is refused (and a manifest carrying it is invalid at /core_version). */
  valid?: boolean;
  /** Host check: the core version and whether the plugin is compatible. */
  host?: { core: string; prereleases?: boolean };
  compatible?: boolean;
}

const MINIMAL = {
  schema_version: '1',
  name: 'version-probe',
  kind: 'tool',
  kind_api_version: '1',
  runtime: 'in_process',
  entry_point: 'plugin:P',
};

export function runCoreVersionCase(c: CoreVersionCase): void {
  if (typeof c.specifier !== 'string') throw new Mismatch('fixture error: `specifier` is required');
  const parsed = parseVersionSpec(c.specifier);
  if (c.valid === false) {
    if (parsed.ok) {
      throw new Mismatch(
        `specifier ${show(c.specifier)}: expected to be refused, parsed as ${parsed.spec.syntax}`,
      );
    }
    const result = validateManifest({ ...MINIMAL, core_version: c.specifier });
    const problems = result.ok ? [] : result.problems.map((p) => p.pointer);
    assertEqual(['/core_version'], problems, 'manifest problems');
    return;
  }
  if (!parsed.ok) {
    throw new Mismatch(`specifier ${show(c.specifier)}: refused: ${parsed.message}`);
  }
  if (c.syntax !== undefined) assertEqual(c.syntax, parsed.spec.syntax, 'syntax');
  if (c.host !== undefined) {
    if (typeof c.compatible !== 'boolean')
      throw new Mismatch('fixture error: host needs `compatible`');
    const error = checkCoreVersion(
      { name: 'version-probe', kind: 'tool', core_version: c.specifier, source: 'inline' },
      c.host.core,
      c.host.prereleases === undefined ? {} : { prereleases: c.host.prereleases },
    );
    if (c.compatible) {
      if (error !== undefined) throw new Mismatch(`compatible: expected true, got ${error.code}`);
    } else {
      assertError(
        { code: 'VERSION_INCOMPATIBLE', axis: 'core', required: c.specifier, actual: c.host.core },
        error,
        'error',
      );
    }
    return;
  }
  if (typeof c.version !== 'string' || typeof c.match !== 'boolean') {
    throw new Mismatch('fixture error: give `version` and `match`, or `host` and `compatible`');
  }
  const options = c.prereleases === undefined ? undefined : { prereleases: c.prereleases };
  assertEqual(c.match, parsed.spec.matches(c.version, options), `match(${c.version})`);
}
