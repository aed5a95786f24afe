import { basename } from 'node:path';
import type { LoadedHookspec } from './model.js';
import { fromPointer, toPointer } from './problems.js';
import { forEachSubschema, isRecord } from './schema-walk.js';
import { locationKey, type SchemaLocation } from './schemas.js';

/** The TypeScript name of one hook payload. */
export interface HookPayloadName {
  readonly hook: string;
  readonly role: 'input' | 'output';
  /** The name exported for this hook and role. */
  readonly name: string;
  readonly location: SchemaLocation;
  /** When the schema file already has a type: the name this one aliases. */
  readonly aliasOf?: string;
}

/** Every named schema location of a kind, in emission order. */
export interface NamePlan {
  /** `locationKey` → type name. */
  readonly names: ReadonlyMap<string, string>;
  /** Named locations in the order their types are emitted. */
  readonly order: readonly SchemaLocation[];
  readonly payloads: readonly HookPayloadName[];
}

/**
 * `snake_case`, `kebab-case`, `dotted.name` or `camelCase` → `PascalCase`,
 * always a valid identifier.
 */
export function pascalCase(text: string): string {
  const words = text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '');
  const joined = words.map((w) => (w[0] ?? '').toUpperCase() + w.slice(1)).join('');
  if (joined === '') return 'Schema';
  return /^[0-9]/.test(joined) ? `T${joined}` : joined;
}

/** Names the generated module declares itself; payload types avoid them. */
export function reservedNames(kind: string): string[] {
  return [
    'HookCall',
    'KindSpec',
    'Plugin',
    'StopChain',
    'StopChainWith',
    'ChainStep',
    'HookName',
    'HookTypes',
    `${pascalCase(kind)}Plugin`,
  ];
}

/** Assign a unique type name to every schema location a kind's types need. */
export function planNames(spec: LoadedHookspec): NamePlan {
  const used = new Set(reservedNames(spec.kind));
  const names = new Map<string, string>();
  const order: SchemaLocation[] = [];
  const payloads: HookPayloadName[] = [];
  const queue: SchemaLocation[] = [];

  const unique = (wanted: string, prefix: string): string => {
    if (!used.has(wanted)) return wanted;
    const prefixed = `${prefix}${wanted}`;
    if (prefix !== '' && !used.has(prefixed)) return prefixed;
    for (let i = 2; ; i++) if (!used.has(`${wanted}${i}`)) return `${wanted}${i}`;
  };
  const add = (location: SchemaLocation, wanted: string, prefix = ''): string => {
    const name = unique(wanted, prefix);
    used.add(name);
    names.set(locationKey(location), name);
    order.push(location);
    queue.push(location);
    return name;
  };

  for (const hook of spec.hooks) {
    const roles: ['input' | 'output', string | undefined][] = [
      ['input', hook.input_schema_file],
      ['output', hook.output_schema_file],
    ];
    for (const [role, file] of roles) {
      if (file === undefined) continue;
      const location = { file, pointer: '' };
      const wanted = `${pascalCase(hook.name)}${role === 'input' ? 'Input' : 'Output'}`;
      const existing = names.get(locationKey(location));
      if (existing === undefined) {
        payloads.push({ hook: hook.name, role, name: add(location, wanted), location });
      } else {
        const name = unique(wanted, '');
        used.add(name);
        payloads.push({ hook: hook.name, role, name, location, aliasOf: existing });
      }
    }
  }

  while (queue.length > 0) {
    const location = queue.shift() as SchemaLocation;
    const node = spec.schemas.node(location);
    const filePrefix = pascalCase(fileStem(location.file));
    // Definitions of a named schema get their key as name, before anything else.
    for (const keyword of ['$defs', 'definitions']) {
      const defs = isRecord(node) ? node[keyword] : undefined;
      if (!isRecord(defs)) continue;
      for (const key of Object.keys(defs)) {
        const def = {
          file: location.file,
          pointer: `${location.pointer}${toPointer([keyword, key])}`,
        };
        if (!names.has(locationKey(def))) add(def, pascalCase(key), filePrefix);
      }
    }
    forEachSubschema(node, (sub) => {
      if (!isRecord(sub) || typeof sub.$ref !== 'string') return;
      const target = spec.schemas.resolve(location.file, sub.$ref);
      if (typeof target === 'string' || names.has(locationKey(target))) return;
      add(target, baseName(target), pascalCase(fileStem(target.file)));
    });
  }
  return { names, order, payloads };
}

function fileStem(file: string): string {
  return basename(file)
    .replace(/\.json$/i, '')
    .replace(/\.schema$/i, '');
}

function baseName(location: SchemaLocation): string {
  const segments = fromPointer(location.pointer);
  const last = segments.at(-1);
  if (last === undefined) return pascalCase(fileStem(location.file));
  if (/^\d+$/.test(last)) return pascalCase(`${segments.at(-2) ?? 'item'}_${last}`);
  return pascalCase(last);
}
