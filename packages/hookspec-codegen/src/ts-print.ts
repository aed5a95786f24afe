/**
 * Small printing helpers that produce TypeScript in the repository's Biome
 * style: 2-space indent, single quotes, semicolons, trailing commas, objects
 * always expanded, arrays on one line when they fit in 100 columns.
 */

/** Biome's line width in this repository. */
export const LINE_WIDTH = 100;

/** A single-quoted TypeScript string literal. */
export function quote(text: string): string {
  const json = JSON.stringify(text);
  const singles = text.split("'").length - 1;
  const doubles = text.split('"').length - 1;
  // Biome (like Prettier) picks the quote that needs fewer escapes.
  if (singles > doubles) return json;
  const inner = json.slice(1, -1).replaceAll('\\"', '"').replaceAll("'", "\\'");
  return `'${inner}'`;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A property key: bare when it is an identifier, quoted otherwise. */
export function propertyKey(key: string): string {
  return IDENTIFIER.test(key) ? key : quote(key);
}

/** A JSDoc block for `lines` at `indent`, or nothing when there are no lines. */
export function jsdoc(lines: readonly string[], indent: string): string[] {
  const body = trimBlank(lines.flatMap((l) => l.split('\n')).map((l) => l.trimEnd()));
  if (body.length === 0) return [];
  const safe = body.map((l) => l.replaceAll('*/', '*\\/'));
  if (safe.length === 1 && indent.length + (safe[0] ?? '').length + 7 <= LINE_WIDTH) {
    return [`${indent}/** ${safe[0]} */`];
  }
  return [
    `${indent}/**`,
    ...safe.map((l) => (l === '' ? `${indent} *` : `${indent} * ${l}`)),
    `${indent} */`,
  ];
}

function trimBlank(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start] === '') start++;
  while (end > start && lines[end - 1] === '') end--;
  return lines.slice(start, end);
}

/** TypeScript object literals or JSON text. */
export type PrintStyle = 'ts' | 'json';

/**
 * A JSON value as a TypeScript expression (or JSON text). `indent` is the
 * indentation of the line the value starts on; `used` is how many columns
 * precede the value on that line and `after` how many follow it (`,` or `;`).
 */
export function printValue(
  value: unknown,
  indent: string,
  used: number,
  after: number,
  style: PrintStyle = 'ts',
): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return style === 'ts' ? quote(value) : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const comma = (i: number, length: number): string =>
    style === 'ts' || i < length - 1 ? ',' : '';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const simple = value.every((v) => v === null || typeof v !== 'object' || isEmpty(v));
    if (simple) {
      const flat = `[${value.map((v) => printValue(v, indent, 0, 0, style)).join(', ')}]`;
      if (used + flat.length + after <= LINE_WIDTH) return flat;
    }
    const inner = `${indent}  `;
    const items = value.map(
      (v, i) => `${inner}${printValue(v, inner, inner.length, 1, style)}${comma(i, value.length)}`,
    );
    return `[\n${items.join('\n')}\n${indent}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    const inner = `${indent}  `;
    const lines = entries.map(([k, v], i) => {
      const key = style === 'ts' ? propertyKey(k) : JSON.stringify(k);
      const end = comma(i, entries.length);
      const printed = printValue(v, inner, inner.length + key.length + 2, end.length, style);
      // Biome moves a string that overflows the line below its (non-short) key.
      if (
        style === 'ts' &&
        typeof v === 'string' &&
        key.length > 2 &&
        inner.length + key.length + 2 + printed.length + end.length > LINE_WIDTH
      ) {
        return `${inner}${key}:\n${inner}  ${printed}${end}`;
      }
      return `${inner}${key}: ${printed}${end}`;
    });
    return `{\n${lines.join('\n')}\n${indent}}`;
  }
  return 'undefined';
}

function isEmpty(value: object): boolean {
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
}

/**
 * `head` followed by a union type: on one line when it fits, otherwise one
 * member per line (`| A`), the way Biome breaks long unions.
 */
export function printUnionMember(
  head: string,
  members: readonly string[],
  indent: string,
  tail: string,
): string[] {
  const flat = `${indent}${head} ${members.join(' | ')}${tail}`;
  if (flat.length <= LINE_WIDTH || members.length < 2 || members.some((m) => m.includes('\n'))) {
    return [flat];
  }
  const lines = [`${indent}${head}`];
  members.forEach((m, i) => {
    lines.push(`${indent}  | ${m}${i === members.length - 1 ? tail : ''}`);
  });
  return lines;
}
