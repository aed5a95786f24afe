import { isRecord, type JsonRecord } from './schema-walk.js';
import { locationKey, type SchemaLocation, type SchemaSet } from './schemas.js';
import { jsdoc, LINE_WIDTH, printUnionMember, propertyKey, quote } from './ts-print.js';

/** Keywords documented as JSDoc tags, in this order. */
const DOC_TAGS: readonly string[] = [
  'format',
  'pattern',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'contentMediaType',
  'contentEncoding',
  'default',
];

/** A TypeScript literal type for a JSON value. */
export function literalType(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(literalType).join(', ')}]`;
  if (isRecord(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return 'Record<string, never>';
    return `{ ${entries.map(([k, v]) => `${propertyKey(k)}: ${literalType(v)}`).join('; ')} }`;
  }
  return 'unknown';
}

function dedupe(items: readonly string[]): string[] {
  return [...new Set(items)];
}

/**
 * Turns JSON Schema 2020-12 nodes into TypeScript type text. References are
 * printed as the name of their target, so recursion and sharing survive.
 */
export class TypeEmitter {
  readonly #schemas: SchemaSet;
  readonly #names: ReadonlyMap<string, string>;

  constructor(schemas: SchemaSet, names: ReadonlyMap<string, string>) {
    this.#schemas = schemas;
    this.#names = names;
  }

  /** The lines of `export type <name> = ...;` for the schema at `location`. */
  declaration(location: SchemaLocation, name: string): string[] {
    const node = this.#schemas.node(location);
    const lines = jsdoc(docLines(node, true), '');
    const members = this.members(node, location.file, '');
    lines.push(...printUnionMember(`export type ${name} =`, members, '', ';'));
    return lines;
  }

  /** The name of a `$ref` target written in `file`. */
  refName(file: string, ref: string): string {
    const target = this.#schemas.resolve(file, ref);
    if (typeof target === 'string') return 'unknown';
    return this.#names.get(locationKey(target)) ?? 'unknown';
  }

  /** The members of the union type of `node` (one member when it is no union). */
  members(node: unknown, file: string, indent: string): string[] {
    if (node === true || node === undefined) return ['unknown'];
    if (node === false) return ['never'];
    if (!isRecord(node)) return ['unknown'];
    const parts: string[][] = [];
    if (typeof node.$ref === 'string') parts.push([this.refName(file, node.$ref)]);
    if ('const' in node) parts.push([literalType(node.const)]);
    else if (Array.isArray(node.enum)) parts.push(dedupe(node.enum.map(literalType)));
    else {
      const base = this.#base(node, file, indent);
      if (base !== undefined) parts.push(base);
    }
    if (Array.isArray(node.allOf)) {
      for (const sub of node.allOf) parts.push(this.members(sub, file, indent));
    }
    for (const keyword of ['oneOf', 'anyOf']) {
      const list = node[keyword];
      if (!Array.isArray(list)) continue;
      const alternatives = dedupe(list.flatMap((sub) => this.members(sub, file, indent)));
      if (!alternatives.includes('unknown')) parts.push(alternatives);
    }
    const useful = parts.filter((p) => !(p.length === 1 && p[0] === 'unknown'));
    if (useful.length === 0) return ['unknown'];
    if (useful.length === 1) return useful[0] as string[];
    return [
      useful.map((p) => (p.length === 1 ? (p[0] as string) : `(${p.join(' | ')})`)).join(' & '),
    ];
  }

  #expr(node: unknown, file: string, indent: string): string {
    return this.members(node, file, indent).join(' | ');
  }

  #base(node: JsonRecord, file: string, indent: string): string[] | undefined {
    let types: unknown[];
    if (typeof node.type === 'string') types = [node.type];
    else if (Array.isArray(node.type)) types = node.type;
    else if ('properties' in node || 'additionalProperties' in node || 'patternProperties' in node)
      types = ['object'];
    else if ('items' in node || 'prefixItems' in node) types = ['array'];
    else return undefined;
    return dedupe(
      types.map((type) => {
        switch (type) {
          case 'string':
            return 'string';
          case 'number':
          case 'integer':
            return 'number';
          case 'boolean':
            return 'boolean';
          case 'null':
            return 'null';
          case 'array':
            return this.#array(node, file, indent);
          case 'object':
            return this.#object(node, file, indent);
          default:
            return 'unknown';
        }
      }),
    );
  }

  #array(node: JsonRecord, file: string, indent: string): string {
    const element = (sub: unknown): string => {
      const members = this.members(sub, file, indent);
      const text = members.join(' | ');
      return members.length > 1 || text.includes(' & ') ? `(${text})` : text;
    };
    if (Array.isArray(node.prefixItems)) {
      const items = node.prefixItems.map((sub) => this.#expr(sub, file, indent));
      if (node.items === false) return `[${items.join(', ')}]`;
      const rest =
        node.items === undefined || node.items === true ? 'unknown' : element(node.items);
      return `[${[...items, `...${rest}[]`].join(', ')}]`;
    }
    if (node.items === undefined || node.items === true) return 'unknown[]';
    return `${element(node.items)}[]`;
  }

  #object(node: JsonRecord, file: string, indent: string): string {
    const properties = isRecord(node.properties) ? Object.entries(node.properties) : [];
    const required = new Set(
      Array.isArray(node.required) ? node.required.filter((r) => typeof r === 'string') : [],
    );
    const closed =
      node.additionalProperties === false ||
      (node.additionalProperties === undefined && node.unevaluatedProperties === false);
    let index: string[] = [];
    if (!closed) {
      const extra = node.additionalProperties;
      index =
        extra === undefined || extra === true ? ['unknown'] : this.members(extra, file, indent);
    }
    if (isRecord(node.patternProperties)) {
      for (const sub of Object.values(node.patternProperties)) {
        index.push(...this.members(sub, file, indent));
      }
    }
    index = index.includes('unknown') ? ['unknown'] : dedupe(index);
    if (properties.length === 0) {
      if (index.length === 0) return 'Record<string, never>';
      return `Record<string, ${index.join(' | ')}>`;
    }
    const inner = `${indent}  `;
    const lines: string[] = ['{'];
    const propertyTypes: string[] = [];
    let anyOptional = false;
    for (const [key, sub] of properties) {
      const optional = !required.has(key);
      anyOptional ||= optional;
      const members = this.members(sub, file, inner);
      propertyTypes.push(...members);
      lines.push(...jsdoc(docLines(sub, false), inner));
      lines.push(
        ...printUnionMember(`${propertyKey(key)}${optional ? '?' : ''}:`, members, inner, ';'),
      );
    }
    if (index.length > 0) {
      const values =
        index[0] === 'unknown'
          ? ['unknown']
          : dedupe([...index, ...propertyTypes, ...(anyOptional ? ['undefined'] : [])]);
      const head = '[key: string]:';
      const flat = `${inner}${head} ${values.join(' | ')};`;
      lines.push(
        flat.length <= LINE_WIDTH ? flat : printUnionMember(head, values, inner, ';').join('\n'),
      );
    }
    lines.push(`${indent}}`);
    return lines.join('\n');
  }
}

/** JSDoc lines of a schema node: title (declarations only), description, constraints. */
export function docLines(node: unknown, withTitle: boolean): string[] {
  if (!isRecord(node)) return [];
  const lines: string[] = [];
  if (withTitle && typeof node.title === 'string') lines.push(node.title, '');
  if (typeof node.description === 'string') lines.push(node.description.trimEnd(), '');
  if (node.type === 'integer' || (Array.isArray(node.type) && node.type.includes('integer'))) {
    lines.push('@integer');
  }
  for (const tag of DOC_TAGS) {
    if (!(tag in node)) continue;
    const value = node[tag];
    lines.push(
      `@${tag} ${typeof value === 'string' && tag !== 'default' ? value : JSON.stringify(value)}`,
    );
  }
  if (Array.isArray(node.examples)) {
    for (const example of node.examples) lines.push(`@example ${JSON.stringify(example)}`);
  }
  if (node.deprecated === true) lines.push('@deprecated');
  return lines;
}
