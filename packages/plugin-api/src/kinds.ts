/**
 * Kind names as constants (the docs' `KIND_*`): the spec's standard kinds
 * (`tool`, `orchestrator`, with hookspecs in the spec) and the kinds the docs'
 * catalogue names for applications to declare. The value is the manifest's
 * `kind` string, the same in every binding (`KIND_LLM === "llm"`). A kind
 * here has no hookspec of its own unless the spec ships one: the host still
 * registers one (`registerKind`) where it wants schemas and dispatch classes.
 */

/** The shape of {@link KINDS}: each kind's manifest string by constant name. @since 0.2.0 */
export type KindConstants = {
  /** A tool an agent calls (spec hookspec `kinds/tool`). */
  readonly tool: 'tool';
  /** Runs units of work (spec hookspec `kinds/orchestrator`). */
  readonly orchestrator: 'orchestrator';
  /** Language model: completion, chat, streaming. */
  readonly llm: 'llm';
  /** Vector representation of text. */
  readonly embedder: 'embedder';
  /** Vector store: upsert and search. */
  readonly vectorStore: 'vector_store';
  /** Splits text or code into fragments. */
  readonly chunker: 'chunker';
  /** Reranks search results. */
  readonly reranker: 'reranker';
  /** Source of tools for an agent. */
  readonly toolProvider: 'tool_provider';
  /** A processing pipeline (the docs' API page). */
  readonly pipeline: 'pipeline';
  /** Data source (S3, Postgres, Kafka). */
  readonly source: 'source';
  /** Record transformation or enrichment. */
  readonly processor: 'processor';
  /** Destination store. */
  readonly sink: 'sink';
  /** Sends notifications (email, SMS, webhook, push). */
  readonly notifier: 'notifier';
  /** OAuth / SAML / LDAP. */
  readonly authProvider: 'auth_provider';
  /** Handles incoming webhooks. */
  readonly webhookHandler: 'webhook_handler';
  /** Payment provider. */
  readonly paymentProvider: 'payment_provider';
  /** Computes tax per jurisdiction. */
  readonly taxCalculator: 'tax_calculator';
  /** Pricing rules. */
  readonly pricingStrategy: 'pricing_strategy';
  /** Exports metrics. */
  readonly metricExporter: 'metric_exporter';
  /** Audit trail of events. */
  readonly auditLogger: 'audit_logger';
  /** Subscriber to lifecycle events. */
  readonly eventListener: 'event_listener';
  /** Request rate limiting. */
  readonly rateLimiter: 'rate_limiter';
};

/**
 * Every named kind, by constant name.
 * @since 0.2.0
 */
export const KINDS: KindConstants = Object.freeze({
  tool: 'tool',
  orchestrator: 'orchestrator',
  llm: 'llm',
  embedder: 'embedder',
  vectorStore: 'vector_store',
  chunker: 'chunker',
  reranker: 'reranker',
  toolProvider: 'tool_provider',
  pipeline: 'pipeline',
  source: 'source',
  processor: 'processor',
  sink: 'sink',
  notifier: 'notifier',
  authProvider: 'auth_provider',
  webhookHandler: 'webhook_handler',
  paymentProvider: 'payment_provider',
  taxCalculator: 'tax_calculator',
  pricingStrategy: 'pricing_strategy',
  metricExporter: 'metric_exporter',
  auditLogger: 'audit_logger',
  eventListener: 'event_listener',
  rateLimiter: 'rate_limiter',
});

/** @since 0.2.0 */
export const KIND_TOOL: 'tool' = KINDS.tool;
/** @since 0.2.0 */
export const KIND_ORCHESTRATOR: 'orchestrator' = KINDS.orchestrator;
/** @since 0.2.0 */
export const KIND_LLM: 'llm' = KINDS.llm;
/** @since 0.2.0 */
export const KIND_EMBEDDER: 'embedder' = KINDS.embedder;
/** @since 0.2.0 */
export const KIND_VECTOR_STORE: 'vector_store' = KINDS.vectorStore;
/** @since 0.2.0 */
export const KIND_CHUNKER: 'chunker' = KINDS.chunker;
/** @since 0.2.0 */
export const KIND_RERANKER: 'reranker' = KINDS.reranker;
/** @since 0.2.0 */
export const KIND_TOOL_PROVIDER: 'tool_provider' = KINDS.toolProvider;
/** @since 0.2.0 */
export const KIND_PIPELINE: 'pipeline' = KINDS.pipeline;
/** @since 0.2.0 */
export const KIND_SOURCE: 'source' = KINDS.source;
/** @since 0.2.0 */
export const KIND_PROCESSOR: 'processor' = KINDS.processor;
/** @since 0.2.0 */
export const KIND_SINK: 'sink' = KINDS.sink;
/** @since 0.2.0 */
export const KIND_NOTIFIER: 'notifier' = KINDS.notifier;
/** @since 0.2.0 */
export const KIND_AUTH_PROVIDER: 'auth_provider' = KINDS.authProvider;
/** @since 0.2.0 */
export const KIND_WEBHOOK_HANDLER: 'webhook_handler' = KINDS.webhookHandler;
/** @since 0.2.0 */
export const KIND_PAYMENT_PROVIDER: 'payment_provider' = KINDS.paymentProvider;
/** @since 0.2.0 */
export const KIND_TAX_CALCULATOR: 'tax_calculator' = KINDS.taxCalculator;
/** @since 0.2.0 */
export const KIND_PRICING_STRATEGY: 'pricing_strategy' = KINDS.pricingStrategy;
/** @since 0.2.0 */
export const KIND_METRIC_EXPORTER: 'metric_exporter' = KINDS.metricExporter;
/** @since 0.2.0 */
export const KIND_AUDIT_LOGGER: 'audit_logger' = KINDS.auditLogger;
/** @since 0.2.0 */
export const KIND_EVENT_LISTENER: 'event_listener' = KINDS.eventListener;
/** @since 0.2.0 */
export const KIND_RATE_LIMITER: 'rate_limiter' = KINDS.rateLimiter;
