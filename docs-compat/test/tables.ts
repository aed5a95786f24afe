// The tables of the docs check, written by hand and reviewed like code:
//
// - PRELUDES: what the page around a docs snippet provides. Many snippets are
//   fragments that use names defined elsewhere on their page (or in the
//   reader's application). The harness finds those names itself (a first
//   compile collects every "Cannot find name") and looks each one up here; a
//   name missing from this table fails its snippet. An entry is a declaration
//   of what the page defines, never a patch over our API:
//     * a type the page means to be ours is OUR type (`import(...)`), so the
//       check proves that our API fits the usage;
//     * the reader's own domain types get a minimal shape consistent with the
//       page's prose and its other language tabs;
//     * never `any`.
// - MODULES: files the page imports but does not show (generated code).
// - CONFORMANCE: interfaces the docs declare for our standard resources: our
//   type must be assignable to the docs' interface.
// - OWN_PRELUDES / OWN_MODULES: the same for the project's own Markdown; tiny
//   on purpose (blocks should be complete).
// - ASSUMED_PLUGINS: plugins a page's host snippets need but the page never
//   shows, supplied by this test (in its own words) into that page's run folder.
// - MANIFEST_FORMS: a page's own manifest, written in the other file form a
//   snippet of the page reads (TOML shown, dagstack.json read).
// - EXCEPTIONS: snippets that cannot work because the docs contradict the
//   spec, or are illustrations rather than code, each tied to an entry of
//   docs/spec-decisions.md and to the exact failure it must keep showing.

/** Our umbrella package, for `import(...)` types in declarations. */
const OURS = "import('@dagstack/plugin-system')";

/** One free name a page provides. */
export interface PreludeEntry {
  /** The identifier the snippet uses without defining it. */
  readonly name: string;
  /**
   * Pages it applies to: a page path (`intro.mdx`) or a folder prefix ending
   * in `/` (`guides/dispatchers/`). Omitted: every docs page.
   */
  readonly pages?: readonly string[];
  /** What the page around the snippet provides, in a few words. */
  readonly why: string;
  /** The declaration used for the type check (no runtime value). */
  readonly declare: string;
  /**
   * On these pages the page also builds the value, so snippets using it can
   * run: `code` replaces `declare` (it must define the same name with the
   * same type) and `after` runs after the snippet.
   */
  readonly run?: {
    readonly pages: readonly string[];
    readonly code: string;
    readonly after?: string;
  };
  /**
   * Apply even without a "Cannot find name": the page means its own
   * definition of a name that is also a global (Node's `process`, fetch's
   * `Request`), so the compiler finds the wrong thing rather than nothing.
   */
  readonly shadows?: boolean;
}

/** Pages whose registry holds the page's own plugins (their host snippets can run). */
const PAGES_WITH_A_REGISTRY = ['intro.mdx', 'guides/dispatchers/'];

