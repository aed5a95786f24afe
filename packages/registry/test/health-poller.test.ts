// The health poller on (short intervals, real timers): a first check at
// start, degraded then unavailable after the threshold, recovery from
// unavailable when the plugin answers again, one log line per state change.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@dagstack/plugin-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginRegistry } from '../src/index.js';
import { writePlugin } from './fixtures.js';

const SOURCE = `
export class Probe {
  setup(ctx) { this.probe = ctx.resources.get('journal'); }
  health() {
    this.probe.checks += 1;
    if (this.probe.throws) throw new Error('probe exploded');
    return { status: this.probe.status, message: 'probe says ' + this.probe.status };
  }
  execute(input) { return { echoed: input.msg }; }
}
`;

let root: string;
let registry: PluginRegistry | undefined;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'dagstack-health-'));
});
afterEach(async () => {
  await registry?.teardownAll().catch(() => {});
  registry?.close();
  registry = undefined;
  await rm(root, { recursive: true, force: true });
});

async function waitFor(what: string, condition: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (message: string): void => {
      // The health lines only (the registry also logs states at debug, capabilities at info).
      if (/^plugin (degraded|unavailable|ready again)/.test(message))
        lines.push(`${level}: ${message}`);
    };
  return {
    lines,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}

async function start(
  probe: { status: string; checks: number; throws?: boolean },
  intervalSec = 0.03,
) {
  await writePlugin(root, {
    name: 'probe',
    source: SOURCE,
    entryPoint: 'plugin:Probe',
    extra: `health_interval_sec = ${intervalSec}`,
  });
  const { logger, lines } = recordingLogger();
  registry = new PluginRegistry({
    logger,
    resources: { journal: probe },
    healthFailureThreshold: 3,
  });
  registry.registerKind({
    kind: 'tool',
    kind_api_version: '1.0.0',
    hooks: [{ name: 'execute', dispatch: 'singleton', mcp_exposed: true }],
  });
  const states: string[] = [];
  registry.on('state', (change) => states.push(change.to));
  await registry.discover(root);
  await registry.setupAll();
  return { registry, lines, states };
}

const stateOf = (r: PluginRegistry): string | undefined =>
  r.status().find((s) => s.name === 'probe')?.state;

describe('the health poller', () => {
  it('checks once at start, long before the first interval', async () => {
    const probe = { status: 'ok', checks: 0 };
    // A 60 s interval: any check within the test is the one at start.
    const { registry: r } = await start(probe, 60);
    await waitFor('the check at start', () => probe.checks === 1);
    expect(stateOf(r)).toBe('ready');
  });

  it('then checks at the interval', async () => {
    const probe = { status: 'ok', checks: 0 };
    const { registry: r } = await start(probe);
    await waitFor('more checks', () => probe.checks >= 3);
    expect(stateOf(r)).toBe('ready');
  });

  it('degrades, goes unavailable after the threshold, and recovers when the plugin answers again', async () => {
    const probe = { status: 'ok', checks: 0 };
    const { registry: r, lines, states } = await start(probe);
    await waitFor('the first check', () => probe.checks >= 1);
    probe.status = 'failing';
    await waitFor('unavailable', () => stateOf(r) === 'unavailable');
    // Polling goes on while it is down; failing checks do not log again.
    const checksWhenDown = probe.checks;
    await waitFor('checks while down', () => probe.checks >= checksWhenDown + 3);
    expect(lines).toEqual([
      'warn: plugin degraded: its health check does not pass',
      'error: plugin unavailable: 3 failing health checks in a row',
    ]);
    // Down for its health, it is out of dispatch.
    const down = await r.call('tool', 'execute', { msg: 'x' }).catch((e: unknown) => e);
    expect(String((down as Error).message)).toContain('no callable plugin');
    probe.status = 'ok';
    await waitFor('ready again', () => stateOf(r) === 'ready');
    expect(lines.at(-1)).toBe(
      'info: plugin ready again: its health check passes (was unavailable)',
    );
    expect(lines).toHaveLength(3);
    expect(states).toEqual(['starting', 'ready', 'degraded', 'unavailable', 'ready']);
    expect(await r.call('tool', 'execute', { msg: 'back' })).toEqual({ echoed: 'back' });
  });

  it('counts a throwing health() as failing', async () => {
    const probe = { status: 'ok', checks: 0, throws: true };
    const { registry: r } = await start(probe);
    await waitFor('degraded', () => stateOf(r) === 'degraded' || stateOf(r) === 'unavailable');
    expect(r.status().find((s) => s.name === 'probe')?.health).toMatchObject({
      status: 'failing',
      message: expect.stringContaining('probe exploded'),
    });
  });
});
