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
//
//   <!-- install: needs -->   the next block is the page's "You need" list:
//   ```sh                     `npm install` commands naming every package the
//   npm install ...           page's code needs (neededPackages), and no other
//   ```
import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

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

// --- what a page needs installed -------------------------------------------------

/** Languages whose blocks are code a reader copies into a project (their imports count). */
const CODE_LANGS = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs', 'cjs']);
/** Languages whose blocks hold commands (the executables they run count). */
const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console']);

/** Is the block TypeScript (it needs a compiler and a tsconfig.json)? */
export function isTypeScriptBlock(block: CodeBlock): boolean {
  return block.lang === 'ts' || block.lang === 'typescript';
}

/**
 * The npm package a module specifier names, or undefined for a relative
 * path, an absolute path or a Node built-in (`node:fs`, `fs`):
 * `@scope/name/sub/path.js` → `@scope/name`, `name/sub` → `name`.
 */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:'))
    return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
  if (isBuiltin(name)) return undefined;
  return name;
}

/**
 * The module specifiers a block of JavaScript or TypeScript loads: static
 * imports and re-exports (type-only ones too: they need the package's types),
 * `import()`, `import('x').T` types, `require(x)`, `require.resolve(x)` and
 * `createRequire(...).resolve(x)` — whatever makes the program need the package.
 */
export function moduleSpecifiers(code: string): string[] {
  const sf = ts.createSourceFile('block.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const out: string[] = [];
  const literal = (node: ts.Node | undefined): void => {
    if (node !== undefined && ts.isStringLiteralLike(node)) out.push(node.text);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) literal(node.moduleSpecifier);
    else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference)
    )
      literal(node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
      literal(node.argument.literal);
    else if (ts.isCallExpression(node) && isLoadingCall(node.expression))
      literal(node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** `import(...)`, `require(...)`, `require.resolve(...)`, `createRequire(...).resolve(...)`. */
function isLoadingCall(callee: ts.Expression): boolean {
  if (callee.kind === ts.SyntaxKind.ImportKeyword) return true;
  if (ts.isIdentifier(callee)) return callee.text === 'require';
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'resolve') return false;
  const target = callee.expression;
  return (
    (ts.isIdentifier(target) && target.text === 'require') ||
    (ts.isCallExpression(target) &&
      ts.isIdentifier(target.expression) &&
      target.expression.text === 'createRequire')
  );
}

/** A package a page's code needs, and the first place that needs it. */
export interface NeededPackage {
  readonly name: string;
  /** `line 88: import ... '@dagstack/plugin-system'`, for the failure message. */
  readonly why: string;
}

/**
 * The packages the code of a page needs, derived from the code alone: the
 * packages its JavaScript and TypeScript blocks load (every block, tested or
 * not: a reader copies them all), the package of each executable its shell
 * blocks run (`bins`: executable → package), and, when it has TypeScript,
 * the compiler and the `@types/*` packages of the tsconfig it compiles with
 * (`tsconfigTypes`: the `types` of that tsconfig.json).
 */
export function neededPackages(
  markdown: string,
  bins: ReadonlyMap<string, string>,
  tsconfigTypes: readonly string[],
): NeededPackage[] {
  const found = new Map<string, string>();
  const need = (name: string, why: string): void => {
    if (!found.has(name)) found.set(name, why);
  };
  const blocks = parseBlocks(markdown);
  for (const block of blocks) {
    if (CODE_LANGS.has(block.lang)) {
      for (const specifier of moduleSpecifiers(block.code)) {
        const name = packageOf(specifier);
        if (name !== undefined) need(name, `line ${block.line}: loads '${specifier}'`);
      }
    } else if (SHELL_LANGS.has(block.lang)) {
      for (const command of shellCommands(block.code)) {
        for (const word of command.words) {
          const name = bins.get(word);
          if (name !== undefined) need(name, `line ${block.line}: runs ${word}`);
        }
      }
    }
  }
  const typescript = blocks.find(isTypeScriptBlock);
  if (typescript !== undefined) {
    const at = `line ${typescript.line}`;
    need('typescript', `${at}: TypeScript to compile`);
    for (const t of tsconfigTypes)
      need(`@types/${t}`, `${at}: TypeScript, and the tsconfig.json says "types": ["${t}"]`);
  }
  return [...found].map(([name, why]) => ({ name, why }));
}

/** One package of an `npm install` command. */
export interface InstalledPackage {
  readonly name: string;
  readonly dev: boolean;
  /** The command it is part of. */
  readonly command: string;
}

/**
 * The packages `npm install` / `npm i` commands name (`--save-dev` / `-D`
 * for development ones), from the text of a shell block. A version or tag
 * (`pkg@1.2.3`) is dropped; paths and other commands are ignored.
 */
export function installedPackages(code: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const command of shellCommands(code)) {
    const [tool, verb, ...rest] = command.words;
    if (tool !== 'npm' || (verb !== 'install' && verb !== 'i')) continue;
    const dev = rest.includes('--save-dev') || rest.includes('-D');
    for (const word of rest) {
      if (word.startsWith('-') || word.includes(':') || /^[./~]/.test(word)) continue;
      const name = word.replace(/(?<=.)@[^/]*$/, '');
      out.push({ name, dev, command: command.text });
    }
  }
  return out;
}

/**
 * The fenced block right after `<!-- install: name -->` (blank lines between
 * allowed), with the line of the marker; undefined when the page has no
 * such marker. Throws when the marker is not followed by a block.
 */
export function installBlock(
  markdown: string,
  name: string,
): { readonly block: CodeBlock; readonly markerLine: number } | undefined {
  const lines = markdown.split('\n');
  const at = lines.findIndex((line) => line.trim() === `<!-- install: ${name} -->`);
  if (at < 0) return undefined;
  const block = parseBlocks(markdown).find((b) => b.line > at + 1);
  const between = block === undefined ? [] : lines.slice(at + 1, block.line - 1);
  if (block === undefined || between.some((line) => line.trim() !== '')) {
    throw new Error(`<!-- install: ${name} --> (line ${at + 1}) is not followed by a code block`);
  }
  return { block, markerLine: at + 1 };
}

/** GitHub's anchor of a heading: `## 5. Call it from a host` → `5-call-it-from-a-host`. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The nearest `#` heading above a line (1-based) of a page, without its `#`s. */
export function headingAbove(markdown: string, line: number): string | undefined {
  const lines = markdown.split('\n').slice(0, line - 1);
  let inFence = false;
  let heading: string | undefined;
  for (const l of lines) {
    if (FENCE.test(l)) inFence = !inFence;
    else if (!inFence && /^#{1,6}\s/.test(l)) heading = l.replace(/^#+\s+/, '').trim();
  }
  return heading;
}
