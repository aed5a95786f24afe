import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import {
  DEFAULT_TOOL_NAME_TEMPLATE,
  type DispatchClass,
  type ErrorPolicy,
  type JsonValue,
} from '@dagstack/plugin-api';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { LineCounter, parseDocument } from 'yaml';
import { bundleSchema } from './bundle.js';
import type { LoadedHook, LoadedHookspec, LoadHookspecResult, SourceFile } from './model.js';
import { planNames } from './names.js';
import { SourcePositions } from './positions.js';
import {
  fromPointer,
  HookspecInvalid,
  type HookspecProblem,
  suggest,
  toPointer,
} from './problems.js';
import { isRecord } from './schema-walk.js';
import { createAjv, loadSchemaFiles, type SchemaRequest, sha256 } from './schemas.js';

/** Location of the hookspec format's JSON Schema shipped with the package. */
const FORMAT_SCHEMA_URL: URL = new URL('../schema/hookspec.schema.json', import.meta.url);

let formatValidator: ValidateFunction | undefined;

/**
 * The JSON Schema of the hookspec YAML format (2020-12), as an object.
 * @since 0.1.0
 */
export function hookspecJsonSchema(): Readonly<Record<string, unknown>> {
  return JSON.parse(readFileSync(FORMAT_SCHEMA_URL, 'utf8')) as Record<string, unknown>;
}

function validator(): ValidateFunction {
  formatValidator ??= createAjv().compile(hookspecJsonSchema());
  return formatValidator;
}

/** Human wording of the `pattern` rules of the format, by field. */
const PATTERN_MESSAGES: Readonly<Record<string, string>> = {
  kind: 'must be snake_case: lowercase letters, digits and "_", starting with a letter (e.g. "vector_store")',
  name: 'must be snake_case: lowercase letters, digits and "_", starting with a letter (e.g. "get_schema")',
  kind_api_version: 'must be a SemVer 2.0.0 version such as "1.0.0"',
  mcp_tool_name_template:
    'must be text with {snake_case} placeholders, e.g. "{kind}.{plugin}.{hook}"; braces cannot nest or stay open',
  input_schema: 'must be the path of a .json file, relative to the hookspec',
  output_schema: 'must be the path of a .json file, relative to the hookspec',
};

const HOOK_FIELDS: readonly string[] = [
  'name',
  'dispatch',
  'description',
  'input_schema',
  'output_schema',
  'mcp_exposed',
  'mcp_tool_name_template',
  'error_policy',
];
const TOP_FIELDS: readonly string[] = [
  'kind',
  'kind_api_version',
  'description',
  'constraints',
  'hooks',
];

/**
 * Read a kind hookspec YAML, validate it against the format's JSON Schema and
 * rules, load every JSON Schema its hooks reference (following `$ref`s across
 * files) and compile each hook payload with ajv. Never throws for problems in
 * the files: they come back with file, line, column and JSON pointer.
 * @since 0.1.0
 */
