import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { positionOfOffset, SourcePositions } from './positions.js';
import { fromPointer, type HookspecProblem, toPointer } from './problems.js';
import { forEachSubschema, isRecord } from './schema-walk.js';

/**
 * One JSON Schema file read from disk.
 * @since 0.1.0
 */
export interface SchemaDocument {
  /** Absolute path. */
  readonly file: string;
  /** The file's text, exactly as read. */
  readonly text: string;
  /** The parsed document. */
  readonly json: unknown;
  /** sha256 of the file's bytes, hex. */
  readonly sha256: string;
}

/**
 * A place in a schema document: a file and a JSON pointer into it.
 * @since 0.1.0
 */
export interface SchemaLocation {
  /** Absolute path of the schema file. */
  readonly file: string;
  /** JSON pointer into the file; `''` is the whole document. */
  readonly pointer: string;
}

/** `file#pointer`, the identity of a location. */
export function locationKey(location: SchemaLocation): string {
  return `${location.file}#${location.pointer}`;
}

/** sha256 of a string's UTF-8 bytes (or of raw bytes), hex. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The schema node at `pointer` in `json`, or `undefined`. */
export function nodeAtPointer(json: unknown, pointer: string): unknown {
  let node: unknown = json;
  for (const segment of fromPointer(pointer)) {
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (isRecord(node) && Object.hasOwn(node, segment)) node = node[segment];
    else return undefined;
  }
  return node;
}

/**
 * The loaded schema files of one hookspec and how `$ref`s between them
 * resolve. References are resolved by relative file path (and by `$id` for
 * absolute URIs naming a loaded file); fragments are JSON pointers.
 */
export class SchemaSet {
  /** The loaded files, by absolute path. */
  readonly documents: ReadonlyMap<string, SchemaDocument>;
  readonly #byId: ReadonlyMap<string, string>;

  constructor(documents: ReadonlyMap<string, SchemaDocument>) {
    this.documents = documents;
    const byId = new Map<string, string>();
    for (const doc of documents.values()) {
      if (isRecord(doc.json) && typeof doc.json.$id === 'string') {
        byId.set(stripFragment(doc.json.$id), doc.file);
      }
    }
    this.#byId = byId;
  }

  /** The node at a location, or `undefined` when the file or pointer is missing. */
  node(location: SchemaLocation): unknown {
    const doc = this.documents.get(location.file);
    return doc === undefined ? undefined : nodeAtPointer(doc.json, location.pointer);
  }