export const PRELUDES: readonly PreludeEntry[] = [
  // --- our objects the host has built earlier on the page ---------------------
  {
    name: 'registry',
    why: 'the host’s PluginRegistry, built earlier on the page (discover + setupAll)',
    declare: `declare const registry: ${OURS}.PluginRegistry;`,
    run: {
      // intro.mdx builds it in "Discover and load the registry"; each dispatcher
      // guide says "the registry now holds" its plugins.
      pages: PAGES_WITH_A_REGISTRY,
      code: `const registry = new (await import('@dagstack/plugin-system')).PluginRegistry(); await registry.discover('plugins/'); await registry.setupAll();`,
      after: 'await registry.teardownAll();',
    },
  },
  {
    name: 'resources',
    pages: ['reference/errors.mdx'],
    why: 'the host’s ResourceRegistry (concepts/resources: `new ResourceRegistry()` + register)',
    declare: `declare const resources: ${OURS}.ResourceRegistry;`,
  },
  {
    name: 'raw',
    pages: ['concepts/manifest.mdx'],
    why: 'the parsed manifest document of the snippet above it (JSON.parse of dagstack.json)',
    declare: 'declare const raw: unknown;',
  },
  {
    name: 'httpClient',
    pages: ['concepts/resources.mdx'],
    why: 'the host’s HTTP client, registered as the standard `http_client` resource',
    declare: `declare const httpClient: ${OURS}.HttpClient;`,
  },
  {
    name: 'dbPool',
    pages: ['concepts/resources.mdx'],
    why: 'the host’s database pool, registered as the `postgres` resource',
    declare:
      'declare const dbPool: { query(sql: string, params?: readonly unknown[]): Promise<unknown[]> };',
  },
  {
    name: 'request',
    pages: ['spec/adr/0005-horizontal-hooks.mdx'],
    why: 'the incoming request the host is handling (its `Request` type is in the snippet)',
    declare: 'declare const request: { id: string; path: string };',
  },

  // --- our types, used without an import --------------------------------------
  {
    name: 'ProgressSink',
    why: 'the standard `progress` resource: our ProgressSink',
    declare: `type ProgressSink = ${OURS}.ProgressSink;`,
  },
  {
    name: 'Logger',
    why: 'the standard logger: our Logger',
    declare: `type Logger = ${OURS}.Logger;`,
  },
  {
    name: 'HttpClient',
    why: 'the standard `http_client` resource: our HttpClient',
    declare: `type HttpClient = ${OURS}.HttpClient;`,
  },
  {
    name: 'HttpResponse',
    pages: ['reference/resources-list.mdx'],
    why: 'the response of the standard `http_client` resource: our HttpResponse',
    declare: `type HttpResponse = ${OURS}.HttpResponse;`,
  },

  // --- the reader's own code -----------------------------------------------------
  {
    name: 'DBClient',
    pages: ['concepts/invariants.mdx'],
    why: 'the reader’s database client type (the `postgres` resource)',
    declare:
      'interface DBClient { query(sql: string, params?: readonly unknown[]): Promise<unknown[]> }',
  },
  {
    name: 'broadcastToWebSocket',
    pages: ['concepts/invariants.mdx'],
    why: 'the transport function of the page’s “bad” example',
    declare:
      'declare function broadcastToWebSocket(event: { event: string; percent: number }): Promise<void>;',
  },
  {
    name: 'ChatInput',
    pages: ['concepts/kinds.mdx'],
    why: 'generated from kinds/llm/v1.yaml with CompleteInput (the snippet elides it)',
    declare: 'type ChatInput = { messages: Array<{ role: string; content: string }> };',
  },
  {
    name: 'ChatOutput',
    pages: ['concepts/kinds.mdx'],
    why: 'generated from kinds/llm/v1.yaml with CompleteOutput (the snippet elides it)',
    declare: 'type ChatOutput = { message: { role: string; content: string } };',
  },
  {
    name: 'ChargeInput',
    pages: ['guides/dispatchers/singleton.mdx', 'spec/adr/0002-hook-invocation.mdx'],
    why: 'the payment_provider kind’s charge input (amount_cents, currency, source in the Python tab)',
    declare: 'type ChargeInput = { amountCents: number; currency: string; source: string };',
  },
  {
    name: 'ChargeOutput',
    pages: ['guides/dispatchers/singleton.mdx', 'spec/adr/0002-hook-invocation.mdx'],
    why: 'the payment_provider kind’s charge output (transaction_id, status in the Python tab)',
    declare: 'type ChargeOutput = { transactionId: string; status: string };',
  },
  {
    name: 'Tool',
    pages: ['guides/dispatchers/broadcast-collect.mdx'],
    why: 'a tool description: the page’s ToolDef ({ name, description })',
    declare: 'type Tool = { name: string; description: string };',
  },
  {
    name: 'agent',
    pages: ['guides/dispatchers/broadcast-collect.mdx'],
    why: 'the reader’s agent that receives the collected tools',
    declare:
      'declare const agent: { configure(options: { tools: Array<{ name: string; description: string }> }): void };',
  },
  {
    name: 'Counters',
    pages: ['guides/dispatchers/broadcast-notify.mdx'],
    why: 'the reader’s `counters` resource (metrics_counter in the Python tab)',
    declare: 'interface Counters { inc(name: string, labels: Record<string, string>): void }',
  },
  {
    name: 'Request',
    pages: ['guides/dispatchers/broadcast-notify.mdx'],
    shadows: true,
    why: 'the reader’s request type (id, path, user.id are read), not fetch’s Request',
    declare: 'type Request = { id: string; path: string; user: { id: string } };',
  },
  {
    name: 'process',
    pages: ['guides/dispatchers/broadcast-notify.mdx'],
    shadows: true,
    why: 'the reader’s request handler, not Node’s `process`',
    declare: 'declare function process(request: Request): Promise<Response>;',
  },
  {
    name: 'ChunkInput',
    pages: ['guides/dispatchers/capability.mdx'],
    why: 'the chunker kind’s input (the page’s ChunkPayload: language?, extension?, content)',
    declare: 'type ChunkInput = { language?: string; extension?: string; content: string };',
  },
  {
    name: 'ChunkOutput',
    pages: ['guides/dispatchers/capability.mdx'],
    why: 'the chunker kind’s output as the plugin builds it (text, line_start per chunk)',
    declare: 'type ChunkOutput = { chunks: Array<{ text: string; line_start: number }> };',
  },
  {
    name: 'walkTopLevelNodes',
    pages: ['guides/dispatchers/capability.mdx'],
    why: 'the reader’s tree-sitter helper (top-level syntax nodes of a tree)',
    declare:
      'declare function walkTopLevelNodes(root: unknown): Array<{ text: string; startPosition: { row: number } }>;',
  },
  {
    name: 'Query',
    pages: ['guides/dispatchers/chain.mdx'],
    why: 'the query_rewriter payload, defined by the page’s host snippet ({ text, tenantId })',
    declare: 'type Query = { text: string; tenantId: string };',
  },
];

