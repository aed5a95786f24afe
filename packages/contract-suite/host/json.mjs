// JSON boundary helpers shared by the in-process checks and the forked hosts.
// Plain JavaScript so a worker thread or a child process can load it without
// a TypeScript loader; types are in json.d.mts.

/** Escape one JSON-pointer token (RFC 6901). */
export function pointerToken(key) {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

const tagOf = (value) => Object.prototype.toString.call(value).slice(8, -1);

/** Why each non-JSON object type breaks, and what to return instead. */
const OBJECT_TYPES = {
  Date: ['Date', 'becomes an ISO string and comes back as a string; return date.toISOString()'],
  Map: ['Map', 'becomes {} (its entries are lost); return an object or an array of pairs'],
  Set: ['Set', 'becomes {} (its values are lost); return an array'],
  WeakMap: ['WeakMap', 'becomes {}; return plain data'],
  WeakSet: ['WeakSet', 'becomes {}; return plain data'],
  RegExp: ['RegExp', 'becomes {}; return its source as a string'],
  Error: ['Error', 'becomes {} (message and stack are lost); return { name, message }'],
  Promise: ['Promise', 'becomes {}; await it before returning'],
  ArrayBuffer: ['ArrayBuffer', 'becomes {}; return base64 text or an s3:// / file:// reference'],
};

/**
 * Every place in `value` that does not survive `JSON.parse(JSON.stringify(value))`
 * unchanged, as `{ pointer, type, problem }`, in document order. Stops after
 * `limit` findings.
 */
export function findJsonIssues(value, limit = 20) {
  const issues = [];
  const ancestors = new Set();
  const add = (pointer, type, problem) => {
    if (issues.length < limit) issues.push({ pointer, type, problem });
  };
  const visit = (v, pointer, inArray) => {
    if (issues.length >= limit) return;
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return;
      case 'number':
        if (!Number.isFinite(v)) add(pointer, String(v), `${v} becomes null`);
        return;
      case 'bigint':
        add(pointer, 'BigInt', 'JSON.stringify throws on a BigInt; return it as a decimal string');
        return;
      case 'undefined':
        add(
          pointer,
          'undefined',
          inArray ? 'becomes null' : 'the key disappears; omit it or use null',
        );
        return;
      case 'function':
        add(
          pointer,
          'function',
          inArray ? 'becomes null' : 'the key disappears; return data, not behaviour',
        );
        return;
      case 'symbol':
        add(pointer, 'symbol', inArray ? 'becomes null' : 'the key disappears; use a string');
        return;
      default:
        break;
    }
    if (v === null) return;
    if (ancestors.has(v)) {
      add(pointer, 'cycle', 'circular reference: JSON.stringify throws');
      return;
    }
    const tag = tagOf(v);
    if (ArrayBuffer.isView(v)) {
      add(
        pointer,
        v.constructor?.name ?? tag,
        'binary data becomes an object of indexes (a Buffer becomes { type, data }); return base64 text',
      );
      return;
    }
    const known = OBJECT_TYPES[tag] ?? (v instanceof Error ? OBJECT_TYPES.Error : undefined);
    if (known !== undefined) {
      add(pointer, known[0], known[1]);
      return;
    }
    if (
      Object.getOwnPropertySymbols(v).some((s) => Object.getOwnPropertyDescriptor(v, s)?.enumerable)
    ) {
      add(pointer, 'symbol key', 'symbol-keyed properties are dropped');
    }
    if (Array.isArray(v)) {
      ancestors.add(v);
      for (let i = 0; i < v.length; i += 1) {
        if (!(i in v)) add(`${pointer}/${i}`, 'hole', 'an array hole becomes null');
        else visit(v[i], `${pointer}/${i}`, true);
      }
      ancestors.delete(v);
      return;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      const name = proto?.constructor?.name || 'anonymous class';
      add(
        pointer,
        `${name} instance`,
        `an instance of ${name} comes back as a plain object (prototype and methods lost); return plain data`,
      );
      return;
    }
    if (typeof v.toJSON === 'function') {
      add(pointer, 'toJSON', 'has a toJSON() method, so what is sent differs from the object');
      return;
    }
    ancestors.add(v);
    for (const key of Object.keys(v)) visit(v[key], `${pointer}/${pointerToken(key)}`, false);
    ancestors.delete(v);
  };
  visit(value, '', false);
  return issues;
}

/**
 * The first place where two JSON-compatible values differ, comparing object
 * keys in order (bit-equality of their JSON text), or `undefined` when equal.
 */
export function firstDifference(a, b, pointer = '') {
  if (Object.is(a, b) || (a === 0 && b === 0)) return undefined;
  const kind = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (kind(a) !== kind(b) || typeof a !== 'object' || a === null) {
    return { pointer, left: a, right: b };
  }
  if (Array.isArray(a)) {
    if (a.length !== b.length)
      return { pointer, left: `array of ${a.length}`, right: `array of ${b.length}` };
    for (let i = 0; i < a.length; i += 1) {
      const d = firstDifference(a[i], b[i], `${pointer}/${i}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  for (let i = 0; i < Math.max(ka.length, kb.length); i += 1) {
    if (ka[i] !== kb[i]) {
      const sameSet = ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k));
      return sameSet
        ? {
            pointer,
            left: `keys ${ka.join(',')}`,
            right: `keys ${kb.join(',')} (same keys, other order)`,
          }
        : { pointer, left: `keys ${ka.join(',')}`, right: `keys ${kb.join(',')}` };
    }
    const d = firstDifference(a[ka[i]], b[kb[i]], `${pointer}/${pointerToken(ka[i])}`);
    if (d !== undefined) return d;
  }
  return undefined;
}

/** `JSON.stringify` that never throws: `undefined` when the value cannot be written. */
export function safeStringify(value) {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** A short, single-line preview of a value for reports. */
export function preview(value, max = 80) {
  let text;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'bigint') text = `${value}n`;
  else if (typeof value === 'function') text = `[function ${value.name || 'anonymous'}]`;
  else text = safeStringify(value) ?? String(value);
  if (text === undefined) text = String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