  /** Where `ref`, written in `fromFile`, points; a string is an error message. */
  resolve(fromFile: string, ref: string): SchemaLocation | string {
    return resolveRef(fromFile, ref, this.#byId);
  }
}

function stripFragment(uri: string): string {
  const hash = uri.indexOf('#');
  return hash === -1 ? uri : uri.slice(0, hash);
}

function resolveRef(
  fromFile: string,
  ref: string,
  byId: ReadonlyMap<string, string>,
): SchemaLocation | string {
  const hash = ref.indexOf('#');
  const uriPart = hash === -1 ? ref : ref.slice(0, hash);
  let fragment = hash === -1 ? '' : ref.slice(hash + 1);
  try {
    fragment = decodeURIComponent(fragment);
  } catch {
    return `the fragment of $ref "${ref}" is not valid percent-encoding`;
  }
  if (fragment !== '' && !fragment.startsWith('/')) {
    return `$ref "${ref}" uses an anchor ("#${fragment}"); use a JSON pointer such as "#/$defs/${fragment}"`;
  }
  let file = fromFile;
  if (uriPart !== '') {
    if (/^[a-z][a-z0-9+.-]*:/i.test(uriPart)) {
      const local = byId.get(uriPart);
      if (local === undefined) {
        return `$ref "${ref}" names a remote schema; remote references are not fetched — reference a local file by relative path`;
      }
      file = local;
    } else {
      let path: string;
      try {
        path = decodeURI(uriPart);
      } catch {
        return `$ref "${ref}" is not valid percent-encoding`;
      }
      file = resolve(dirname(fromFile), path);
    }
  }
  return { file, pointer: fragment };
}

/** A schema file to load, and who asked for it (for error positions). */
export interface SchemaRequest {
  readonly file: string;
  /** Where the path was written: the hookspec field, or the `$ref`. */
  readonly referrer: {
    readonly file: string;
    readonly line?: number;
    readonly column?: number;
    readonly pointer: string;
  };
}

/**
 * Read the requested schema files and every file their `$ref`s reach, and
 * check that each reference resolves. Problems are appended to `problems`.
 */
export async function loadSchemaFiles(
  requests: readonly SchemaRequest[],
  problems: HookspecProblem[],
): Promise<SchemaSet> {
  const documents = new Map<string, SchemaDocument>();
  const failed = new Set<string>();
  const queue = [...requests];
  const refs: { file: string; path: (string | number)[]; ref: string }[] = [];
  while (queue.length > 0) {
    const request = queue.shift() as SchemaRequest;
    if (documents.has(request.file) || failed.has(request.file)) continue;
    const doc = await readSchemaFile(request, problems);
    if (doc === undefined) {
      failed.add(request.file);
      continue;
    }
    documents.set(doc.file, doc);
    forEachSubschema(doc.json, (node, path) => {
      if (!isRecord(node)) return;
      for (const keyword of ['$dynamicRef', '$recursiveRef']) {
        if (keyword in node) {
          problems.push(
            problemAt(doc, [...path, keyword], 'ref', `${keyword} is not supported; use $ref`),
          );
        }
      }
      if (!('$ref' in node)) return;
      const ref = node.$ref;
      if (typeof ref !== 'string') return; // the meta-schema check reports it
      refs.push({ file: doc.file, path: [...path, '$ref'], ref });
      const target = resolveRef(doc.file, ref, new Map());
      if (typeof target !== 'string' && target.file !== doc.file) {
        const position = positionsOf(doc).at([...path, '$ref']);
        queue.push({
          file: target.file,
          referrer: { file: doc.file, pointer: toPointer([...path, '$ref']), ...position },
        });
      }
    });
  }
  const set = new SchemaSet(documents);
  for (const { file, path, ref } of refs) {
    const doc = documents.get(file) as SchemaDocument;
    const target = set.resolve(file, ref);
    if (typeof target === 'string') {
      problems.push(problemAt(doc, path, 'ref', target));
    } else if (!failed.has(target.file) && set.node(target) === undefined) {
      problems.push(
        problemAt(
          doc,
          path,
          'ref',
          `$ref "${ref}" points to nothing: ${target.pointer === '' ? 'the file' : `"${target.pointer}"`} does not exist in ${target.file}`,
        ),
      );
    }
  }
  checkMetaSchema(set, problems);
  return set;
}

const positionCache = new WeakMap<SchemaDocument, SourcePositions>();

function positionsOf(doc: SchemaDocument): SourcePositions {
  let positions = positionCache.get(doc);
  if (positions === undefined) {
    positions = new SourcePositions(doc.text);
    positionCache.set(doc, positions);
  }
  return positions;
}

/** A problem at a path of a schema document, with its line and column. */
export function problemAt(
  doc: SchemaDocument,
  path: readonly (string | number)[],
  rule: string,
  message: string,
  severity: 'error' | 'warning' = 'error',
): HookspecProblem {
  const position = positionsOf(doc).at(path);
  return { severity, file: doc.file, pointer: toPointer(path), rule, message, ...position };
}

async function readSchemaFile(
  request: SchemaRequest,
  problems: HookspecProblem[],
): Promise<SchemaDocument | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(request.file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push({
      severity: 'error',
      ...request.referrer,
      rule: 'io',
      message:
        code === 'ENOENT'
          ? `schema file ${request.file} does not exist`
          : `cannot read schema file ${request.file} (${code ?? String(error)})`,
    });
    return undefined;
  }
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const match = /position (\d+)/.exec(message);
    const position = match?.[1] === undefined ? {} : positionOfOffset(text, Number(match[1]));
    problems.push({
      severity: 'error',
      file: request.file,
      pointer: '',
      rule: 'syntax',
      message: `not valid JSON: ${message}`,
      ...position,
    });
    return undefined;
  }
  return { file: request.file, text, json, sha256: sha256(bytes) };
}

const META_2020 = 'https://json-schema.org/draft/2020-12/schema';

/**
 * A fresh ajv for JSON Schema 2020-12 with formats. Strict-mode findings
 * (unknown keywords, ...) go to `warn` instead of the console.
 */
export function createAjv(warn: (message: string) => void = () => {}): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    strict: 'log',
    strictRequired: false,
    allowUnionTypes: true,
    logger: {
      log: () => {},
      warn: (...args: unknown[]) => warn(args.map(String).join(' ')),
      error: () => {},
    },
  });
  // ajv-formats ships CommonJS; under NodeNext its default import is the module object.
  addFormatsModule.default(ajv);
  return ajv;
}

function checkMetaSchema(set: SchemaSet, problems: HookspecProblem[]): void {
  const ajv = createAjv();
  for (const doc of set.documents.values()) {
    if (typeof doc.json !== 'boolean' && !isRecord(doc.json)) {
      problems.push(problemAt(doc, [], 'schema', 'a JSON Schema must be an object or a boolean'));
      continue;
    }
    if (isRecord(doc.json) && doc.json.$schema !== undefined && doc.json.$schema !== META_2020) {
      problems.push(
        problemAt(
          doc,
          ['$schema'],
          'schema',
          `only JSON Schema 2020-12 is supported ("$schema": "${META_2020}"), got ${JSON.stringify(doc.json.$schema)}`,
        ),
      );
      continue;
    }
    const schema = isRecord(doc.json) ? { ...doc.json, $id: undefined } : doc.json;
    if (isRecord(schema)) delete schema.$id;
    if (ajv.validateSchema(schema) === true) continue;
    for (const error of ajv.errors ?? []) {
      const path = fromPointer(error.instancePath);
      problems.push(
        problemAt(
          doc,
          path,
          'schema',
          `not a valid JSON Schema 2020-12: ${error.instancePath || '(root)'} ${error.message ?? 'is invalid'}`,
        ),
      );
    }
  }
}
