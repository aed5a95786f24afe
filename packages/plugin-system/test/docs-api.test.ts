// The umbrella's own names of the docs' API: VERSION, runContractSuite (loaded
// on first use), and the docs' imports from the root entry.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as root from '../src/index.js';

const own = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('the docs API of @dagstack/plugin-system', () => {
  it('VERSION is this package version, the same as CORE_VERSION (one release group)', () => {
    expect(root.VERSION).toBe(own.version);
    expect(root.VERSION).toBe(root.CORE_VERSION);
    expect(root.VERSION).toMatch(/^0\.2\.\d+$/);
  });

  it('runContractSuite runs the contract suite and returns its report', async () => {
    const report = await root.runContractSuite({
      manifest: {
        schema_version: '1.0.0',
        name: 'echo',
        kind: 'tool',
        kind_api_version: '1.0.0',
        core_version: '^0.2.0',
        runtime: 'in_process',
      },
      plugin: { execute: (input: { msg: string }) => ({ echoed: input.msg }) },
      checks: ['manifest'],
    });
    expect(report.plugin).toBe('echo');
    expect(report.checks.map((c) => c.id)).toEqual(['manifest']);
    expect(report.ok).toBe(true);
  });

  it('exports what the docs import from the root entry', () => {
    const names = [
      'PluginRegistry',
      'discover',
      'ResourceRegistry',
      'PluginManifestSchema',
      'topoSort',
      'SingletonDispatcher',
      'BroadcastCollectDispatcher',
      'BroadcastNotifyDispatcher',
      'ChainDispatcher',
      'CapabilityDispatcher',
      'isAmbiguousPlugin',
      'isVersionIncompatible',
      'KIND_LLM',
      'KIND_VECTOR_STORE',
      'KIND_CHUNKER',
      'KIND_PIPELINE',
      'KIND_TOOL',
      'RUNTIME_IN_PROCESS',
      'DISPATCH_CAPABILITY',
      'MemoryBlobStore',
      'FrozenClock',
      'DeterministicRng',
    ];
    const missing = names.filter((n) => (root as Record<string, unknown>)[n] === undefined);
    expect(missing).toEqual([]);
  });
});
