// Real plugin folders on disk for the registry tests. Every plugin here is the
// same module; its behaviour comes from its configuration section, and it
// records what happens to it in the host-provided `journal` resource.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const PLUGIN_SOURCE = `
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export class Behaving {
  async setup(ctx) {
    this.ctx = ctx;
    this.journal = ctx.resources.get('journal');
    this.name = ctx.config.name;
    this.journal.push('setup:' + this.name);
    if (ctx.config.setupDelayMs) await wait(ctx.config.setupDelayMs);
    if (ctx.config.failSetup) throw new Error('setup failed on purpose');
    if (ctx.config.hangSetup) await new Promise(() => {});
    this.journal.push('ready:' + this.name);
  }
  async teardown() {
    this.journal.push('teardown:' + this.name);
    if (this.ctx.config.hangTeardown) await new Promise(() => {});
    if (this.ctx.config.failTeardown) throw new Error('teardown failed on purpose');
    return this.ctx.config.teardownReturns ?? true;
  }
  health() {
    return this.ctx.config.unhealthy ? { status: 'failing', message: 'sick on purpose' } : { status: 'ok' };
  }
  execute(input, call) {
    return { echoed: input.msg, plugin: this.name, tenant: call.metadata.tenant_id ?? null };
  }
}
`;

export interface PluginSpec {
  name: string;
  kind?: string;
  priority?: number;
  dependsOn?: string[];
  startupTimeoutSec?: number;
  teardownTimeoutSec?: number;
  extra?: string;
  source?: string;
  entryPoint?: string;
}

export function manifestToml(spec: PluginSpec): string {
  return `[plugin]
schema_version = "1"
name = "${spec.name}"
kind = "${spec.kind ?? 'tool'}"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "${spec.entryPoint ?? 'plugin:Behaving'}"
priority = ${spec.priority ?? 0}
depends_on = ${JSON.stringify(spec.dependsOn ?? [])}
startup_timeout_sec = ${spec.startupTimeoutSec ?? 5}
teardown_timeout_sec = ${spec.teardownTimeoutSec ?? 5}
${spec.extra ?? ''}

[plugin.resources]
optional = ["journal"]
`;
}

export async function writePlugin(root: string, spec: PluginSpec): Promise<string> {
  const dir = join(root, spec.name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'dagstack.toml'), manifestToml(spec));
  await writeFile(join(dir, 'plugin.js'), spec.source ?? PLUGIN_SOURCE);
  return dir;
}

/** Config sections `tool.<name>` with the plugin's name and behaviour flags. */
export function behaviour(
  flags: Record<string, Record<string, unknown>>,
  names: readonly string[],
  kind = 'tool',
): Record<string, Record<string, Record<string, unknown>>> {
  const section: Record<string, Record<string, unknown>> = {};
  for (const name of names) section[name] = { name, ...flags[name] };
  return { [kind]: section };
}
