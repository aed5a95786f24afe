// Middleware: refuses calls that carry no tenant in their metadata.
export class Governance {
  before(call, args) {
    if (call.metadata.tenant_id === undefined) throw new Error('tenant_id is required');
    return args;
  }
}
