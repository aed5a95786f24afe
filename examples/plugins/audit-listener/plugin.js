export class Listener {
  setup(ctx) {
    this.journal = ctx.resources.get('journal') ?? [];
  }

  indexed({ document, chunks }, call) {
    this.journal.push(
      `audit: ${call.metadata.tenant_id ?? '?'} indexed ${document} (${chunks} chunks)`,
    );
  }
}
