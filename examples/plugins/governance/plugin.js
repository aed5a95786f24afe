// Middleware (chain_wrap, priority >= 1000): wraps every tool.execute call.
// Refuses calls that carry no tenant, and writes one audit line per call.
export class Governance {
  setup(ctx) {
    this.journal = ctx.resources.get('journal') ?? [];
  }

  before(call, args) {
    if (call.metadata.tenant_id === undefined) throw new Error('tenant_id is required');
    return args;
  }

  after(call, result) {
    this.journal.push(
      `governance: tenant ${call.metadata.tenant_id} called ${call.kind}.${call.name}.${call.hook}`,
    );
    return result;
  }
}
