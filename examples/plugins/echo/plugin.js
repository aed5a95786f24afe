// The smallest useful plugin: one function, no resources.
export class EchoPlugin {
  get_schema() {
    return [
      {
        name: 'echo',
        description: 'Returns its msg argument as { echoed: msg }.',
        parameters: { type: 'object', properties: { msg: { type: 'string' } } },
      },
    ];
  }

  // The tool kind's contract: input { function, args }, output { result }.
  // A missing msg echoes null, so the result is JSON whatever the input.
  execute(input) {
    const msg = input?.args?.msg ?? null;
    return { result: { echoed: msg } };
  }
}
