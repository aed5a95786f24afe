export class Listener {
  setup(ctx) {
    this.journal = ctx.resources.get('journal') ?? [];
    this.count = 0;
  }

  async indexed({ chunks }) {
    // A slow listener does not hold up the caller: notify returns at once.
    await new Promise((resolve) => setTimeout(resolve, 20));
    this.count += chunks;
    this.journal.push(`stats: ${this.count} chunks indexed so far`);
  }
}
