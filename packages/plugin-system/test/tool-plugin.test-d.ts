// A tool plugin written against the generated kind: the correct one compiles,
// wrong payload types do not.
import type { HookCall, PluginContext, ToolV1 } from '@dagstack/plugin-system';
import type * as ToolKind from '@dagstack/plugin-system/kinds/tool/v1';
import { describe, expectTypeOf, it } from 'vitest';

class Calculator implements ToolV1.ToolPlugin {
  #precision = 2;

  async setup(ctx: PluginContext): Promise<void> {
    if (typeof ctx.config.precision === 'number') this.#precision = ctx.config.precision;
  }

  get_schema(): ToolV1.GetSchemaOutput {
    return [{ name: 'add', description: 'Add two numbers.', parameters: { type: 'object' } }];
  }

  async execute(input: ToolV1.ExecuteInput, call: HookCall): Promise<ToolV1.ExecuteOutput> {
    if (call.signal.aborted) return { result: null, is_error: true, error_message: 'cancelled' };
    const { a, b } = input.args as { a: number; b: number };
    return { result: Number((a + b).toFixed(this.#precision)) };
  }

  async teardown(): Promise<void> {}
}

describe('ToolV1.ToolPlugin', () => {
  it('is implemented by a class with async hooks and lifecycle methods', () => {
    expectTypeOf(new Calculator()).toMatchTypeOf<ToolV1.ToolPlugin>();
    expectTypeOf<ToolV1.ToolPlugin>().toEqualTypeOf<ToolKind.ToolPlugin>();
    expectTypeOf<ToolV1.ExecuteInput>().toEqualTypeOf<{
      function: string;
      args: Record<string, unknown>;
    }>();
    expectTypeOf<ToolV1.HookTypes['get_schema']['output']>().toEqualTypeOf<
      ToolV1.FunctionSchema[]
    >();
    expectTypeOf<(typeof ToolV1.HOOK_DISPATCH)['execute']>().toEqualTypeOf<'singleton'>();
  });

  it('rejects wrong payload types', () => {
    class WrongInput implements ToolV1.ToolPlugin {
      get_schema(): ToolV1.GetSchemaOutput {
        return [];
      }
      // @ts-expect-error -- `function` is a string in the kind's input
      execute(input: { function: number; args: Record<string, unknown> }): ToolV1.ExecuteOutput {
        return { result: input.function };
      }
    }
    class WrongOutput implements ToolV1.ToolPlugin {
      get_schema(): ToolV1.GetSchemaOutput {
        return [];
      }
      // @ts-expect-error -- `is_error` is a boolean
      async execute(): Promise<{ result: number; is_error: string }> {
        return { result: 1, is_error: 'no' };
      }
    }
    // @ts-expect-error -- function schemas need a description and parameters
    const badSchema: ToolV1.ToolPlugin['get_schema'] = () => [{ name: 'add' }];
    // @ts-expect-error -- execute is required
    const missing: ToolV1.ToolPlugin = { get_schema: () => [] };
    void [WrongInput, WrongOutput, badSchema, missing];
  });

  it('types the orchestrator payloads', () => {
    expectTypeOf<
      import('@dagstack/plugin-system/kinds/orchestrator/v1').StatusOutput['state']
    >().toEqualTypeOf<'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'expired'>();
  });
});
