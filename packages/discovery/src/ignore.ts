// The `ignore` option of discover(): folder names (`node_modules`), name globs
// (`*.draft`, `tmp?`) and path globs relative to the root (`experimental/*`,
// `**/fixtures`), compiled once per pass into one matcher.
import { PluginRegistryError } from '@dagstack/plugin-api';

/** Whether a folder is skipped: its name, and its path below the root with `/` separators. */
export type IgnoreMatcher = (name: string, relativePath: string) => boolean;

const GLOB_CHARS = /[*?]/;

/** A glob as an anchored regular expression: `**` any folders, `*` within one name, `?` one character. */
function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more folders; a trailing `**` matches the rest.
      if (glob[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/**
 * Compile `patterns`: a pattern without `/` matches a folder's name (exactly,
 * or as a glob with `*` and `?`); a pattern with `/` matches the folder's path
 * below its root (`experimental/*`, `**` for any number of folders). A leading
 * `/` anchors a pattern at the root (`/fixtures`: only the top-level one); a
 * trailing `/` is ignored. Throws for a pattern that is not a non-empty
 * string or that climbs out of the root.
 */
export function compileIgnore(patterns: readonly string[]): IgnoreMatcher {
  const names = new Set<string>();
  const nameGlobs: RegExp[] = [];
  const pathGlobs: RegExp[] = [];
  for (const raw of patterns) {
    if (typeof raw !== 'string' || raw.trim() === '') {
      throw new PluginRegistryError(`ignore: ${JSON.stringify(raw)} is not a folder name or glob`, {
        hint: "pass folder names or globs, e.g. ['node_modules', '*.draft', 'experimental/*']",
      });
    }
    const pattern = raw.replace(/\\/g, '/').replace(/^\/+|\/+$/g, '');
    if (pattern.split('/').some((part) => part === '..')) {
      throw new PluginRegistryError(`ignore: "${raw}" climbs out of the root`, {
        hint: 'ignore patterns are relative to each root; remove the ".." parts',
      });
    }
    // A leading `/` anchors even a bare name at the root (`/fixtures`).
    if (pattern.includes('/') || raw.replace(/\\/g, '/').startsWith('/'))
      pathGlobs.push(globToRegExp(pattern));
    else if (GLOB_CHARS.test(pattern)) nameGlobs.push(globToRegExp(pattern));
    else names.add(pattern);
  }
  if (nameGlobs.length === 0 && pathGlobs.length === 0) return (name) => names.has(name);
  return (name, relativePath) =>
    names.has(name) ||
    nameGlobs.some((re) => re.test(name)) ||
    pathGlobs.some((re) => re.test(relativePath));
}
