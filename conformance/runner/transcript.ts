// MCP transcripts (README §Wire): matching JSON-RPC messages against a
// transcript entry with placeholders, turning an entry into the message the
// runner sends, and playing one side of a transcript over a message channel.
import { Mismatch, show } from './compare.js';

/** One message of a transcript. */
export interface TranscriptEntry {
  readonly from: 'host' | 'plugin';
  /** Matched (as a subset, with placeholders) when the binding sends it; sent when the runner plays `from`. */
  readonly message: unknown;
  /** Sent instead of `message` when the runner plays `from` (optional). */
  readonly sends?: unknown;
}

/** Bindings of `<id:label>` placeholders, shared by both sides of one run. */
export class IdBindings {
  readonly #ids = new Map<string, unknown>();
  #next = 1;

  get(label: string): unknown {
    return this.#ids.get(label);
  }

  has(label: string): boolean {
    return this.#ids.has(label);
  }

  bind(label: string, id: unknown): void {
    this.#ids.set(label, id);
  }

  /** A fresh id for a request the runner sends (numbers from 1001, unlike most bindings' own). */
  fresh(label: string): number {
    const id = 1000 + this.#next;
    this.#next += 1;
    this.#ids.set(label, id);
    return id;
  }
}

const PLACEHOLDER =
  /^<(any|absent|string|number|boolean|object|array|contains:[^|]*|id:[^|>]+)(?:\|([\s\S]*))?>$/;

/** The kind and sample of a placeholder string, or `undefined` for an ordinary string. */
export function placeholder(
  value: unknown,
): { kind: string; arg: string | undefined; sample: string | undefined } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = PLACEHOLDER.exec(value);
  if (m === null) return undefined;
  const head = m[1] as string;
  const colon = head.indexOf(':');
  return colon < 0
    ? { kind: head, arg: undefined, sample: m[2] }
    : { kind: head.slice(0, colon), arg: head.slice(colon + 1), sample: m[2] };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const JSON_KEY = '<json>';

function isJsonPlaceholder(v: unknown): v is { [JSON_KEY]: unknown } {
  return isPlainObject(v) && Object.keys(v).length === 1 && JSON_KEY in v;
}

function fail(path: string, expected: unknown, actual: unknown): never {
  throw new Mismatch(
    `${path}: expected ${show(expected)}, got ${actual === undefined ? 'nothing' : show(actual)}`,
  );
}

/**
 * Match a received message (or part of one) against an expected value:
 * objects as subsets, arrays element by element with the same length,
 * scalars by value, placeholder strings by their rule (README §Wire).
 */
export function matchMessage(
  expected: unknown,
  actual: unknown,
  path: string,
  ids: IdBindings,
): void {
  const p = placeholder(expected);
  if (p !== undefined) {
    if (p.kind === 'absent') {
      if (actual !== undefined) fail(path, expected, actual);
      return;
    }
    if (actual === undefined) fail(path, expected, actual);
    switch (p.kind) {
      case 'any':
        return;
      case 'string':
      case 'number':
      case 'boolean':
        if (typeof actual !== p.kind) fail(path, expected, actual);
        return;
      case 'object':
        if (!isPlainObject(actual)) fail(path, expected, actual);
        return;
      case 'array':
        if (!Array.isArray(actual)) fail(path, expected, actual);
        return;
      case 'contains':
        if (typeof actual !== 'string' || !actual.includes(p.arg ?? ''))
          fail(path, expected, actual);
        return;
      case 'id': {
        const label = p.arg as string;
        if (typeof actual !== 'string' && typeof actual !== 'number') fail(path, expected, actual);
        if (ids.has(label)) {
          if (ids.get(label) !== actual)
            fail(path, `${expected} (bound to ${show(ids.get(label))})`, actual);
        } else {
          ids.bind(label, actual);
        }
        return;
      }
    }
  }
  if (isJsonPlaceholder(expected)) {
    if (typeof actual !== 'string') fail(path, expected, actual);
    let parsed: unknown;
    try {
      parsed = JSON.parse(actual);
    } catch {
      fail(path, expected, actual);
    }
    matchMessage(expected[JSON_KEY], parsed, `${path}<json>`, ids);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) fail(path, expected, actual);
    expected.forEach((item, i) => {
      matchMessage(item, actual[i], `${path}[${i}]`, ids);
    });
    return;
  }
  if (isPlainObject(expected)) {
    if (!isPlainObject(actual)) fail(path, expected, actual);
    for (const [key, want] of Object.entries(expected)) {
      matchMessage(want, actual[key], `${path}.${key}`, ids);
    }
    return;
  }
  const got = actual === undefined ? undefined : actual;
  if (!Object.is(expected, got) && !(expected === 0 && got === 0)) fail(path, expected, actual);
}

