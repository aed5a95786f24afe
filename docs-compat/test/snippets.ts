// Reading code blocks out of Markdown / MDX pages: the dagstack docs' `.mdx`
// (Docusaurus: fences indented inside `<TabItem value="...">`) and the
// project's own `.md` (READMEs, docs/). Only positions and text are kept; the
// pages are read at test time and nothing of them is copied into the project.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** One fenced block of a page. */
export interface Fence {
  /** The page, relative to the folder it was read from (`/`-separated). */
  readonly page: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The first word of the info string, lower-cased (`ts`, `toml`, ...). */
  readonly lang: string;
  /** The rest of the info string (`title="..."`, `test`, ...). */
  readonly info: string;
  /** `title="..."` of the info string. */
  readonly title: string | undefined;
  /** `value` of the innermost `<TabItem>` around the block. */
  readonly tab: string | undefined;
  /** The nearest heading above the block. */
  readonly heading: string | undefined;
  /** Columns of indentation removed from every line (a fence inside a tab). */
  readonly indent: number;
  /** A `<!-- file: path -->` marker right before the block (the project's own docs). */
  readonly fileMarker: string | undefined;
  /**
   * The reason of a `<!-- compile-only: reason -->` marker right before the
   * block: a README example that is type-checked but not run (the project's own docs).
   */
  readonly compileOnly: string | undefined;
  /** The block's text, de-indented by the fence's indentation, ending with a newline. */
  readonly code: string;
}

const FENCE_OPEN = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)(.*)$/;
const TAB_OPEN = /<TabItem\b[^>]*\bvalue="([^"]+)"/g;
const TAB_CLOSE = /<\/TabItem>/g;
const HEADING = /^#{1,6}\s+(.+?)\s*#*\s*$/;
const FILE_MARKER = /^<!--\s*file:\s*(\S+)\s*-->\s*$/;
const COMPILE_ONLY_MARKER = /^<!--\s*compile-only:\s*(.*?)\s*-->\s*$/;
const TITLE = /\btitle="([^"]*)"/;

/** Every fenced block of a page's text. */
export function parseFences(page: string, text: string): Fence[] {
  const lines = text.split('\n');
  const fences: Fence[] = [];
  const tabs: string[] = [];
  let heading: string | undefined;
  let pendingFile: string | undefined;
  let pendingCompileOnly: string | undefined;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    const open = FENCE_OPEN.exec(line);
    if (open === null) {
      const marker = FILE_MARKER.exec(line.trim());
      if (marker !== null) {
        pendingFile = marker[1];
        continue;
      }
      const compileOnly = COMPILE_ONLY_MARKER.exec(line.trim());
      if (compileOnly !== null) {
        pendingCompileOnly = compileOnly[1];
        continue;
      }
      if (line.trim() !== '') {
        pendingFile = undefined;
        pendingCompileOnly = undefined;
      }
      // Tabs open and close outside code blocks only.
      for (const m of line.matchAll(TAB_OPEN)) tabs.push(m[1] as string);
      for (const _ of line.matchAll(TAB_CLOSE)) tabs.pop();
      const h = HEADING.exec(line);
      if (h !== null) heading = h[1];
      continue;
    }
    const indent = (open[1] ?? '').length;
    const fence = open[2] as string;
    const info = (open[4] ?? '').trim();
    const body: string[] = [];
    let j = i + 1;
    const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    while (j < lines.length && !close.test(lines[j] ?? '')) {
      const raw = lines[j] ?? '';
      // Remove at most the fence's indentation (Docusaurus de-indents the same way).
      const lead = /^\s*/.exec(raw)?.[0].length ?? 0;
      body.push(raw.slice(Math.min(lead, indent)));
      j += 1;
    }
    fences.push({
      page,
      line: i + 1,
      lang: (open[3] ?? '').toLowerCase(),
      info,
      title: TITLE.exec(info)?.[1],
      tab: tabs.at(-1),
      heading,
      indent,
      fileMarker: pendingFile,
      compileOnly: pendingCompileOnly,
      code: `${body.join('\n').replace(/\s+$/, '')}\n`,
    });
    pendingFile = undefined;
    pendingCompileOnly = undefined;
    i = j;
  }
  return fences;
}

