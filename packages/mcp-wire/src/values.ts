import { META_KEYS } from './constants.js';
import type { WireMeta } from './metadata.js';

/** Output text blocks above this many characters are left out (§4: SHOULD, not MUST). */
const TEXT_BLOCK_LIMIT = 64 * 1024;

/** Whether a value is a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Put a hook input into `tools/call` params (docs/wire.md §4): a JSON object
 * is the `arguments`; anything else rides in `_meta["dagstack.dev/input"]`.
 * @since 0.1.0
 */
export function encodeInput(
  input: unknown,
  meta: WireMeta | undefined,
): {
  /**
   * The tool's `arguments`: the input when it is an object, `{}` for other
   * values, `undefined` for no input.
   */
  arguments: Record<string, unknown> | undefined;
  /** The `_meta` to send: the given one, plus `dagstack.dev/input` for a non-object input. */
  meta: WireMeta | undefined;
} {
  if (input === undefined) return { arguments: undefined, meta };
  if (isJsonObject(input)) return { arguments: input, meta };
  return { arguments: {}, meta: { ...meta, [META_KEYS.input]: input } };
}

/**
 * Read a hook input from `tools/call` params (docs/wire.md §4).
 * @since 0.1.0
 */
export function decodeInput(
  args: Record<string, unknown> | undefined,
  meta: WireMeta | undefined,
): unknown {
  if (meta !== undefined && Object.hasOwn(meta, META_KEYS.input)) return meta[META_KEYS.input];
  return args ?? {};
}

/** A successful `tools/call` result. */
export interface ToolResult {
  /** At most one text block with the output as JSON text; empty when there is no output. */
  content: {
    /** Always `text`. */
    type: 'text';
    /** The output as JSON text. */
    text: string;
  }[];
  /** The output, when it is a JSON object. */
  structuredContent?: Record<string, unknown>;
  /** Holds a non-object output under `dagstack.dev/output`. */
  _meta?: WireMeta;
  [key: string]: unknown;
}

/**
 * The `tools/call` result for a hook output (docs/wire.md §4), and its JSON
 * text (for the message-size guard).
 * @since 0.1.0
 */
export function encodeOutput(output: unknown): {
  /** The `tools/call` result. */
  result: ToolResult;
  /** The output as JSON text; `""` when there is no output. */
  text: string;
} {
  if (output === undefined) return { result: { content: [] }, text: '' };
  const text = JSON.stringify(output) ?? 'null';
  const content: ToolResult['content'] =
    text.length <= TEXT_BLOCK_LIMIT ? [{ type: 'text', text }] : [];
  if (isJsonObject(output)) return { result: { content, structuredContent: output }, text };
  return { result: { content, _meta: { [META_KEYS.output]: output } }, text };
}

/**
 * Read a hook output from a successful `tools/call` result (docs/wire.md §4).
 * @since 0.1.0
 */
export function decodeOutput(result: { structuredContent?: unknown; _meta?: unknown }): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const meta = result._meta as WireMeta | undefined;
  if (meta !== undefined && Object.hasOwn(meta, META_KEYS.output)) return meta[META_KEYS.output];
  return undefined;
}