const ABSENT = Symbol('absent');

/**
 * The message the runner sends for a transcript entry: `<id:label>` becomes
 * the bound id (or a fresh one), `<kind|sample>` its sample, `<absent>` leaves
 * the key out, `{"<json>": v}` becomes the JSON text of `v`. A placeholder
 * without a sample cannot be sent (a fixture error).
 */
export function materialise(template: unknown, ids: IdBindings, path: string): unknown {
  const out = build(template, ids, path);
  if (out === ABSENT) throw new Mismatch(`fixture error: ${path} is <absent>`);
  return out;
}

function build(template: unknown, ids: IdBindings, path: string): unknown {
  const p = placeholder(template);
  if (p !== undefined) {
    if (p.kind === 'absent') return ABSENT;
    if (p.kind === 'id') {
      const label = p.arg as string;
      return ids.has(label) ? ids.get(label) : ids.fresh(label);
    }
    if (p.sample === undefined) {
      throw new Mismatch(
        `fixture error: ${path} is ${show(template)}, which the runner cannot send; give a sample ("<${p.kind}|...>") or a \`sends\` message`,
      );
    }
    switch (p.kind) {
      case 'number':
        return Number(p.sample);
      case 'boolean':
        return p.sample === 'true';
      case 'any':
      case 'object':
      case 'array':
        return JSON.parse(p.sample);
      default:
        return p.sample;
    }
  }
  if (isJsonPlaceholder(template)) {
    return JSON.stringify(materialise(template[JSON_KEY], ids, `${path}<json>`));
  }
  if (Array.isArray(template)) return template.map((v, i) => materialise(v, ids, `${path}[${i}]`));
  if (isPlainObject(template)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(template)) {
      const v = build(value, ids, `${path}.${key}`);
      if (v !== ABSENT) out[key] = v;
    }
    return out;
  }
  return template;
}

/**
 * One end of an MCP connection as the runner sees it: messages in arrival
 * order, and a way to send. Transports attach to it.
 */
export class Channel {
  readonly #queue: unknown[] = [];
  readonly #waiters: ((message: unknown) => void)[] = [];
  #ended = false;
  #send: ((message: unknown) => Promise<void>) | undefined;
  #close: (() => void) | undefined;
  #onAttach: (() => void) | undefined;
  readonly #attached: Promise<void>;
  /** Everything received, for diagnostics. */
  readonly received: unknown[] = [];

  constructor() {
    this.#attached = new Promise((resolve) => {
      this.#onAttach = resolve;
    });
  }

  get attached(): boolean {
    return this.#send !== undefined;
  }

  get ended(): boolean {
    return this.#ended;
  }

  attach(send: (message: unknown) => Promise<void>, close: () => void): void {
    this.#send = send;
    this.#close = close;
    this.#onAttach?.();
  }

  push(message: unknown): void {
    this.received.push(message);
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter(message);
    else this.#queue.push(message);
  }

  /** No more messages will arrive. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
  }

  /** The next message, or `undefined` once the other side closed and the queue is empty. */
  next(): Promise<unknown> {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift());
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async send(message: unknown): Promise<void> {
    if (this.#ended) throw new Mismatch(`cannot send ${show(message)}: the connection is closed`);
    await this.#attached;
    await (this.#send as (message: unknown) => Promise<void>)(message);
  }

  /** Close the connection from the runner's side. */
  close(): void {
    this.#close?.();
    this.end();
  }
}

/**
 * Play the runner's side (`me`) of a transcript: send its entries, match the
 * others against what arrives, in order.
 */
export async function play(
  script: readonly TranscriptEntry[],
  me: 'host' | 'plugin',
  channel: Channel,
  ids: IdBindings,
  base: string,
): Promise<void> {
  for (const [i, entry] of script.entries()) {
    const where = `${base}[${i}]`;
    if (entry.from !== 'host' && entry.from !== 'plugin') {
      throw new Mismatch(`fixture error: ${where}.from must be host or plugin`);
    }
    if (entry.from === me) {
      const message = materialise(entry.sends ?? entry.message, ids, `${where}.message`);
      await channel.send({ jsonrpc: '2.0', ...(message as Record<string, unknown>) });
      continue;
    }
    const got = await channel.next();
    if (got === undefined) {
      throw new Mismatch(
        `${where}: expected the ${entry.from} to send ${show(entry.message)}, but it sent nothing more`,
      );
    }
    try {
      matchMessage(entry.message, got, `${where}.message`, ids);
    } catch (error) {
      if (error instanceof Mismatch)
        throw new Mismatch(`${error.message} (the ${entry.from} sent ${show(got)})`);
      throw error;
    }
  }
}
