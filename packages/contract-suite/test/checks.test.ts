// Every check catches its deliberately broken fixture plugin (with the spec's
// error class and the exact location) and passes the clean one.
import type { KindSpec } from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import { childProcesses } from '../host/probes.mjs';
import { ALL_CHECKS, CHECKS, runContractSuite } from '../src/index.js';
import { failuresOf, fixture, lineOf, statuses } from './helpers.js';

const transform = [{ hook: 'transform', input: { text: 'hello' } }];
const execute = [{ hook: 'execute', input: { text: 'a', key: 'k' } }];

describe('the clean plugin', () => {
  it('passes every check, none skipped', async () => {
    const report = await runContractSuite({ manifest: fixture('clean'), samples: transform });
    expect(report.ok, report.formatFailures()).toBe(true);
    expect(statuses(report)).toEqual({
      manifest: 'pass',
      'middleware-band': 'pass',
      'ambient-state': 'pass',
      serializable: 'pass',
      determinism: 'pass',
      resources: 'pass',
      lifecycle: 'pass',
      'orchestration-neutrality': 'pass',
      fallback: 'pass',
      'stdio-purity': 'skipped',
    });
    expect(report.check('lifecycle')?.notes).toContain(
      'instance collected after teardown (WeakRef + FinalizationRegistry, --expose-gc)',
    );
  });
});

describe('manifest', () => {
  it('reports every invalid field of the manifest with its JSON pointer', async () => {
    const report = await runContractSuite({
      manifest: fixture('bad-manifest'),
      checks: [CHECKS.manifest],
    });
    const found = failuresOf(report, 'manifest').map((f) => [f.errorClass, f.location]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['ManifestInvalid', `${fixture('bad-manifest')}/dagstack.toml#/kind`],
        ['ManifestInvalid', `${fixture('bad-manifest')}/dagstack.toml#/core_version`],
      ]),
    );
    expect(report.ok).toBe(false);
  });

  it('reports an entry point that does not resolve', async () => {
    const report = await runContractSuite({
      manifest: fixture('missing-entry'),
      checks: [CHECKS.manifest],
    });
    expect(failuresOf(report, 'manifest').map((f) => [f.errorClass, f.location])).toEqual([
      ['PluginLoadError', `${fixture('missing-entry')}/dagstack.toml#/entry_point`],
    ]);
  });
});

describe('middleware band', () => {
  it('catches a business plugin in the middleware priority band', async () => {
    const report = await runContractSuite({
      manifest: fixture('band-business'),
      checks: [CHECKS.middlewareBand],
    });
    const [failure] = failuresOf(report, 'middleware-band');
    expect(failure?.errorClass).toBe('ManifestInvalid');
    expect(failure?.location).toBe(`${fixture('band-business')}/dagstack.toml#/priority`);
    expect(failure?.message).toMatch(/priority 1500/);
  });

  it('flags a normalised manifest that slipped past validation', async () => {
    const report = await runContractSuite({
      manifest: {
        schema_version: '1',
        name: 'sneaky',
        kind: 'tool',
        kind_api_version: '1',
        core_version: '>=0.1',
        runtime: ['in_process'],
        priority: 5000,
        resources: { required: [], optional: [] },
        unit_of_work: { idempotency_mode: 'none' },
        source: 'inline',
      },
      checks: [CHECKS.middlewareBand],
    });
    expect(failuresOf(report, 'middleware-band').map((f) => [f.errorClass, f.location])).toEqual([
      ['ManifestInvalid', 'inline#/priority'],
    ]);
  });
});

describe('lifecycle', () => {
  it('names each leak: timer and child creation frames, the fd, the pid, the tmpdir file, the instance', async () => {
    const report = await runContractSuite({
      manifest: fixture('leaky'),
      samples: [{ hook: 'execute', input: {} }],
      checks: [CHECKS.lifecycle],
    });
    const failures = failuresOf(report, 'lifecycle');
    expect(failures.every((f) => f.errorClass === 'LeakDetected')).toBe(true);
    const at = (pattern: RegExp) => failures.find((f) => pattern.test(f.message));
    expect(at(/^Timeout still alive/)?.location).toMatch(
      new RegExp(`^${lineOf('leaky', 'setInterval(')}`),
    );
    expect(at(/^ProcessWrap still alive/)?.location).toMatch(
      new RegExp(`^${lineOf('leaky', "spawn('sleep'")}`),
    );
    expect(at(/^open file descriptor/)?.location).toMatch(/^fd \d+$/);
    expect(at(/^open file descriptor/)?.message).toMatch(/left-behind\.log/);
    expect(at(/^child process still running/)?.location).toMatch(/^pid \d+$/);
    expect(at(/^child process still running/)?.message).toMatch(/sleep 30/);
    expect(at(/^file left in the injected tmpdir/)?.location).toBe('left-behind.log');
    expect(at(/still reachable/)?.location).toBe(`${fixture('leaky')}/plugin.js#Leaky`);
    // Everything the plugin started, here and in the forked host, was reaped.
    expect((childProcesses() ?? []).filter((c) => c.cmd === 'sleep 30')).toEqual([]);
  });
});

