import { isSerializationError } from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  decodeInput,
  decodeMetadata,
  decodeOutput,
  encodeInput,
  encodeMetadata,
  encodeOutput,
  functionOf,
  planHook,
  renderToolName,
} from '../src/index.js';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts members by UTF-16 code units, including number-like keys JS objects reorder', () => {
    expect(canonicalJson({ b: 1, a: [true, null], 10: 'x', 2: 'y', é: 0, Z: 0 })).toBe(
      '{"10":"x","2":"y","Z":0,"a":[true,null],"b":1,"é":0}',
    );
  });

  it('writes numbers in the ECMAScript form', () => {
    expect(canonicalJson([1, 1.5, -0, 1e21, 1e-7, 333333333.3333333, 5e-324])).toBe(
      '[1,1.5,0,1e+21,1e-7,333333333.3333333,5e-324]',
    );
  });

  it('escapes strings as RFC 8785 asks (RFC 8785 §3.2.2.2 sample)', () => {
    expect(canonicalJson({ s: '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/' })).toBe(
      '{"s":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('refuses what JSON cannot carry, with a pointer', () => {
    for (const [value, pointer] of [
      [{ a: [1, Number.NaN] }, '/a/1'],
      [{ 'x/y': new Map() }, '/x~1y'],
      [{ s: '\uD800' }, '/s'],
      [{ n: 10n }, '/n'],
    ] as const) {
      const error = (() => {
        try {
          canonicalJson(value);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(isSerializationError(error)).toBe(true);
      expect((error as { pointer: string }).pointer).toBe(pointer);
    }
  });
});

describe('metadata in _meta', () => {
  const metadata = {
    tenant_id: 't-1',
    actor: { id: 'u' },
    trace_context: { traceparent: '00-aa-bb-01', tracestate: 'k=v' },
    request_id: 'r',
  };

  it('lifts the trace context into traceparent/tracestate and keeps the rest under one key', () => {
    expect(encodeMetadata(metadata)).toEqual({
      traceparent: '00-aa-bb-01',
      tracestate: 'k=v',
      'dagstack.dev/metadata': { tenant_id: 't-1', actor: { id: 'u' }, request_id: 'r' },
    });
    expect(decodeMetadata(encodeMetadata(metadata))).toEqual(metadata);
    expect(Object.isFrozen(decodeMetadata(encodeMetadata(metadata)))).toBe(true);
  });

  it('carries an unusual trace_context unchanged, and empty metadata as nothing', () => {
    const odd = { trace_context: { traceparent: 'x', baggage: 'y' } } as never;
    expect(decodeMetadata(encodeMetadata(odd))).toEqual(odd);
    expect(encodeMetadata({})).toBeUndefined();
    expect(decodeMetadata({ traceparent: 'only' })).toEqual({
      trace_context: { traceparent: 'only' },
    });
  });
});

describe('inputs and outputs', () => {
  it('objects are arguments / structured content; other values ride in _meta', () => {
    for (const input of [{ a: 1 }, [1, 2], 'text', 0, null, false]) {
      const { arguments: args, meta } = encodeInput(input, undefined);
      expect(decodeInput(args, meta)).toEqual(input);
    }
    for (const output of [{ a: 1 }, [1, 2], 'text', 0, null, undefined]) {
      expect(decodeOutput(encodeOutput(output).result)).toEqual(output);
    }
    expect(encodeOutput({ a: 1 }).result).toEqual({
      content: [{ type: 'text', text: '{"a":1}' }],
      structuredContent: { a: 1 },
    });
  });
});

describe('tool names', () => {
  it('fills the template, and recognises function tools', () => {
    expect(renderToolName('{kind}.{plugin}.{hook}', { kind: 'k', plugin: 'p', hook: 'h' })).toBe(
      'k.p.h',
    );
    const wh = planHook(
      {
        name: 'execute',
        dispatch: 'singleton',
        mcp_exposed: true,
        mcp_tool_name_template: '{kind}.{plugin}.{hook}.{function}',
      },
      'tool',
      'calc',
    );
    expect(wh.perFunction).toBe(true);
    expect(functionOf(wh, 'tool.calc.execute.add')).toBe('add');
    expect(functionOf(wh, 'tool.other.execute.add')).toBeUndefined();
  });
});
