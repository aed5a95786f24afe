import type { CallMetadata, Logger, PluginContext, PluginManifest } from '@dagstack/plugin-api';
import type { TestResources } from '@dagstack/plugin-resources';

export declare const DEFAULT_SEED: string;
export declare const DEFAULT_NOW: number;

/** A settled call: its value or what it threw. */
export type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A plain view of a thrown value. */
export interface ErrorInfo {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

/** A call's result in a form that compares across hosts. */
export type Outcome =
  | { ok: true; json: string | undefined; unserializable: boolean }
  | { ok: false; error: { name: string; message: string; code?: string } };

export interface SessionOptions {
  manifest: PluginManifest;
  instance: object;
  seed?: string | number;
  now?: number;
  config?: Readonly<Record<string, unknown>>;
  logger?: Logger;
  extraResources?: Readonly<Record<string, unknown>>;
  defaults?: boolean;
}

export interface Session {
  readonly ctx: PluginContext;
  readonly tmpdir: string;
  readonly resources: Readonly<TestResources>;
  readonly hooks: string[];
  readonly undeclared: { name: string; stack: string }[];
  setup(): Promise<Settled>;
  invoke(hook: string, input: unknown, metadata?: CallMetadata): Promise<Settled>;
  teardown(): Promise<Settled>;
  close(): Promise<void>;
}

export interface SampleLike {
  readonly hook: string;
  readonly input: unknown;
  readonly metadata?: CallMetadata | undefined;
}

export interface SamplesRun {
  setup: Outcome;
  outcomes: Outcome[];
  teardown?: Outcome;
}

export declare function importEntry(file: string, tag?: string): Promise<Record<string, unknown>>;
export declare function instantiate(
  namespace: Record<string, unknown>,
  exportName: string | undefined,
): Promise<{ instance: object; style: 'class' | 'factory' | 'object' }>;
export declare function hookMethods(instance: object): Map<string, string>;
export declare function describeError(error: unknown): ErrorInfo;
export declare function outcomeOf(settled: Settled): Outcome;
export declare function createSession(options: SessionOptions): Session;
export declare function runSamples(options: {
  namespace: Record<string, unknown>;
  exportName: string | undefined;
  manifest: PluginManifest;
  samples: readonly SampleLike[];
  sessionOptions: Omit<SessionOptions, 'manifest' | 'instance'>;
}): Promise<SamplesRun>;
