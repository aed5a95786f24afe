// The smallest useful plugin: one function, no resources.
export class EchoPlugin {
  get_schema() {
    return [
      {
        name: 'echo',
        description: 'Returns its msg argument under `echoed`.',
        parameters: { type: 'object', properties: { msg: { type: 'string' } } },
      },
    ];
  }

  execute(input) {
    return { echoed: input.msg ?? input.args?.msg };
  }
}