/** A module a snippet imports that its page does not show. */
export interface ModuleStub {
  /** Pages it applies to (as in {@link PreludeEntry.pages}). */
  readonly pages: readonly string[];
  /** The specifier as written in the import. */
  readonly specifier: string;
  readonly why: string;
  /** The module's text (TypeScript). */
  readonly source: string;
}

export const MODULES: readonly ModuleStub[] = [
  {
    pages: ['concepts/kinds.mdx'],
    specifier: './kinds/index.js',
    why: 'the interfaces generated from the kinds’ hookspecs (the page shows the llm one)',
    source: [
      'export interface LLMPlugin { complete(input: { prompt: string }): Promise<{ text: string }> }',
      'export interface EmbedderPlugin { embed(input: { texts: string[] }): Promise<{ vectors: number[][] }> }',
      'export interface VectorStorePlugin { upsert(input: { ids: string[]; vectors: number[][] }): Promise<void> }',
      '',
    ].join('\n'),
  },
];

/**
 * A plugin a page's host snippets assume but the page never shows. Supplied
 * by this test, in its own words (the docs are not copied), and written into
 * that page's run folder next to the plugins the page does show (or the quick
 * start's): `<folder>/dagstack.json` from `manifest`, `<folder>/plugin.js`
 * from `code` (an ES module exporting the class the manifest's entry_point
 * names). Only pages whose snippets make no sense without such a plugin get
 * one; the run notes list it as supplied by the test.
 */
export interface AssumedPlugin {
  readonly page: string;
  /** The plugin folder inside the run folder (`plugins/llm`). */
  readonly folder: string;
  readonly why: string;
  /** The manifest table, written as `dagstack.json` (`{ "plugin": manifest }`). */
  readonly manifest: Readonly<Record<string, unknown>>;
  /** `plugin.js`: the plugin class, plain JavaScript. */
  readonly code: string;
}

