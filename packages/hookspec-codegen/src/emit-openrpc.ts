import { componentSchemas } from './bundle.js';
import { GENERATED_MARKER, GENERATOR, summaryOf } from './header.js';
import type { LoadedHookspec } from './model.js';
import type { NamePlan } from './names.js';
import { isRecord, type JsonRecord } from './schema-walk.js';
import type { SchemaLocation } from './schemas.js';
import { printValue } from './ts-print.js';

const COMPONENTS = '#/components/schemas/';

/**
 * The MCP method name of a hook: the tool-name template with `{kind}` and
 * `{hook}` filled in; `{plugin}` and any other placeholder stay for the
 * runtime to fill.
 * @since 0.1.0
 */
export function methodName(template: string, kind: string, hook: string): string {
  return template.replaceAll('{kind}', kind).replaceAll('{hook}', hook);
}

/** OpenRPC 1.2.6 document of the kind: one method per `mcp_exposed` hook. */
export function openRpcDocument(spec: LoadedHookspec, plan: NamePlan): JsonRecord {
  const exposed = spec.hooks.filter((h) => h.mcp_exposed);
  const nameOf = (hook: string, role: 'input' | 'output'): string | undefined => {
    const payload = plan.payloads.find((p) => p.hook === hook && p.role === role);
    return payload?.aliasOf ?? payload?.name;
  };
  const roots: SchemaLocation[] = [];
  for (const hook of exposed) {
    roots.push({ file: hook.input_schema_file, pointer: '' });
    if (hook.output_schema_file !== undefined) {
      roots.push({ file: hook.output_schema_file, pointer: '' });
    }
  }
  const components = componentSchemas(spec.schemas, plan.names, roots, COMPONENTS);

  const methods = exposed.map((hook) => {
    const inputName = nameOf(hook.name, 'input') as string;
    const input = components[inputName];
    const params: JsonRecord[] = [];
    let structure = 'by-name';
    if (isRecord(input) && isRecord(input.properties) && input.$ref === undefined) {
      const required = new Set(Array.isArray(input.required) ? input.required : []);
      for (const [name, schema] of Object.entries(input.properties)) {
        const param: JsonRecord = { name };
        if (isRecord(schema) && typeof schema.description === 'string') {
          param.description = schema.description;
        }
        param.required = required.has(name);
        param.schema = schema;
        params.push(param);
      }
    } else {
      structure = 'by-position';
      params.push({ name: 'input', required: true, schema: { $ref: `${COMPONENTS}${inputName}` } });
    }
    const outputName = nameOf(hook.name, 'output');
    const method: JsonRecord = {
      name: methodName(hook.mcp_tool_name_template, spec.kind, hook.name),
    };
    const summary = summaryOf(hook.description);
    if (summary !== undefined) method.summary = summary;
    if (hook.description !== undefined) method.description = hook.description;
    method.paramStructure = structure;
    method.params = params;
    method.result = {
      name: `${hook.name}_result`,
      schema: outputName === undefined ? { type: 'null' } : { $ref: `${COMPONENTS}${outputName}` },
    };
    method['x-dagstack-hook'] = hook.name;
    method['x-dagstack-dispatch'] = hook.dispatch;
    method['x-dagstack-tool-name-template'] = hook.mcp_tool_name_template;
    return method;
  });

  const info: JsonRecord = {
    title: `dagstack kind ${spec.kind}`,
    version: spec.kind_api_version,
  };
  if (spec.description !== undefined) info.description = spec.description;
  return {
    'x-generated': {
      notice: `${GENERATED_MARKER}. DO NOT EDIT. Change the sources and run \`dagstack-hookspec generate\` again.`,
      generator: GENERATOR,
      kind: spec.kind,
      sources: spec.sources.map((s) => ({ path: s.path, sha256: s.sha256 })),
    },
    openrpc: '1.2.6',
    info,
    methods,
    components: { schemas: components },
  };
}

/** The OpenRPC document as file content (2-space JSON, final newline). */
export function emitOpenRpc(spec: LoadedHookspec, plan: NamePlan): string {
  return `${printValue(openRpcDocument(spec, plan), '', 0, 0, 'json')}\n`;
}