describe('ambient state', () => {
  it('names env, cwd, a global, foreign paths and module-level state, each at its line', async () => {
    const report = await runContractSuite({
      manifest: fixture('ambient'),
      samples: execute,
      checks: [CHECKS.ambientState],
    });
    const failures = failuresOf(report, 'ambient-state');
    expect(failures.every((f) => f.errorClass === 'AmbientStateViolation')).toBe(true);
    const located = (pattern: RegExp) => failures.find((f) => pattern.test(f.message))?.location;
    expect(located(/AMBIENT_MODE read outside setup/)).toMatch(
      new RegExp(`^${lineOf('ambient', 'process.env.AMBIENT_MODE')}`),
    );
    expect(located(/process\.cwd\(\) relied upon/)).toMatch(
      new RegExp(`^${lineOf('ambient', 'process.cwd()')}`),
    );
    expect(located(/globalThis\.__ambientLastCall written/)).toMatch(
      new RegExp(`^${lineOf('ambient', 'globalThis.__ambientLastCall')}`),
    );
    expect(located(/writeFileSync\(.*\) writes outside the injected paths/)).toMatch(
      new RegExp(`^${lineOf('ambient', 'writeFileSync(outside')}`),
    );
    expect(located(/existsSync\("settings\.json"\) resolves against process\.cwd/)).toMatch(
      new RegExp(`^${lineOf('ambient', "existsSync('settings.json')")}`),
    );
    expect(located(/module-level state/)).toBe('sample #0 (execute) output /calls');
    // The suite put the global back.
    expect('__ambientLastCall' in globalThis).toBe(false);
  });

  it('passes a plugin that reads the environment in setup only', async () => {
    const report = await runContractSuite({
      manifest: fixture('clean'),
      samples: transform,
      checks: [CHECKS.ambientState],
    });
    expect(report.ok, report.formatFailures()).toBe(true);
  });
});

describe('serializable boundaries', () => {
  it('reports every silent JSON breaker with its pointer', async () => {
    const report = await runContractSuite({
      manifest: fixture('unserializable'),
      samples: [{ hook: 'execute', input: {} }],
      checks: [CHECKS.serializable],
    });
    const found = failuresOf(report, 'serializable').map((f) => [f.errorClass, f.location]);
    const out = (pointer: string) => [
      'SerializationError',
      `sample #0 (execute) output ${pointer}`,
    ];
    expect(found).toEqual([
      out('/when'),
      out('/big'),
      out('/tags'),
      out('/index'),
      out('/missing'),
      out('/ratio'),
      out('/limit'),
      out('/format'),
      out('/price'),
      out('/list/1'),
      out('/fine/self'),
    ]);
    expect(failuresOf(report, 'serializable')[0]?.message).toMatch(/Date/);
  });

  it('passes hooks that return nothing (a broadcast_notify handler), with and without a hookspec', async () => {
    const events: KindSpec = {
      kind: 'events',
      kind_api_version: '1.0.0',
      hooks: [
        {
          name: 'on_event',
          dispatch: 'broadcast_notify',
          mcp_exposed: true,
          input_schema: { type: 'object' },
          output_schema: { type: 'null' },
        },
        { name: 'on_event_async', dispatch: 'broadcast_notify', mcp_exposed: false },
      ],
    };
    const samples = [
      { hook: 'on_event', input: { name: 'saved' } },
      { hook: 'on_event_async', input: {} },
    ];
    for (const kindSpec of [undefined, events]) {
      const report = await runContractSuite({
        manifest: fixture('notifier'),
        samples,
        ...(kindSpec === undefined ? {} : { kindSpec }),
      });
      expect(report.ok, report.formatFailures()).toBe(true);
      expect(report.check('serializable')?.status).toBe('pass');
    }
  });

  it('reports a sample input that is not JSON', async () => {
    const report = await runContractSuite({
      manifest: fixture('clean'),
      samples: [{ hook: 'transform', input: { text: 'x', since: new Date(0) } }],
      checks: [CHECKS.serializable],
    });
    expect(failuresOf(report, 'serializable').map((f) => f.location)).toEqual([
      'sample #0 (transform) input /since',
    ]);
  });

  const kindSpec: KindSpec = {
    kind: 'pipeline',
    kind_api_version: '1.0.0',
    hooks: [
      {
        name: 'transform',
        dispatch: 'chain',
        mcp_exposed: true,
        input_schema: {
          type: 'object',
          required: ['text'],
          properties: { text: { type: 'string' } },
        },
        output_schema: { type: 'object' },
      },
    ],
  };

  it("catches a chain stage whose output the next stage's input schema refuses", async () => {
    const report = await runContractSuite({
      manifest: fixture('chain-stage'),
      samples: [{ hook: 'transform', input: { text: ' a ' } }],
      kindSpec,
      checks: [CHECKS.serializable],
    });
    const [failure] = failuresOf(report, 'serializable');
    expect(failure?.errorClass).toBe('SerializationError');
    expect(failure?.location).toBe('sample #0 (transform) output (root)');
    expect(failure?.message).toMatch(
      /stage N\+1's input schema: must have required property 'text'/,
    );
  });

  it('passes a chain stage whose output fits the input schema', async () => {
    const report = await runContractSuite({
      manifest: fixture('clean'),
      samples: transform,
      kindSpec,
      checks: [CHECKS.serializable],
    });
    expect(report.ok, report.formatFailures()).toBe(true);
  });
});