export const ASSUMED_PLUGINS: readonly AssumedPlugin[] = [
  {
    // "Lookup by kind": registry.getPlugin("llm") on the quick start's plugins/
    // folder, which holds no llm plugin (getPlugin of a kind no manifest
    // declares is KindUnknown, as reference/errors says). The page means a
    // host that has one.
    page: 'concepts/registry.mdx',
    folder: 'plugins/llm',
    why: 'the page looks up an `llm` plugin by kind; supplied by docs-compat, not shown by the page',
    manifest: {
      schema_version: '1',
      name: 'canned-llm',
      kind: 'llm',
      kind_api_version: '1',
      core_version: '>=0.1.0,<1.0.0',
      runtime: 'in_process',
      entry_point: './plugin.js#CannedLlm',
      description: 'docs-compat fixture: answers every prompt with a fixed text',
    },
    code: [
      '// Supplied by docs-compat (test/tables.ts ASSUMED_PLUGINS), not by the docs page.',
      'export class CannedLlm {',
      '  complete(input) {',
      "    return { text: 'canned answer to: ' + String(input?.prompt ?? '') };",
      '  }',
      '}',
      '',
    ].join('\n'),
  },
];

/**
 * A manifest the page shows in one file form that a snippet reads in another
 * (the docs treat `dagstack.toml` and `dagstack.json` as the same table): the
 * page's own block titled `from` is converted at test time and written to
 * `to` in the page's run folder, so the snippet reads the page's manifest.
 */
export interface ManifestForm {
  readonly page: string;
  /** Title of the page's block (`plugins/my-plugin/dagstack.toml`). */
  readonly from: string;
  /** Where its JSON form goes in the run folder. */
  readonly to: string;
  readonly why: string;
}

export const MANIFEST_FORMS: readonly ManifestForm[] = [
  {
    page: 'concepts/manifest.mdx',
    from: 'plugins/my-plugin/dagstack.toml',
    to: 'plugins/my-plugin/dagstack.json',
    why: 'the validation snippet reads plugins/my-plugin/dagstack.json; the page shows that manifest as TOML only',
  },
];

/** A docs interface of one of our standard resources. */
export interface Conformance {
  readonly page: string;
  /** The interface the snippet declares. */
  readonly docsName: string;
  /** Our type it describes. */
  readonly ours: string;
}

/**
 * reference/resources-list.mdx declares the standard resources' interfaces;
 * the resource of that name in our StandardResources must satisfy them.
 */
export const CONFORMANCE: readonly Conformance[] = [
  {
    page: 'reference/resources-list.mdx',
    docsName: 'Clock',
    ours: `${OURS}.StandardResources['clock']`,
  },
  {
    page: 'reference/resources-list.mdx',
    docsName: 'Rng',
    ours: `${OURS}.StandardResources['rng']`,
  },
  {
    page: 'reference/resources-list.mdx',
    docsName: 'HttpClient',
    ours: `${OURS}.StandardResources['http_client']`,
  },
  {
    page: 'reference/resources-list.mdx',
    docsName: 'BlobStore',
    ours: `${OURS}.StandardResources['blob_store']`,
  },
  // The page calls it a "planned interface (Phase 1+)"; ours exists, so it is held to it.
  {
    page: 'reference/resources-list.mdx',
    docsName: 'TempDir',
    ours: `${OURS}.StandardResources['tmpdir']`,
  },
];

/**
 * The project's own Markdown: blocks should be complete. A block that is
 * partial on purpose starts with the line `// fragment`; only such blocks may
 * use these names.
 */
export const FRAGMENT_MARKER: RegExp = /^\s*\/\/\s*fragment\b/;

export const OWN_PRELUDES: readonly PreludeEntry[] = [
  {
    name: 'registry',
    why: 'a PluginRegistry the surrounding text has built',
    declare: `declare const registry: ${OURS}.PluginRegistry;`,
  },
];