/** TypeScript blocks: ```ts and ```typescript. */
export function isTypeScript(fence: Fence): boolean {
  return fence.lang === 'ts' || fence.lang === 'typescript';
}

/** Files under `dir` whose name passes `accept`, sorted, skipping `skip` folder names. */
export function walk(
  dir: string,
  accept: (name: string) => boolean,
  skip: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skip.has(entry.name)) out.push(...walk(path, accept, skip));
    } else if (entry.isFile() && accept(entry.name)) {
      out.push(path);
    }
  }
  return out.sort();
}

/** A path relative to `root` with `/` separators. */
export function rel(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

/** Every fenced block of the `.mdx` pages under the docs folder. */
export function readDocsFences(docsDir: string): Fence[] {
  const pages = walk(docsDir, (n) => n.endsWith('.mdx'), new Set(['node_modules']));
  return pages.flatMap((p) => parseFences(rel(docsDir, p), readFileSync(p, 'utf8')));
}

/**
 * Every fenced block of the project's own Markdown: the root README, the
 * packages' READMEs and docs/**.md (the generated docs/api/ excluded).
 */
export function readOwnFences(repoRoot: string): Fence[] {
  const pages = [
    join(repoRoot, 'README.md'),
    ...readdirSync(join(repoRoot, 'packages'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(repoRoot, 'packages', e.name, 'README.md')),
    ...walk(join(repoRoot, 'docs'), (n) => n.endsWith('.md'), new Set(['node_modules'])).filter(
      (p) => !rel(repoRoot, p).startsWith('docs/api/'),
    ),
  ];
  const out: Fence[] = [];
  for (const page of pages) {
    let text: string;
    try {
      text = readFileSync(page, 'utf8');
    } catch {
      continue; // a package without a README
    }
    out.push(...parseFences(rel(repoRoot, page), text));
  }
  return out;
}

/** Where a snippet appears. */
export interface Location {
  readonly page: string;
  readonly line: number;
  readonly title: string | undefined;
  readonly tab: string | undefined;
  readonly heading: string | undefined;
  /** Columns of indentation the page adds to the snippet's lines. */
  readonly indent: number;
  /** The info string says `test` (```` ```ts test ````): the example is meant to run. */
  readonly tested: boolean;
  /** The reason of a `<!-- compile-only: ... -->` marker before the block. */
  readonly compileOnly: string | undefined;
}

/** A distinct TypeScript snippet with every place it appears. */
export interface Snippet {
  /** `d01`, `d02`, ... (docs) or `o01`, ... (own docs), in page order. */
  readonly id: string;
  readonly code: string;
  /** The first location is the snippet's home (its page decides preludes and the run folder). */
  readonly locations: readonly Location[];
}

/** `page:line[, title]` of a location. */
export function describeLocation(l: Location): string {
  return `${l.page}:${l.line}${l.title === undefined ? '' : `, ${l.title}`}`;
}

/** A snippet's name in the table and in test names. */
export function snippetName(s: Snippet): string {
  const [first, ...rest] = s.locations;
  if (first === undefined) return s.id;
  return rest.length === 0
    ? describeLocation(first)
    : `${describeLocation(first)} (+${rest.length} identical)`;
}

/** Group identical TypeScript blocks (same text, same title) in page order. */
export function distinctSnippets(fences: readonly Fence[], prefix: string): Snippet[] {
  const byKey = new Map<string, { code: string; locations: Location[] }>();
  for (const f of fences) {
    if (!isTypeScript(f)) continue;
    const code = f.code
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n');
    const key = `${f.title ?? f.fileMarker ?? ''}\u0000${code}`;
    const location: Location = {
      page: f.page,
      line: f.line,
      title: f.title ?? f.fileMarker,
      tab: f.tab,
      heading: f.heading,
      indent: f.indent,
      tested: /(?:^|\s)test(?:\s|$)/.test(f.info),
      compileOnly: f.compileOnly,
    };
    const found = byKey.get(key);
    if (found === undefined) byKey.set(key, { code, locations: [location] });
    else found.locations.push(location);
  }
  return [...byKey.values()].map((s, i) => ({
    id: `${prefix}${String(i + 1).padStart(2, '0')}`,
    code: s.code,
    locations: s.locations,
  }));
}