describe('determinism', () => {
  it('names Date.now and Math.random at their lines and the differing output', async () => {
    const report = await runContractSuite({
      manifest: fixture('nondeterministic'),
      samples: execute,
      checks: [CHECKS.determinism],
    });
    const found = failuresOf(report, 'determinism');
    expect(found.every((f) => f.errorClass === 'DeterminismError')).toBe(true);
    expect(found.find((f) => f.message.startsWith('Math.random()'))?.location).toMatch(
      new RegExp(`^${lineOf('nondeterministic', 'Math.random()')}`),
    );
    expect(found.find((f) => f.message.startsWith('Date.now()'))?.location).toMatch(
      new RegExp(`^${lineOf('nondeterministic', 'Date.now()')}`),
    );
    expect(found.map((f) => f.location)).toContain('sample #0 (execute) output /id');
  });

  it('is skipped for plugins that are not output_hash, unless asked for', async () => {
    const auto = await runContractSuite({
      manifest: fixture('ambient'),
      samples: execute,
      checks: [CHECKS.determinism],
    });
    expect(auto.check('determinism')?.status).toBe('skipped');
    const always = await runContractSuite({
      manifest: fixture('host-dependent'),
      samples: execute,
      checks: [CHECKS.determinism],
      determinism: 'always',
    });
    expect(always.check('determinism')?.status).toBe('pass');
  });
});

describe('orchestration neutrality', () => {
  it('catches an output that depends on the host thread', async () => {
    const report = await runContractSuite({
      manifest: fixture('host-dependent'),
      samples: execute,
      checks: [CHECKS.orchestrationNeutrality],
    });
    expect(
      failuresOf(report, 'orchestration-neutrality').map((f) => [f.errorClass, f.location]),
    ).toEqual([['AmbientStateViolation', 'sample #0 (execute) output /shard (worker thread)']]);
  });
});

