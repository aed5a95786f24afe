import type { HookSpec, KindSpec } from '@dagstack/plugin-api';
import { bundleSchema } from './bundle.js';
import { TypeEmitter } from './emit-types.js';
import { headerLines } from './header.js';
import type { LoadedHook, LoadedHookspec } from './model.js';
import { type NamePlan, pascalCase } from './names.js';
import { locationKey } from './schemas.js';
import { jsdoc, LINE_WIDTH, printUnionMember, printValue, quote } from './ts-print.js';

/** What each dispatch class means for a plugin author, one line each. */
const DISPATCH_NOTES: Readonly<Record<string, string>> = {
  singleton: 'one plugin serves the call (first non-empty result)',
  broadcast_collect: 'every plugin is called; the results are collected in order',
  broadcast_notify: 'every plugin is called; results are discarded',
  chain: "plugins form a pipeline: one plugin's output is the next one's input",
  capability: 'the plugin whose capabilities cover the request serves the call',
};

/** The runtime `KindSpec` of a loaded hookspec, with bundled payload schemas. */
export function kindSpecOf(spec: LoadedHookspec, plan: NamePlan): KindSpec {
  const bundle = (file: string): KindSpec['hooks'][number]['input_schema'] =>
    bundleSchema(spec.schemas, plan.names, { file, pointer: '' }) as HookSpec['input_schema'];
  return {
    kind: spec.kind,
    kind_api_version: spec.kind_api_version,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    ...(Object.keys(spec.constraints).length === 0 ? {} : { constraints: spec.constraints }),
    hooks: spec.hooks.map(
      (hook): HookSpec => ({
        name: hook.name,
        dispatch: hook.dispatch,
        ...(hook.description === undefined ? {} : { description: hook.description }),
        input_schema: bundle(hook.input_schema_file),
        ...(hook.output_schema_file === undefined
          ? {}
          : { output_schema: bundle(hook.output_schema_file) }),
        mcp_exposed: hook.mcp_exposed,
        mcp_tool_name_template: hook.mcp_tool_name_template,
        ...(hook.error_policy === undefined ? {} : { error_policy: hook.error_policy }),
      }),
    ),
  };
}

function payloadName(plan: NamePlan, hook: string, role: 'input' | 'output'): string | undefined {
  return plan.payloads.find((p) => p.hook === hook && p.role === role)?.name;
}

/** What the constraints the hookspec schema knows mean, one line each. */
const CONSTRAINT_NOTES: Readonly<Record<string, string>> = {
  in_process_only: 'When true, plugins of the kind run only in the host process (no MCP runtime).',
  singleton_per_runtime: 'When true, at most one plugin of the kind is active in a runtime.',
};

/**
 * A `readonly` object type literal, one member per line, each member under
 * its one-line JSDoc: entries are `[key, type, doc]`.
 */
function recordType(entries: readonly [string, string, string][]): string {
  if (entries.length === 0) return 'Readonly<Record<string, never>>';
  const members = entries.flatMap(([k, v, doc]) => [
    ...jsdoc([doc], '  '),
    `  readonly ${k}: ${v};`,
  ]);
  return `{\n${members.join('\n')}\n}`;
}

/**
 * The first sentence of a hook's description, keeping the author's line
 * breaks, or undefined when there is no description.
 */
function firstSentence(description: string | undefined): string | undefined {
  const text = description?.trim();
  if (text === undefined || text === '') return undefined;
  return /^[\s\S]*?[.!?](?=\s|$)/.exec(text)?.[0] ?? text;
}

function constDeclaration(name: string, type: string, value: unknown): string[] {
  const head = `export const ${name}: ${type} = `;
  const lastLine = head.split('\n').at(-1) ?? head;
  return [`${head}${printValue(value, '', lastLine.length, 1)};`];
}

/** The hook member of the plugin interface. */
function hookMember(hook: LoadedHook, input: string, output: string): string[] {
  const returns = `${output} | Promise<${output}>`;
  const flat = `  readonly ${hook.name}: (input: ${input}, call: HookCall) => ${returns};`;
  if (flat.length <= LINE_WIDTH) return [flat];
  return [
    `  readonly ${hook.name}: (`,
    `    input: ${input},`,
    '    call: HookCall,',
    `  ) => ${returns};`,
  ];
}

