// The public types of a parsed `core_version` value, shared by both grammars.
//
// Owns: VersionSpecSyntax, ParsedVersionSpec, VersionSpecResult (types only, no code). May not
// touch: anything that parses or matches; pep440-match.ts and npm-range.ts build the specs,
// version-spec.ts the results. A leaf, so that every version-spec module can import it.

/** Which grammar a `core_version` value was written in. */
export type VersionSpecSyntax = 'pep440' | 'npm';

/** A successfully parsed `core_version` value. */
export interface ParsedVersionSpec {
  /** The grammar the specifier was recognised as. */
  readonly syntax: VersionSpecSyntax;
  /** The specifier text, with surrounding whitespace removed. */
  readonly text: string;
  /**
   * true if it matches `version`.
   *
   * Pre-releases (`a`/`b`/`rc` and `.dev` versions) are excluded by default. With
   * `prereleases: true` they are allowed; with `prereleases: false` they never match; when the
   * option is omitted a PEP 440 specifier allows them only if one of its clauses other than `!=`
   * names a pre-release (`>=1.0rc1`), as `packaging` does, and an npm range follows semver's
   * rule (only pre-releases of a `major.minor.patch` that a comparator itself tags).
   */
  matches(version: string, options?: { prereleases?: boolean }): boolean;
}

/** The outcome of {@link parseVersionSpec}: a parsed spec, or a message saying what is wrong. */
export type VersionSpecResult =
  | {
      /** The specifier parsed. */
      readonly ok: true;
      /** The parsed specifier. */
      readonly spec: ParsedVersionSpec;
    }
  | {
      /** The specifier is invalid. */
      readonly ok: false;
      /** What is wrong with the specifier. */
      readonly message: string;
    };