describe('fallback robustness', () => {
  const chunk = [{ hook: 'chunk', input: { text: 'some text' } }];

  it('reports throws and malformed results per edge case', async () => {
    const report = await runContractSuite({
      manifest: fixture('fragile-fallback'),
      samples: chunk,
      checks: [CHECKS.fallback],
    });
    const found = failuresOf(report, 'fallback').map((f) => [f.errorClass, f.location]);
    const thrownAt = lineOf('fragile-fallback', 'nothing to chunk');
    expect(found).toEqual([
      [
        'PluginInvocationError',
        expect.stringMatching(
          new RegExp(
            `^sample #0 \\(chunk\\) case "empty" at input \\(root\\), thrown at ${thrownAt}`,
          ),
        ),
      ],
      [
        'PluginInvocationError',
        expect.stringMatching(
          new RegExp(
            `^sample #0 \\(chunk\\) case "empty string" at input /text, thrown at ${thrownAt}`,
          ),
        ),
      ],
      ['SerializationError', 'sample #0 (chunk) case "binary" at input /text, output (root)'],
    ]);
  });

  it('reports a case that never returns as a HookTimeout and kills the host', async () => {
    const report = await runContractSuite({
      manifest: fixture('hanging-fallback'),
      samples: chunk,
      checks: [CHECKS.fallback],
      timeouts: { fallbackCaseMs: 1500 },
    });
    expect(failuresOf(report, 'fallback').map((f) => [f.errorClass, f.location])).toEqual([
      ['HookTimeout', 'sample #0 (chunk) case "malformed UTF-8" at input /text'],
    ]);
  });

  it('passes the clean fallback on the whole dataset', async () => {
    const report = await runContractSuite({
      manifest: fixture('clean'),
      samples: transform,
      checks: [CHECKS.fallback],
    });
    expect(report.ok, report.formatFailures()).toBe(true);
    expect(report.check('fallback')?.notes[0]).toMatch(
      /empty, empty string, binary, malformed UTF-8, huge \(> 10 MiB\), deeply nested text, unexpected field/,
    );
  });
});

describe('resources', () => {
  it('names a resource the manifest does not declare, at the line that asks for it', async () => {
    const report = await runContractSuite({
      manifest: fixture('undeclared-resource'),
      samples: [{ hook: 'execute', input: {} }],
      checks: [CHECKS.resources],
    });
    const [failure] = failuresOf(report, 'resources');
    expect(failure?.errorClass).toBe('UndeclaredResource');
    expect(failure?.location).toMatch(
      new RegExp(`^${lineOf('undeclared-resource', "get('blob_store')")}`),
    );
  });

  it('catches an input_hash plugin whose result changes with the production resources', async () => {
    const report = await runContractSuite({
      manifest: fixture('resources-differ'),
      samples: execute,
      checks: [CHECKS.resources],
    });
    expect(failuresOf(report, 'resources').map((f) => [f.errorClass, f.location])).toEqual([
      ['DeterminismError', 'sample #0 (execute) output /at'],
    ]);
  });

  it('reports a required resource the suite cannot provide, and accepts one passed in', async () => {
    const manifest = {
      name: 'needs-db',
      kind: 'tool',
      core_version: '>=0.1',
      runtime: 'in_process',
      resources: { required: ['postgres'] },
    };
    const plugin = { execute: () => ({ ok: true }) };
    const missing = await runContractSuite({ manifest, plugin, checks: [CHECKS.resources] });
    expect(failuresOf(missing, 'resources').map((f) => [f.errorClass, f.location])).toEqual([
      ['ResourceError', 'inline#/resources/required'],
    ]);
    const given = await runContractSuite({
      manifest,
      plugin,
      resources: { postgres: {} },
      checks: [CHECKS.resources],
    });
    expect(given.ok, given.formatFailures()).toBe(true);
  });
});

describe('stdio purity', () => {
  const samples = [{ hook: 'execute', input: { a: 1 } }];

  it('reports every non-protocol stdout write with its byte offset', async () => {
    const report = await runContractSuite({
      manifest: fixture('stdio-noisy'),
      samples,
      checks: [CHECKS.stdioPurity],
    });
    const found = failuresOf(report, 'stdio-purity');
    expect(found.map((f) => f.errorClass)).toEqual([
      'StdioPurityViolation',
      'StdioPurityViolation',
    ]);
    expect(found[0]?.location).toBe('stdout byte 0');
    expect(found[0]?.message).toMatch(/"stdio-noisy starting\\n"/);
    expect(found[1]?.location).toMatch(/^stdout byte [1-9]\d*$/);
    expect(found[1]?.message).toMatch(/"execute called\\n"/);
  });

  it('passes a server that logs to stderr, after initialize, tools/list and tools/call', async () => {
    const report = await runContractSuite({
      manifest: fixture('stdio-clean'),
      samples,
      checks: ALL_CHECKS,
    });
    expect(report.ok, report.formatFailures()).toBe(true);
    expect(report.check('stdio-purity')?.notes).toContain(
      'initialize, tools/list (1 tools) and tools/call tool.stdio-clean.execute ran',
    );
    expect(report.check('lifecycle')?.reason).toMatch(/not an in-process plugin/);
  });
});
