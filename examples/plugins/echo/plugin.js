// The smallest useful plugin: one hook, no resources.
export class EchoPlugin {
  execute(input) {
    return { echoed: input.msg };
  }
}
