// Reads the Markdown under docs/ and turns its code blocks into files and
// runnable snippets (the convention is described in docs/README.md):
//
//   <!-- file: plugins/echo/dagstack.toml -->   the next fenced block is written
//   ```toml                                      to that path (relative to the
//   ...                                          page's scratch folder)
//   ```
//
//   ```ts test    type-checked, compiled and run with Node
//   ```js test    run with Node
//   ```ts check   type-checked only (for code that needs another runner)
//   ```sh test    each `dagstack-plugins ...` line run with the built CLI;
//                 a trailing `# exit N` expects exit code N (default 0)
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL('../..', import.meta.url));
/** docs/ */
export const DOCS: string = join(ROOT, 'docs');
/** Folders under docs/ that hold generated output, not pages. */
const SKIPPED_DIRS = new Set(['api', 'generated', 'node_modules']);

/** One fenced code block of a page. */
export interface CodeBlock {
  /** The first word of the info string (`ts`, `js`, `sh`, `toml`, ...). */
  readonly lang: string;
  /** The rest of the info string, as words (`test`, `check`). */
  readonly flags: readonly string[];
  readonly code: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The path given by a `<!-- file: ... -->` marker before the block. */
  readonly file?: string;
}

/** What a block does in the snippet tests. */
export type BlockRole = 'file' | 'run' | 'check' | 'shell' | 'none';

const FILE_MARKER = /^<!--\s*file:\s*(\S+)\s*-->\s*$/;
const FENCE = /^(`{3,}|~{3,})\s*(.*)$/;

/** Every Markdown page under docs/ (generated output excluded), sorted. */
export function docPages(dir: string = DOCS): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) out.push(...docPages(join(dir, entry.name)));
    } else if (entry.isFile() && entry.name.endsWith('.md')) {
      out.push(join(dir, entry.name));
    }
  }
  return out.sort();
}

/** The fenced code blocks of a Markdown text, with their file markers. */
export function parseBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  let pendingFile: string | undefined;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    const marker = FILE_MARKER.exec(line.trim());
    if (marker !== null) {
      pendingFile = marker[1];
      continue;
    }
    const open = FENCE.exec(line);
    if (open === null) {
      if (line.trim() !== '') pendingFile = undefined;
      continue;
    }
    const fence = open[1] as string;
    const [lang = '', ...flags] = (open[2] ?? '').trim().split(/\s+/);
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j] ?? '').startsWith(fence)) {
      body.push(lines[j] ?? '');
      j += 1;
    }
    blocks.push({
      lang,
      flags,
      code: `${body.join('\n')}\n`,
      line: i + 1,
      ...(pendingFile === undefined ? {} : { file: pendingFile }),
    });
    pendingFile = undefined;
    i = j;
  }
  return blocks;
}

/** What the tests do with a block. */
export function roleOf(block: CodeBlock): BlockRole {
  const tested = block.flags.includes('test');
  if ((block.lang === 'ts' || block.lang === 'js') && tested) return 'run';
  if (block.lang === 'ts' && block.flags.includes('check')) return 'check';
  if (block.lang === 'sh' && tested) return 'shell';
  if (block.file !== undefined) return 'file';
  return 'none';
}

/** A page's path relative to docs/ (`guides/write-middleware.md`). */
export function pageName(page: string): string {
  return relative(DOCS, page);
}

/** Read a page. */
export function readPage(page: string): string {
  return readFileSync(page, 'utf8');
}

/**
 * Split one shell line into words: single and double quotes group, a
 * backslash escapes the next character outside single quotes.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== undefined) throw new Error(`unclosed ${quote} in: ${line}`);
  if (inWord) words.push(word);
  return words;
}

/** A command of a `sh` block: its words and the exit code it should end with. */
export interface ShellCommand {
  readonly words: readonly string[];
  readonly exit: number;
  readonly text: string;
}

/**
 * The commands of a shell block: continuation lines joined, comments and
 * blank lines dropped, a trailing `# exit N` read as the expected exit code.
 */
export function shellCommands(code: string): ShellCommand[] {
  const joined = code.replace(/\\\n\s*/g, ' ');
  const out: ShellCommand[] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const expect = /\s#\s*exit\s+(\d+)\s*$/.exec(line);
    const withoutComment = line.replace(/\s#.*$/, '');
    out.push({
      words: shellWords(withoutComment.replace(/^\$\s+/, '')),
      exit: expect === null ? 0 : Number(expect[1]),
      text: withoutComment,
    });
  }
  return out;
}

/**
 * `dagstack-plugins` command lines anywhere in a page's shell blocks (tested
 * or not), for the check that the flags they use exist.
 */
export function cliLines(markdown: string): ShellCommand[] {
  const out: ShellCommand[] = [];
  for (const block of parseBlocks(markdown)) {
    if (block.lang !== 'sh' && block.lang !== 'console') continue;
    for (const command of shellCommands(block.code)) {
      const at = command.words.indexOf('dagstack-plugins');
      if (at >= 0) out.push({ ...command, words: command.words.slice(at) });
    }
  }
  return out;
}
