import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

/** 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * Maps JSON pointers of a YAML (or JSON, which is YAML) document to line and
 * column, from the `yaml` package's syntax tree. When the pointer does not
 * exist, the position of the deepest existing ancestor is returned.
 */
export class SourcePositions {
  readonly #lineCounter = new LineCounter();
  readonly #root: unknown;

  constructor(text: string) {
    const doc = parseDocument(text, { lineCounter: this.#lineCounter, uniqueKeys: false });
    this.#root = doc.contents;
  }

  /** Position of the value at `segments`, or of its key when `key` is true. */
  at(
    segments: readonly (string | number)[],
    options: { key?: boolean } = {},
  ): Position | undefined {
    let node: unknown = this.#root;
    let found: unknown = node;
    for (const [i, segment] of segments.entries()) {
      const last = i === segments.length - 1;
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isScalar(p.key) && String(p.key.value) === String(segment),
        );
        if (pair === undefined) break;
        if (last && options.key === true) {
          found = pair.key;
          break;
        }
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(segment)];
        if (item === undefined) break;
        node = item;
      } else break;
      if (node !== null && node !== undefined) found = node;
    }
    const range = (found as Node | null | undefined)?.range;
    if (range === undefined || range === null) return undefined;
    const { line, col } = this.#lineCounter.linePos(range[0]);
    return { line, column: col };
  }
}

/** Line and column of a character offset in `text` (1-based). */
export function positionOfOffset(text: string, offset: number): Position {
  const before = text.slice(0, Math.max(0, offset));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}
