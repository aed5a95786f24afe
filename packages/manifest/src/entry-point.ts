/**
 * The three ways an in-process `entry_point` is written.
 *
 * - `module` — `plugin:EchoPlugin` (the spec's form): a module name resolved
 *   inside the plugin folder (`plugin.js`, `plugin.mjs`, ...), and an export.
 * - `path` — `./plugin.js#EchoPlugin` or `./dist/index.js`: a relative file,
 *   and an optional export (without one the module's default export is used).
 * - `package` — `@acme/tools#Search` or `acme-tools`: a package resolved from
 *   the plugin folder, and an optional export.
 * @since 0.1.0
 */
export type EntryPointStyle = 'module' | 'path' | 'package';

/** A parsed `entry_point`. @since 0.1.0 */
export interface EntryPoint {
  /** Which of the three forms the `entry_point` is written in. */
  readonly style: EntryPointStyle;
  /** Module name, relative path or package specifier. */
  readonly specifier: string;
  /** Named export, or `undefined` for the default export. */
  readonly exportName: string | undefined;
}

/** Result of {@link parseEntryPoint}. @since 0.1.0 */
export type EntryPointResult =
  | {
      /** The value parsed. */
      readonly ok: true;
      /** The parsed entry point. */
      readonly entryPoint: EntryPoint;
    }
  | {
      /** The value is not a valid entry point. */
      readonly ok: false;
      /** What is wrong with the value. */
      readonly message: string;
    };

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const PACKAGE = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w.-]+)*$/;
const MODULE = /^[\w.-]+(\/[\w.-]+)*$/;

function escapes(relative: string): boolean {
  const parts = relative.split('/');
  let depth = 0;
  for (const part of parts) {
    if (part === '..') depth -= 1;
    else if (part !== '.' && part !== '') depth += 1;
    if (depth < 0) return true;
  }
  return false;
}

/**
 * Parse an `entry_point` value. Never throws. Paths must stay inside the
 * plugin folder (no absolute paths, no `..` above it).
 * @since 0.1.0
 */
export function parseEntryPoint(value: string): EntryPointResult {
  const text = value.trim();
  const fail = (message: string): EntryPointResult => ({ ok: false, message });
  if (text === '') return fail('must not be empty');
  if (text.includes('\\')) return fail('must use "/" as the path separator');

  const hash = text.lastIndexOf('#');
  if (
    text.startsWith('./') ||
    text.startsWith('../') ||
    text.startsWith('/') ||
    /^[A-Za-z]:/.test(text)
  ) {
    if (text.startsWith('/') || /^[A-Za-z]:/.test(text)) {
      return fail(
        `"${text}" is absolute: write it relative to the plugin folder, e.g. "./plugin.js#MyPlugin"`,
      );
    }
    const file = hash === -1 ? text : text.slice(0, hash);
    const exportName = hash === -1 ? undefined : text.slice(hash + 1);
    if (escapes(file)) return fail(`"${file}" points outside the plugin folder`);
    if (exportName !== undefined && !IDENTIFIER.test(exportName)) {
      return fail(`"${exportName}" after "#" is not a valid export name`);
    }
    return { ok: true, entryPoint: { style: 'path', specifier: file, exportName } };
  }

  const colon = text.indexOf(':');
  if (colon !== -1) {
    if (hash !== -1) return fail('use either "module:Export" or "./file.js#Export", not both');
    const module = text.slice(0, colon);
    const exportName = text.slice(colon + 1);
    if (!MODULE.test(module) || escapes(module)) {
      return fail(
        `"${module}" is not a module name inside the plugin folder (expected e.g. "plugin:MyPlugin")`,
      );
    }
    if (!IDENTIFIER.test(exportName)) {
      return fail(
        `"${exportName}" after ":" is not a valid export name (expected e.g. "plugin:MyPlugin")`,
      );
    }
    return { ok: true, entryPoint: { style: 'module', specifier: module, exportName } };
  }

  const specifier = hash === -1 ? text : text.slice(0, hash);
  const exportName = hash === -1 ? undefined : text.slice(hash + 1);
  if (!PACKAGE.test(specifier)) {
    return fail(
      `"${text}" is not an entry point: write "module:Export", "./file.js#Export" or a package name`,
    );
  }
  if (exportName !== undefined && !IDENTIFIER.test(exportName)) {
    return fail(`"${exportName}" after "#" is not a valid export name`);
  }
  return { ok: true, entryPoint: { style: 'package', specifier, exportName } };
}
