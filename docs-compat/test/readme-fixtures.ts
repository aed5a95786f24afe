// What the packages' README examples need to run and do not show, supplied
// by this test (written by hand, reviewed like code).
//
// A README example marked ```` ```ts test ```` runs in a folder of its own
// (see test/readme-runs.ts): the README's `<!-- file: ... -->` blocks are
// written there first, then the files of the rows below that apply to it.
// A README shows a ~10-line example, not the plugin folder or the hookspec
// it reads; these rows are that folder, as small as the example allows, and
// every file says it comes from here. A row no example uses is reported as
// stale.

/** Files an example of a README needs, supplied by the test. */
export interface ReadmeFixture {
  /** The README (`packages/registry/README.md`). */
  readonly page: string;
  /**
   * Only the examples under this heading (the nearest one above the block);
   * omitted: every run example of the page.
   */
  readonly heading?: string;
  /** What the example assumes, in a few words (printed in the run notes). */
  readonly why: string;
  /** Path in the run folder → content. */
  readonly files: Readonly<Record<string, string>>;
  /** Written to the example's stdin, which is then closed (a server example). */
  readonly stdin?: string;
  /**
   * What the run must print on stdout besides the README's own
   * `console.log(x); // value` lines (a server example states no output).
   */
  readonly expect?: readonly RegExp[];
}

const SUPPLIED = '// Supplied by docs-compat (test/readme-fixtures.ts), not shown by the README.';

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function lines(...text: string[]): string {
  return `${text.join('\n')}\n`;
}

/**
 * `plugins/echo`: a `tool` plugin named `echo` with one function, `echo`,
 * that answers with the host's configured greeting and what it was given.
 */
const ECHO_TOOL: Readonly<Record<string, string>> = {
  'plugins/echo/dagstack.json': json({
    plugin: {
      schema_version: '1',
      name: 'echo',
      kind: 'tool',
      kind_api_version: '1',
      core_version: '>=0.1.0,<1.0.0',
      runtime: 'in_process',
      entry_point: './plugin.js#Echo',
      description: 'docs-compat fixture: echoes its input',
    },
  }),
  'plugins/echo/plugin.js': lines(
    SUPPLIED,
    'export class Echo {',
    '  setup(ctx) {',
    "    this.greeting = ctx.config.greeting ?? 'echo';",
    '  }',
    '  get_schema() {',
    "    return [{ name: 'echo', description: 'Echoes its arguments.', parameters: { type: 'object' } }];",
    '  }',
    '  execute(input) {',
    "    return { result: this.greeting + ': ' + JSON.stringify(input.args ?? input) };",
    '  }',
    '}',
  ),
};

export const README_FIXTURES: readonly ReadmeFixture[] = [
  {
    page: 'packages/contract-suite/README.md',
    why: 'the chunker plugin both examples check (plugins/fixed-chunker): fixed-size slices of the text',
    files: {
      'plugins/fixed-chunker/dagstack.toml': lines(
        '# Supplied by docs-compat (test/readme-fixtures.ts), not shown by the README.',
        '[plugin]',
        'schema_version = "1"',
        'name = "fixed-chunker"',
        'kind = "chunker"',
        'kind_api_version = "1"',
        'core_version = ">=0.1.0,<1.0.0"',
        'runtime = "in_process"',
        'entry_point = "plugin:FixedChunker"',
      ),
      'plugins/fixed-chunker/plugin.js': lines(
        SUPPLIED,
        'export class FixedChunker {',
        '  chunk({ text, max_size }) {',
        '    const out = [];',
        '    for (let i = 0; i < text.length; i += max_size) out.push(text.slice(i, i + max_size));',
        '    return out;',
        '  }',
        '}',
      ),
    },
  },
  {
    page: 'packages/discovery/README.md',
    why: 'a plugin folder under plugins/ to discover',
    files: ECHO_TOOL,
  },
  {
    page: 'packages/dispatch/README.md',
    why: 'a chunker plugin declaring python (plugins/python-chunker) for the CapabilityDispatcher example',
    files: {
      'plugins/python-chunker/dagstack.json': json({
        plugin: {
          schema_version: '1',
          name: 'python-chunker',
          kind: 'chunker',
          kind_api_version: '1',
          core_version: '>=0.1.0,<1.0.0',
          runtime: 'in_process',
          entry_point: './plugin.js#PythonChunker',
          supports_languages: ['python'],
          capabilities: ['lang:python'],
        },
      }),
      'plugins/python-chunker/plugin.js': lines(
        SUPPLIED,
        'export class PythonChunker {',
        '  chunk({ content }) {',
        "    return { chunks: content.split('\\n') };",
        '  }',
        '}',
      ),
    },
  },
  {
    page: 'packages/hookspec-codegen/README.md',
    why: 'the hookspec the API example reads (kinds/chunker/v1.yaml and its two schemas)',
    files: {
      'kinds/chunker/v1.yaml': lines(
        '# Supplied by docs-compat (test/readme-fixtures.ts), not shown by the README.',
        'kind: chunker',
        'kind_api_version: "1.0.0"',
        'description: Splits a text into chunks.',
        'hooks:',
        '  - name: chunk',
        '    dispatch: capability',
        '    description: Split one text.',
        '    input_schema: schemas/chunk.input.json',
        '    output_schema: schemas/chunk.output.json',
      ),
      'kinds/chunker/schemas/chunk.input.json': json({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        required: ['text'],
        properties: { text: { type: 'string' }, max_size: { type: 'integer', minimum: 1 } },
      }),
      'kinds/chunker/schemas/chunk.output.json': json({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'array',
        items: { type: 'string' },
      }),
    },
  },
  {
    page: 'packages/manifest/README.md',
    why: 'the plugin folder the example loads (plugins/echo)',
    files: ECHO_TOOL,
  },
  {
    page: 'packages/mcp-wire/README.md',
    heading: 'The registry as an MCP gateway',
    why: 'a tool plugin to serve (plugins/echo), and an MCP client on stdin: initialize, tools/list',
    files: ECHO_TOOL,
    // One JSON-RPC message per line, as MCP's stdio transport frames them.
    stdin: [
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'docs-compat', version: '0.0.0' },
        },
      },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
    ]
      .map((m) => `${JSON.stringify(m)}\n`)
      .join(''),
    // The answer to tools/list (one line) names the plugin's tool.
    expect: [/^(?=.*"id":2[,}])(?=.*"tools":\[)(?=.*"name":"tool\.echo\.execute\.echo").*$/m],
  },
  {
    page: 'packages/plugin-system/README.md',
    heading: 'Unit-of-work plugins and `LocalExecutorOrchestrator`',
    why: 'the unit-of-work plugin the orchestrator runs (plugins/indexer, kind `indexer`, hook `run`)',
    files: {
      'plugins/indexer/dagstack.json': json({
        plugin: {
          schema_version: '1',
          name: 'indexer',
          kind: 'indexer',
          kind_api_version: '1',
          core_version: '>=0.1.0,<1.0.0',
          runtime: 'in_process',
          entry_point: './plugin.js#Indexer',
          unit_of_work: { declared: true },
        },
      }),
      'plugins/indexer/plugin.js': lines(
        SUPPLIED,
        'export class Indexer {',
        '  run(args) {',
        '    return { indexed: args.tenant };',
        '  }',
        '}',
      ),
    },
  },
  {
    page: 'packages/registry/README.md',
    why: 'the `echo` tool plugin the example calls (plugins/echo)',
    files: ECHO_TOOL,
  },
];
