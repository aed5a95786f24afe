// Type tests of the committed fixture output: what each JSON Schema construct
// becomes in TypeScript, and what plugin interfaces accept.
import { type HookCall, STOP_CHAIN, stopChain } from '@dagstack/plugin-api';
import { describe, expectTypeOf, it } from 'vitest';
import type * as Chunker from './fixtures/generated/kinds/chunker/v1.js';
import type * as Sample from './fixtures/generated/kinds/sample_kind/v2.js';

describe('payload types', () => {
  it('required vs optional properties, const, enums of any JSON type, nullable', () => {
    expectTypeOf<Sample.DescribeOutput['name']>().toEqualTypeOf<string>();
    expectTypeOf<Sample.DescribeOutput['version']>().toEqualTypeOf<2>();
    expectTypeOf<Sample.DescribeOutput['mixed']>().toEqualTypeOf<1 | 'two' | true | null>();
    expectTypeOf<Sample.DescribeOutput['nullable']>().toEqualTypeOf<string | null | undefined>();
    expectTypeOf<Sample.DescribeOutput>().toHaveProperty('legacy');
    // @ts-expect-error -- `name` is required
    const missing: Sample.DescribeOutput = {
      version: 2,
      mixed: 1,
      shape: { kind: 'square', side: 1 },
      tree: { value: 1 },
      point: [0, 0],
    };
    void missing;
  });

  it('oneOf / anyOf become unions, allOf an intersection, $defs named types', () => {
    expectTypeOf<Sample.Shape>().toEqualTypeOf<Sample.Circle | Sample.Square>();
    expectTypeOf<Sample.Circle['kind']>().toEqualTypeOf<'circle'>();
    expectTypeOf<NonNullable<Sample.DescribeOutput['size']>>().toEqualTypeOf<string | number>();
    expectTypeOf<NonNullable<Sample.DescribeOutput['labelled']>>().toEqualTypeOf<
      Sample.Named & Sample.Timestamped
    >();
  });

  it('arrays, tuples, recursion, cross-file refs and additionalProperties', () => {
    expectTypeOf<NonNullable<Sample.DescribeOutput['tags']>>().toEqualTypeOf<string[]>();
    expectTypeOf<Sample.DescribeOutput['point']>().toEqualTypeOf<[number, number]>();
    expectTypeOf<NonNullable<Sample.Tree['children']>[number]>().toEqualTypeOf<Sample.Tree>();
    expectTypeOf<NonNullable<Sample.DescribeOutput['counts']>>().toEqualTypeOf<
      Record<string, number>
    >();
    expectTypeOf<Sample.Meta>().toEqualTypeOf<Record<string, number>>();
    expectTypeOf<NonNullable<Sample.TransformInput['meta']>>().toEqualTypeOf<Sample.Meta>();
    const doc: Sample.TransformInput = { id: 'i', body: 'b', note: 'extra strings are allowed' };
    void doc;
    // @ts-expect-error -- additional properties must be strings
    const bad: Sample.TransformInput = { id: 'i', body: 'b', note: 1 };
    void bad;
    type Nested = NonNullable<Sample.DescribeOutput['nested']>;
    expectTypeOf<Nested['content-type']>().toEqualTypeOf<string | undefined>();
    // @ts-expect-error -- additionalProperties: false
    const closed: Nested = { level: 1, unknown: true };
    void closed;
    expectTypeOf<Sample.DescribeInput>().toEqualTypeOf<Record<string, never>>();
  });

  it('a schema file used by two hooks gets one type and aliases', () => {
    expectTypeOf<Sample.TransformOutput>().toEqualTypeOf<Sample.TransformInput>();
    expectTypeOf<Sample.NotifyInput>().toEqualTypeOf<Sample.TransformInput>();
    expectTypeOf<Sample.HookTypes['notify']['output']>().toEqualTypeOf<void>();
  });
});

describe('plugin interfaces', () => {
  it('accept sync and async hooks and optional lifecycle methods', () => {
    class Fixed implements Chunker.ChunkerPlugin {
      async chunk(input: Chunker.ChunkInput): Promise<Chunker.ChunkOutput> {
        return { chunks: [{ text: input.text, offset: 0 }] };
      }
      teardown(): void {}
    }
    const sync: Chunker.ChunkerPlugin = { chunk: () => ({ chunks: [] }) };
    expectTypeOf(new Fixed()).toMatchTypeOf<Chunker.ChunkerPlugin>();
    expectTypeOf(sync.chunk).parameter(1).toEqualTypeOf<HookCall>();
  });

  it('reject wrong payload types, narrower inputs and missing hooks', () => {
    // @ts-expect-error -- chunks are objects, not strings
    const wrongOutput: Chunker.ChunkerPlugin = { chunk: () => ({ chunks: ['a'] }) };
    type Narrower = (input: { text: string; max_size: number }) => Chunker.ChunkOutput;
    const narrowHook: Narrower = () => ({ chunks: [] });
    // @ts-expect-error -- the input is narrower than the kind's input (strict function types)
    const narrower: Chunker.ChunkerPlugin = { chunk: narrowHook };
    // @ts-expect-error -- `chunk` is required
    const empty: Chunker.ChunkerPlugin = {};
    void [wrongOutput, narrower, empty];
  });

  it('lets chain hooks stop the chain', () => {
    const step: Sample.SampleKindPlugin['transform'] = (input) =>
      input.body === '' ? STOP_CHAIN : input.body === 'x' ? stopChain(input) : input;
    void step;
    expectTypeOf<(typeof Sample.HOOK_DISPATCH)['transform']>().toEqualTypeOf<'chain'>();
  });
});