export async function loadHookspec(path: string): Promise<LoadHookspecResult> {
  const file = resolve(path);
  const problems: HookspecProblem[] = [];
  const done = (): LoadHookspecResult => {
    const errors = problems.filter((p) => p.severity === 'error');
    const warnings = problems.filter((p) => p.severity === 'warning');
    return { ok: false, problems: [...errors, ...warnings], warnings };
  };

  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push({
      severity: 'error',
      file,
      pointer: '',
      rule: 'io',
      message:
        code === 'ENOENT' ? 'hookspec file does not exist' : `cannot read the hookspec (${code})`,
    });
    return done();
  }
  const text = bytes.toString('utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  for (const [severity, list] of [
    ['error', doc.errors],
    ['warning', doc.warnings],
  ] as const) {
    for (const error of list) {
      const position = lineCounter.linePos(error.pos[0]);
      problems.push({
        severity,
        file,
        line: position.line,
        column: position.col,
        pointer: '',
        rule: 'syntax',
        message: `YAML: ${error.message.split('\n')[0] ?? error.code}`,
      });
    }
  }
  if (doc.errors.length > 0) return done();

  const data: unknown = doc.toJS();
  const positions = new SourcePositions(text);
  const at = (
    segments: readonly (string | number)[],
    rule: string,
    message: string,
    options: { key?: boolean; severity?: 'error' | 'warning' } = {},
  ): HookspecProblem => ({
    severity: options.severity ?? 'error',
    file,
    pointer: toPointer(segments),
    rule,
    message,
    ...positions.at(segments, options),
  });

  const validate = validator();
  if (validate(data) !== true) {
    const seen = new Set<string>();
    for (const problem of (validate.errors ?? []).flatMap((e) =>
      describeFormatError(e, data, at),
    )) {
      const key = `${problem.pointer}\u0000${problem.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push(problem);
    }
    return done();
  }

  const spec = data as {
    kind: string;
    kind_api_version: string;
    description?: string;
    constraints?: Record<string, JsonValue>;
    hooks: {
      name: string;
      dispatch: DispatchClass;
      description?: string;
      input_schema: string;
      output_schema?: string;
      mcp_exposed?: boolean;
      mcp_tool_name_template?: string;
      error_policy?: ErrorPolicy;
    }[];
  };

  const firstByName = new Map<string, number>();
  spec.hooks.forEach((hook, i) => {
    const first = firstByName.get(hook.name);
    if (first === undefined) firstByName.set(hook.name, i);
    else {
      const line = positions.at(['hooks', first, 'name'])?.line;
      problems.push(
        at(
          ['hooks', i, 'name'],
          'duplicate',
          `duplicate hook name "${hook.name}": already declared at /hooks/${first}${line === undefined ? '' : ` (line ${line})`}; hook names are unique within a kind`,
        ),
      );
    }
    if (hook.error_policy !== undefined && hook.dispatch !== 'broadcast_collect') {
      problems.push(
        at(
          ['hooks', i, 'error_policy'],
          'cross-field',
          `error_policy applies only to broadcast_collect hooks; "${hook.name}" dispatches as ${hook.dispatch} — remove error_policy`,
          { key: true },
        ),
      );
    }
    if (hook.dispatch === 'chain' && hook.mcp_exposed === false) {
      // ADR-0002 §4: every stage's output is the next one's input across
      // runtimes, so chain hooks must be RPC-safe.
      problems.push(
        at(
          ['hooks', i, 'mcp_exposed'],
          'cross-field',
          `chain hooks must be RPC-safe (ADR-0002 §4): "${hook.name}" cannot be mcp_exposed: false — remove the line or use another dispatch class`,
          { key: true },
        ),
      );
    }
    if (hook.mcp_exposed === false && hook.mcp_tool_name_template !== undefined) {
      problems.push(
        at(
          ['hooks', i, 'mcp_tool_name_template'],
          'cross-field',
          `mcp_tool_name_template is ignored: "${hook.name}" has mcp_exposed: false`,
          { key: true, severity: 'warning' },
        ),
      );
    }
  });

  const dir = dirname(file);
  const requests: SchemaRequest[] = [];
  const hooks: LoadedHook[] = spec.hooks.map((hook, i) => {
    const input = resolve(dir, hook.input_schema);
    const output = hook.output_schema === undefined ? undefined : resolve(dir, hook.output_schema);
    for (const [field, target] of [
      ['input_schema', input],
      ['output_schema', output],
    ] as const) {
      if (target === undefined) continue;
      const referrer = at(['hooks', i, field], 'io', '');
      requests.push({
        file: target,
        referrer: {
          file,
          pointer: referrer.pointer,
          ...(referrer.line === undefined ? {} : { line: referrer.line }),
          ...(referrer.column === undefined ? {} : { column: referrer.column }),
        },
      });
    }
    return {
      name: hook.name,
      dispatch: hook.dispatch,
      ...(hook.description === undefined ? {} : { description: hook.description.trimEnd() }),
      input_schema: hook.input_schema,
      input_schema_file: input,
      ...(hook.output_schema === undefined || output === undefined
        ? {}
        : { output_schema: hook.output_schema, output_schema_file: output }),
      mcp_exposed: hook.mcp_exposed ?? true,
      mcp_tool_name_template: hook.mcp_tool_name_template ?? DEFAULT_TOOL_NAME_TEMPLATE,
      ...(hook.dispatch === 'broadcast_collect'
        ? { error_policy: hook.error_policy ?? 'fail_fast' }
        : {}),
    };
  });

  const schemas = await loadSchemaFiles(requests, problems);
  if (problems.some((p) => p.severity === 'error')) return done();

  const toRelative = (target: string): string => relative(dir, target).split(sep).join('/');
  const sources: SourceFile[] = [
    { path: toRelative(file), file, sha256: sha256(bytes) },
    ...[...schemas.documents.values()]
      .map((d) => ({ path: toRelative(d.file), file: d.file, sha256: d.sha256 }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  ];
  const loaded: LoadedHookspec = {
    file,
    kind: spec.kind,
    kind_api_version: spec.kind_api_version,
    ...(spec.description === undefined ? {} : { description: spec.description.trimEnd() }),
    constraints: spec.constraints ?? {},
    hooks,
    schemas,
    sources,
  };

  compilePayloads(loaded, problems);
  if (problems.some((p) => p.severity === 'error')) return done();
  return { ok: true, hookspec: loaded, warnings: problems };
}

/**
 * Like {@link loadHookspec}, but throws {@link HookspecInvalid} carrying every
 * problem.
 * @since 0.1.0
 */
export async function loadHookspecOrThrow(path: string): Promise<LoadedHookspec> {
  const result = await loadHookspec(path);
  if (result.ok) return result.hookspec;
  throw new HookspecInvalid({ problems: result.problems, path: resolve(path) });
}

/** Prove every payload schema compiles standalone, as dispatch will compile it. */
function compilePayloads(spec: LoadedHookspec, problems: HookspecProblem[]): void {
  const { names } = planNames(spec);
  const compiled = new Set<string>();
  for (const hook of spec.hooks) {
    for (const file of [hook.input_schema_file, hook.output_schema_file]) {
      if (file === undefined || compiled.has(file)) continue;
      compiled.add(file);
      const warnings: string[] = [];
      try {
        const bundled = bundleSchema(spec.schemas, names, { file, pointer: '' });
        createAjv((message) => warnings.push(message)).compile(bundled as object);
      } catch (error) {
        problems.push({
          severity: 'error',
          file,
          pointer: '',
          rule: 'schema',
          message: `ajv cannot compile the schema: ${(error as Error).message}`,
        });
      }
      for (const message of warnings) {
        problems.push({ severity: 'warning', file, pointer: '', rule: 'schema', message });
      }
    }
  }
}

type At = (
  segments: readonly (string | number)[],
  rule: string,
  message: string,
  options?: { key?: boolean },
) => HookspecProblem;

function describeFormatError(error: ErrorObject, data: unknown, at: At): HookspecProblem[] {
  const path = fromPointer(error.instancePath);
  const field = String(path.at(-1) ?? '');
  const value = valueAt(data, path);
  switch (error.keyword) {
    case 'additionalProperties': {
      const extra = String((error.params as { additionalProperty: string }).additionalProperty);
      const known = path.length === 0 ? TOP_FIELDS : path[0] === 'hooks' ? HOOK_FIELDS : [];
      const guess = suggest(extra, known);
      return [
        at(
          [...path, extra],
          'unknown-field',
          `unknown field "${extra}"${guess === undefined ? '' : ` — did you mean "${guess}"?`} (extension fields start with "x-")`,
          { key: true },
        ),
      ];
    }
    case 'required': {
      const missing = String((error.params as { missingProperty: string }).missingProperty);
      const extra =
        missing === 'output_schema'
          ? ' (only broadcast_notify hooks may leave out output_schema)'
          : '';
      return [at(path, 'required', `missing required field "${missing}"${extra}`)];
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const guess = typeof value === 'string' ? suggest(value, allowed) : undefined;
      const closed =
        field === 'dispatch'
          ? ' (the dispatch classes are a closed enum; a new one needs an ADR)'
          : '';
      return [
        at(
          path,
          'enum',
          `${JSON.stringify(value)} is not allowed: use one of ${allowed.join(', ')}${closed}${guess === undefined ? '' : ` — did you mean "${guess}"?`}`,
        ),
      ];
    }
    case 'pattern':
      return [
        at(
          path,
          'pattern',
          `${JSON.stringify(value)} ${PATTERN_MESSAGES[field] ?? `must match ${(error.params as { pattern: string }).pattern}`}`,
        ),
      ];
    case 'type': {
      const wanted = (error.params as { type: string | string[] }).type;
      const hint =
        field === 'kind_api_version' && typeof value === 'number'
          ? ` — YAML read ${value} as a number; quote the version ("1.0.0")`
          : '';
      return [
        at(
          path,
          'type',
          `must be ${Array.isArray(wanted) ? wanted.join(' or ') : wanted}, got ${describe(value)}${hint}`,
        ),
      ];
    }
    case 'minItems':
      return [at(path, 'min-items', 'a kind needs at least one hook')];
    case 'minLength':
      return [at(path, 'min-length', 'must not be empty')];
    case 'if':
      return [];
    default:
      return [at(path, error.keyword, error.message ?? 'is invalid')];
  }
}

function valueAt(data: unknown, path: readonly string[]): unknown {
  let node = data;
  for (const segment of path) {
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (isRecord(node)) node = node[segment];
    else return undefined;
  }
  return node;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
