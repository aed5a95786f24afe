import { bundleSchema } from './bundle.js';
import { methodName } from './emit-openrpc.js';
import { headerLines } from './header.js';
import type { LoadedHook, LoadedHookspec } from './model.js';
import { type NamePlan, pascalCase } from './names.js';

const DISPATCH_TEXT: Readonly<Record<string, string>> = {
  singleton: 'one plugin serves the call; the first non-empty result wins',
  broadcast_collect: 'every plugin is called; the results come back as a list, in dispatch order',
  broadcast_notify: 'every plugin is called for its side effects; nothing is returned',
  chain: "the plugins form a pipeline: each plugin's output is the next plugin's input",
  capability: 'the plugin whose declared capabilities cover the request serves the call',
};

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');
}

/** Markdown reference page of a kind. */
export function emitMarkdown(spec: LoadedHookspec, plan: NamePlan): string {
  const typeOf = (hook: string, role: 'input' | 'output'): string =>
    plan.payloads.find((p) => p.hook === hook && p.role === role)?.name ?? '—';
  const lines: string[] = ['<!--', ...headerLines(spec).map((l) => `  ${l}`), '-->', ''];
  lines.push(`# Kind \`${spec.kind}\` — API ${spec.kind_api_version}`, '');
  if (spec.description !== undefined) lines.push(spec.description, '');
  lines.push(
    `Plugins implement \`${pascalCase(spec.kind)}Plugin\`; a manifest declares \`kind = "${spec.kind}"\` and a \`kind_api_version\` with major version ${spec.kind_api_version.split('.')[0]}.`,
    '',
  );
  const constraints = Object.entries(spec.constraints);
  if (constraints.length > 0) {
    lines.push('## Constraints', '', '| constraint | value |', '| --- | --- |');
    for (const [key, value] of constraints)
      lines.push(`| \`${key}\` | \`${JSON.stringify(value)}\` |`);
    lines.push('');
  }
  lines.push(
    '## Hooks',
    '',
    '| hook | dispatch | MCP | input | output |',
    '| --- | --- | --- | --- | --- |',
  );
  for (const hook of spec.hooks) {
    const mcp = hook.mcp_exposed
      ? `\`${methodName(hook.mcp_tool_name_template, spec.kind, hook.name)}\``
      : 'no';
    lines.push(
      `| [\`${hook.name}\`](#${hook.name}) | \`${hook.dispatch}\` | ${cell(mcp)} | \`${typeOf(hook.name, 'input')}\` | \`${typeOf(hook.name, 'output')}\` |`,
    );
  }
  lines.push('');
  for (const hook of spec.hooks) lines.push(...hookSection(spec, plan, hook, typeOf));
  return `${lines.join('\n').trimEnd()}\n`;
}

function hookSection(
  spec: LoadedHookspec,
  plan: NamePlan,
  hook: LoadedHook,
  typeOf: (hook: string, role: 'input' | 'output') => string,
): string[] {
  const lines = [`### ${hook.name}`, ''];
  if (hook.description !== undefined) lines.push(hook.description, '');
  lines.push(`- Dispatch: \`${hook.dispatch}\` — ${DISPATCH_TEXT[hook.dispatch] ?? ''}.`);
  if (hook.error_policy !== undefined) {
    lines.push(
      `- Error policy: \`${hook.error_policy}\` — ${hook.error_policy === 'fail_fast' ? 'the first failure fails the call' : 'failures are collected; the other results are returned'}.`,
    );
  }
  lines.push(
    hook.mcp_exposed
      ? `- MCP: exposed as \`${methodName(hook.mcp_tool_name_template, spec.kind, hook.name)}\` (template \`${hook.mcp_tool_name_template}\`).`
      : '- MCP: not exposed.',
  );
  lines.push(`- Input: \`${typeOf(hook.name, 'input')}\` (\`${hook.input_schema}\`).`);
  lines.push(
    hook.output_schema === undefined
      ? '- Output: none.'
      : `- Output: \`${typeOf(hook.name, 'output')}\` (\`${hook.output_schema}\`).`,
  );
  lines.push('');
  const schemas: [string, string | undefined][] = [
    ['Input schema', hook.input_schema_file],
    ['Output schema', hook.output_schema_file],
  ];
  for (const [title, file] of schemas) {
    if (file === undefined) continue;
    const bundled = bundleSchema(spec.schemas, plan.names, { file, pointer: '' });
    lines.push(
      '<details>',
      `<summary>${title}</summary>`,
      '',
      '```json',
      JSON.stringify(bundled, null, 2),
      '```',
      '',
      '</details>',
      '',
    );
  }
  return lines;
}
