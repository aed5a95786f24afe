// The first pass over a manifest table: a plain-JSON copy that the schema and
// the rules read. Values JSON has no word for become problems here, not
// silent conversions (spec decision M18): a TOML date, time or date-time
// outside [plugin.metadata], a reference cycle, nesting deeper than
// MAX_DEPTH. One pass, linear in the size of the table.
import { dateKind, dateText, type ProblemList, pointer, quote, valueAt } from './problems.js';

/** Deepest nesting of tables and lists a manifest may use. */
export const MAX_DEPTH = 64;

type Raw = Record<string, unknown>;

/**
 * What the schema says the value at a path is ("a string", "an integer",
 * ...); `null` when the path is a field the schema does not know (the schema
 * reports it), `undefined` when the schema says nothing about its type.
 */
export type Expectation = (segments: readonly (string | number)[]) => string | null | undefined;

/**
 * Copy `input` into plain JSON data, reporting to `problems` what cannot be
 * copied faithfully. `expected` names what the schema wants at a path
 * ("a string", "an integer", ...), for the hints.
 */
export function prepareTable(input: Raw, problems: ProblemList, expected: Expectation): Raw {
  const path: (string | number)[] = [];
  const ancestors = new Set<object>();
  // In [plugin.metadata] (free-form, kept verbatim) dates are kept as their
  // text: that is their JSON form in every binding. A config_schema is a JSON
  // Schema document: JSON values only.
  let inMetadata = false;
  let inConfigSchema = false;

  const copy = (value: unknown, depth: number): unknown => {
    if (typeof value === 'bigint') {
      const number = Number(value);
      if (Number.isSafeInteger(number)) return number;
      problems.settle(
        pointer(...path),
        'type',
        'is an integer too large to keep exactly (beyond ±2^53); write it as a string',
      );
      return null;
    }
    if (typeof value !== 'object' || value === null) return value;
    if (value instanceof Date) {
      const text = dateText(value);
      if (inMetadata) return text;
      const expectation = inConfigSchema ? undefined : expected(path);
      // An unknown field: the schema reports the field itself.
      if (expectation === null) return text;
      const secret = isSecretPath(input, path);
      problems.settle(pointer(...path), 'type', () => dateMessage(value, expectation, secret));
      return text;
    }
    if (depth >= MAX_DEPTH) {
      problems.settle(
        pointer(...path),
        'limit',
        `is nested more than ${MAX_DEPTH} levels deep; flatten it`,
      );
      return null;
    }
    if (ancestors.has(value)) {
      problems.settle(pointer(...path), 'type', 'refers to itself (a cycle): JSON cannot hold it');
      return null;
    }
    ancestors.add(value);
    let out: unknown;
    if (Array.isArray(value)) {
      const list: unknown[] = new Array(value.length);
      for (let i = 0; i < value.length; i += 1) {
        path.push(i);
        list[i] = copy(value[i], depth + 1);
        path.pop();
      }
      out = list;
    } else {
      const table: Raw = {};
      for (const key of Object.keys(value)) {
        path.push(key);
        const enteredMetadata = depth === 0 && key === 'metadata';
        if (enteredMetadata) inMetadata = true;
        const enteredConfigSchema = depth === 0 && key === 'config_schema';
        if (enteredConfigSchema) inConfigSchema = true;
        table[key] = copy((value as Raw)[key], depth + 1);
        if (enteredMetadata) inMetadata = false;
        if (enteredConfigSchema) inConfigSchema = false;
        path.pop();
      }
      out = table;
    }
    ancestors.delete(value);
    return out;
  };
  return copy(input, 0) as Raw;
}

function dateMessage(value: Date, expectation: string | undefined, secret: boolean): string {
  const kind = dateKind(value);
  const text = dateText(value);
  const got = `got ${kind}${secret ? '' : ` ${text}`}`;
  const wanted = expectation ?? 'a JSON value (text, number, boolean, list or table)';
  if (expectation !== undefined && !expectation.includes('a string')) {
    return `must be ${wanted}, ${got}`;
  }
  const fix = secret ? 'quote it' : `quote it: ${quote(text)}`;
  return kind.startsWith('a TOML')
    ? `must be ${wanted}, ${got}; TOML reads an unquoted date as a date, not as text: ${fix}`
    : `must be ${wanted}, ${got}; pass the text instead: ${fix}`;
}

/** Whether the value at `path` is a secret (checked only for the few values a message describes). */
function isSecretPath(input: Raw, path: readonly (string | number)[]): boolean {
  return valueAt(input, path.map(String)).secret;
}
