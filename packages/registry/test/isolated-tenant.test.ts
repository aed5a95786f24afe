// Isolated plugins (worker thread, child process) reach the host's tenant:
// `ctx.tenant.checkAccess` crosses the boundary and returns the host
// tenant's decision, instead of an allow-all stand-in (fail closed).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KindSpec, TenantContext } from '@dagstack/plugin-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginRegistry } from '../src/index.js';

const TOOL: KindSpec = {
  kind: 'tool',
  kind_api_version: '1.0.0',
  hooks: [{ name: 'execute', dispatch: 'singleton', mcp_exposed: true }],
};

const PLUGIN = `
export class Guarded {
  setup(ctx) { this.ctx = ctx; }
  async execute(input) {
    const decision = await this.ctx.tenant.checkAccess(input.resource, input.action);
    return { tenant: this.ctx.tenant.tenantId ?? null, decision };
  }
}
`;

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dagstack-isolated-tenant-'));
  for (const [i, model] of (['thread_cpu_bound', 'process_cpu_bound'] as const).entries()) {
    const dir = join(root, model);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'plugin.mjs'), PLUGIN);
    await writeFile(
      join(dir, 'dagstack.toml'),
      `[plugin]
schema_version = "1"
name = "${model}"
kind = "tool"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
execution_model = "${model}"
entry_point = "plugin:Guarded"
priority = ${i}
`,
    );
  }
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the host tenant in isolated plugins', () => {
  it.each(['thread_cpu_bound', 'process_cpu_bound'])(
    '%s: checkAccess returns the host tenant decision, refusals included',
    async (model) => {
      const asked: string[] = [];
      const tenant: TenantContext = {
        tenantId: 'acme',
        async checkAccess(resource, action) {
          asked.push(`${resource}:${action}`);
          return action === 'read'
            ? { allowed: true }
            : { allowed: false, reason: `acme may not ${action} ${resource}` };
        },
      };
      const registry = new PluginRegistry({
        logger: 'silent',
        healthChecks: false,
        resources: { tenant },
      });
      registry.registerKind(TOOL);
      await registry.discover(root);
      const report = await registry.setupAll();
      expect(report.unavailable).toEqual([]);
      try {
        const call = (action: string) =>
          registry.call('tool', 'execute', { resource: 'doc', action }, { target: model });
        expect(await call('read')).toEqual({ tenant: 'acme', decision: { allowed: true } });
        expect(await call('write')).toEqual({
          tenant: 'acme',
          decision: { allowed: false, reason: 'acme may not write doc' },
        });
        expect(asked).toEqual(['doc:read', 'doc:write']);
      } finally {
        await registry.teardownAll();
        registry.close();
      }
    },
  );

  it('without a host tenant, isolated plugins get the allow-all default', async () => {
    const registry = new PluginRegistry({ logger: 'silent', healthChecks: false });
    registry.registerKind(TOOL);
    await registry.discover(root);
    await registry.setupAll();
    try {
      expect(
        await registry.call(
          'tool',
          'execute',
          { resource: 'doc', action: 'write' },
          { target: 'process_cpu_bound' },
        ),
      ).toEqual({ tenant: null, decision: { allowed: true } });
    } finally {
      await registry.teardownAll();
      registry.close();
    }
  });
});