export const OWN_MODULES: readonly ModuleStub[] = [
  {
    pages: ['docs/guides/define-a-kind.md'],
    specifier: 'src/generated/kinds/sentiment/v1.js',
    why: 'written by the page’s `dagstack-plugins codegen` step (not run here) from its kinds/sentiment/v1.yaml',
    source: [
      "import type { HookCall, KindSpec, MaybePromise } from '@dagstack/plugin-api';",
      'export interface ScoreInput { text: string }',
      "export interface ScoreOutput { score: number; label: 'negative' | 'neutral' | 'positive' }",
      'export interface SentimentPlugin { score(input: ScoreInput, call: HookCall): MaybePromise<ScoreOutput> }',
      'export declare const KIND_SPEC: KindSpec;',
      '',
    ].join('\n'),
  },
];

/**
 * A snippet that cannot work because the docs contradict the spec, or that
 * is an illustration rather than code.
 */
export interface Exception {
  /** `page:line` of the snippet's first location. */
  readonly snippet: string;
  /** What fails. */
  readonly phase: 'compile' | 'run';
  /** The entry of docs/spec-decisions.md (`R9`): a `### R9. ...` heading must exist. */
  readonly decision: string;
  readonly why: string;
  /**
   * The failure must match this, so the exception hides nothing else: for
   * `compile`, every diagnostic of the snippet; for `run`, the run's output.
   */
  readonly match: RegExp;
}

const NO_ENTRY_POINT: RegExp = /has no entry_point and no object was attached/;

export const EXCEPTIONS: readonly Exception[] = [
  // The dispatcher guides' TypeScript manifests (and the language-neutral
  // TOML of the chain guide) have no `entry_point`. ADR-0006 requires one for
  // discovery; M9 keeps such a manifest loadable for attachPlugin() but the
  // registry cannot load an in-process plugin that has neither, so the
  // page's plugins never start and its call has nobody to reach.
  {
    snippet: 'guides/dispatchers/capability.mdx:206',
    phase: 'run',
    decision: 'M9',
    why: 'plugins/chunker/tree-sitter/dagstack.json has no entry_point',
    match: NO_ENTRY_POINT,
  },
  {
    snippet: 'guides/dispatchers/chain.mdx:161',
    phase: 'run',
    decision: 'M9',
    why: 'the normalizer manifest (the only one the page gives, in the Python tab) has no entry_point',
    match: NO_ENTRY_POINT,
  },
  {
    snippet: 'guides/dispatchers/singleton.mdx:188',
    phase: 'run',
    decision: 'M9',
    why: 'plugins/payment_provider/stripe/dagstack.json has no entry_point',
    match: NO_ENTRY_POINT,
  },
  {
    snippet: 'guides/dispatchers/singleton.mdx:202',
    phase: 'run',
    decision: 'M9',
    why: 'the `internal` plugin exists only as a Python-tab manifest without entry_point (and stripe has none either)',
    match: /no plugin "internal" of kind "payment_provider"/,
  },
  // Plugin classes the guides show as a sketch of where code goes, not as
  // code (spec-decisions S1). Each must keep failing with exactly the
  // diagnostic below and nothing else.
  {
    snippet: 'guides/dispatchers/capability.mdx:129',
    phase: 'compile',
    decision: 'S1',
    why: '`this.parser` is used but never declared or set: the page leaves out how the tree-sitter parser is made',
    match: /TS2339: Property 'parser' does not exist on type 'TreeSitterChunker'/,
  },
  {
    snippet: 'guides/dispatchers/singleton.mdx:119',
    phase: 'compile',
    decision: 'S1',
    why: 'the body of `charge` is `// ...`: a function typed to return Promise<ChargeOutput> returns nothing',
    match:
      /TS2355: A function whose declared type is neither 'undefined', 'void', nor 'any' must return a value/,
  },
];