/** The TypeScript module of a kind: payload types, plugin interface, runtime metadata. */
export function emitTypeScript(spec: LoadedHookspec, plan: NamePlan): string {
  const pascal = pascalCase(spec.kind);
  const emitter = new TypeEmitter(spec.schemas, plan.names);
  const hasChain = spec.hooks.some((h) => h.dispatch === 'chain');
  const lines: string[] = headerLines(spec).map((l) => `// ${l}`.trimEnd());
  lines.push('');
  const imports = [
    'HookCall',
    'KindSpec',
    'Plugin',
    ...(hasChain ? ['StopChain', 'StopChainWith'] : []),
  ];
  lines.push(`import type { ${imports.join(', ')} } from '@dagstack/plugin-api';`, '');

  lines.push(...jsdoc(['Name of the kind, as plugin manifests declare it.'], ''));
  lines.push(`export const KIND_NAME: ${quote(spec.kind)} = ${quote(spec.kind)};`, '');
  lines.push(...jsdoc(['SemVer of the kind API this module was generated from.'], ''));
  lines.push(
    `export const KIND_API_VERSION: ${quote(spec.kind_api_version)} = ${quote(spec.kind_api_version)};`,
    '',
  );

  const hookNames = spec.hooks.map((h) => quote(h.name));
  lines.push(...jsdoc(['Name of a hook of the kind.'], ''));
  lines.push(...printUnionMember('export type HookName =', hookNames, '', ';'), '');
  lines.push(...jsdoc(['The hooks of the kind, in declaration order.'], ''));
  lines.push(
    ...constDeclaration(
      'HOOK_NAMES',
      'readonly HookName[]',
      spec.hooks.map((h) => h.name),
    ),
    '',
  );

  lines.push(
    ...jsdoc(
      ['Dispatch class of each hook. The registry dispatches by it; callers never name the class.'],
      '',
    ),
  );
  lines.push(
    ...constDeclaration(
      'HOOK_DISPATCH',
      recordType(
        spec.hooks.map((h) => [
          h.name,
          quote(h.dispatch),
          `\`${h.dispatch}\` — ${DISPATCH_NOTES[h.dispatch] ?? ''}.`,
        ]),
      ),
      Object.fromEntries(spec.hooks.map((h) => [h.name, h.dispatch])),
    ),
    '',
  );
  lines.push(...jsdoc(['Whether each hook may be served over MCP.'], ''));
  lines.push(
    ...constDeclaration(
      'HOOK_MCP_EXPOSED',
      recordType(
        spec.hooks.map((h) => [
          h.name,
          String(h.mcp_exposed),
          h.mcp_exposed
            ? `MCP tool name: \`${h.mcp_tool_name_template}\`.`
            : 'Not exposed over MCP.',
        ]),
      ),
      Object.fromEntries(spec.hooks.map((h) => [h.name, h.mcp_exposed])),
    ),
    '',
  );
  const constraints = Object.entries(spec.constraints);
  lines.push(...jsdoc(['Constraints every plugin of the kind is held to.'], ''));
  lines.push(
    ...constDeclaration(
      'KIND_CONSTRAINTS',
      recordType(
        constraints.map(([k, v]) => [
          k,
          typeof v === 'string' ? quote(v) : JSON.stringify(v),
          CONSTRAINT_NOTES[k] ?? 'Kind-specific constraint, passed through as declared.',
        ]),
      ),
      spec.constraints,
    ),
    '',
  );

  if (hasChain) {
    lines.push(
      ...jsdoc(
        [
          'What a `chain` hook returns: its output for the next plugin, or a stop',
          '(`STOP_CHAIN`, or `stopChain(value)` to end the chain with `value`).',
        ],
        '',
      ),
    );
    lines.push('export type ChainStep<T> = T | StopChain | StopChainWith<T>;', '');
  }
  for (const location of plan.order) {
    const name = plan.names.get(locationKey(location)) as string;
    lines.push(...emitter.declaration(location, name), '');
  }
  for (const payload of plan.payloads) {
    if (payload.aliasOf === undefined) continue;
    lines.push(
      ...jsdoc([`${payload.role === 'input' ? 'Input' : 'Output'} of \`${payload.hook}\`.`], ''),
    );
    lines.push(`export type ${payload.name} = ${payload.aliasOf};`, '');
  }

  const outputOf = (hook: LoadedHook): string => {
    const out = payloadName(plan, hook.name, 'output') ?? 'void';
    return hook.dispatch === 'chain' ? `ChainStep<${out}>` : out;
  };
  const inputOf = (hook: LoadedHook): string => payloadName(plan, hook.name, 'input') ?? 'unknown';

  lines.push(...jsdoc(['Input and output type of each hook.'], ''));
  lines.push('export type HookTypes = {');
  for (const hook of spec.hooks) {
    const out = payloadName(plan, hook.name, 'output') ?? 'void';
    lines.push(
      ...jsdoc([firstSentence(hook.description) ?? `Payload types of \`${hook.name}\`.`], '  '),
      `  ${hook.name}: {`,
      ...jsdoc([`Input payload of \`${hook.name}\`.`], '    '),
      `    input: ${inputOf(hook)};`,
      ...jsdoc(
        [
          out === 'void'
            ? `\`${hook.name}\` returns nothing.`
            : `Output payload of \`${hook.name}\`.`,
        ],
        '    ',
      ),
      `    output: ${out};`,
      '  };',
    );
  }
  lines.push('};', '');

  lines.push(
    ...jsdoc(
      [
        `A plugin of kind \`${spec.kind}\` (kind API ${spec.kind_api_version}). Every hook is`,
        'required and may be sync or async; the lifecycle methods (`setup`, `teardown`,',
        '`health`) of `Plugin` stay optional.',
        '',
        '@example',
        `class MyPlugin implements ${pascal}Plugin { ... }`,
      ],
      '',
    ),
  );
  lines.push(`export interface ${pascal}Plugin extends Plugin {`);
  spec.hooks.forEach((hook, i) => {
    if (i > 0) lines.push('');
    const doc = [
      ...(hook.description === undefined ? [] : [hook.description, '']),
      `Dispatch: \`${hook.dispatch}\` — ${DISPATCH_NOTES[hook.dispatch] ?? ''}.`,
      ...(hook.error_policy === undefined ? [] : [`Error policy: \`${hook.error_policy}\`.`]),
      hook.mcp_exposed
        ? `MCP tool name: \`${hook.mcp_tool_name_template}\`.`
        : 'Not exposed over MCP.',
    ];
    lines.push(...jsdoc(doc, '  '));
    lines.push(...hookMember(hook, inputOf(hook), outputOf(hook)));
  });
  lines.push('}', '');

  lines.push(
    ...jsdoc(
      [
        `Runtime hookspec of kind \`${spec.kind}\`, for \`registerKind()\`. Payload schemas are`,
        'embedded as standalone JSON Schema 2020-12 (references bundled under `$defs`), ready',
        'for ajv.',
      ],
      '',
    ),
  );
  lines.push(...constDeclaration('KIND_SPEC', 'KindSpec', kindSpecOf(spec, plan)));
  return `${lines.join('\n')}\n`;
}
