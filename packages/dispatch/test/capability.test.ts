import type { HookCall, PluginManifest } from '@dagstack/plugin-api';
import {
  isHookCancelled,
  isHookTimeout,
  isNoCapabilityMatch,
  isPluginInvocationError,
  type NoCapabilityMatch,
} from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  type DispatchCandidate,
  DispatchEngine,
  type DispatchEngineOptions,
  selectorFromInput,
} from '../src/index.js';
import { candidate, type HandleMode, kindSpec, MODES, never } from './helpers.js';

const KIND = 'file_indexer';

function engineWith(
  candidates: DispatchCandidate[],
  options: DispatchEngineOptions = {},
): DispatchEngine {
  const engine = new DispatchEngine({ env: {}, ...options });
  engine.registerKind(kindSpec(KIND, { index: { dispatch: 'capability' } }));
  engine.setCandidates(KIND, candidates);
  return engine;
}

describe.each(MODES)('capability (%s handle)', (mode: HandleMode) => {
  const indexer = (name: string, manifest: Record<string, unknown> = {}): DispatchCandidate =>
    candidate(name, KIND, { index: () => name }, { mode, manifest });

  const standard = (): DispatchCandidate[] => [
    indexer('python-indexer', {
      supports_extensions: ['.py'],
      supports_languages: ['python'],
      priority: 50,
    }),
    indexer('markdown-indexer', { supports_extensions: ['.md', 'MDX'], priority: 50 }),
    indexer('json-indexer', {
      supports_mime_types: ['application/json'],
      supports_extensions: ['.json'],
      priority: 40,
    }),
    indexer('text-indexer', { supports_mime_types: ['text/*'], priority: 10 }),
    indexer('pii-indexer', {
      capabilities: ['pii_handling'],
      supports_extensions: ['.py'],
      priority: 5,
    }),
    indexer('binary-hasher', { fallback: true }),
  ];

  it('routes by extension, case- and dot-insensitively', async () => {
    const engine = engineWith(standard());
    expect(await engine.call(KIND, 'index', { extension: '.md' })).toBe('markdown-indexer');
    expect(await engine.call(KIND, 'index', { extension: 'MDX' })).toBe('markdown-indexer');
    expect(await engine.call(KIND, 'index', { extension: 'py' })).toBe('python-indexer');
  });

  it('routes by language and by MIME type (parameters dropped, type/* matches)', async () => {
    const engine = engineWith(standard());
    expect(await engine.call(KIND, 'index', { language: 'Python' })).toBe('python-indexer');
    expect(await engine.call(KIND, 'index', { mimeType: 'application/json; charset=utf-8' })).toBe(
      'json-indexer',
    );
    expect(await engine.call(KIND, 'index', { mime_type: 'text/csv' })).toBe('text-indexer');
  });

  it('requires every field of a multi-field selector (intersection)', async () => {
    const engine = engineWith(standard());
    // Both python-indexer and pii-indexer handle .py; only pii-indexer has the tag.
    expect(await engine.call(KIND, 'index', { extension: '.py' })).toBe('python-indexer');
    expect(
      await engine.call(KIND, 'index', { extension: '.py', capabilities: ['pii_handling'] }),
    ).toBe('pii-indexer');
    expect(
      await engine.call(KIND, 'index', { extension: '.json', mimeType: 'application/json' }),
    ).toBe('json-indexer');
    // .md and python are never declared together: the fallback takes it.
    expect(await engine.call(KIND, 'index', { extension: '.md', language: 'python' })).toBe(
      'binary-hasher',
    );
  });

  it('orders several matches by priority, then name', async () => {
    const engine = engineWith([
      indexer('b-md', { supports_extensions: ['.md'], priority: 5 }),
      indexer('a-md', { supports_extensions: ['.md'], priority: 5 }),
      indexer('low-md', { supports_extensions: ['.md'], priority: 1 }),
      indexer('first-md', { supports_extensions: ['.md'], tryfirst: true }),
    ]);
    expect(await engine.call(KIND, 'index', { extension: '.md' })).toBe('first-md');
    const noFirst = engineWith([
      indexer('b-md', { supports_extensions: ['.md'], priority: 5 }),
      indexer('low-md', { supports_extensions: ['.md'], priority: 1 }),
      indexer('a-md', { supports_extensions: ['.md'], priority: 5 }),
    ]);
    expect(await noFirst.call(KIND, 'index', { extension: '.md' })).toBe('a-md');
  });

  it('uses the fallback when nothing matches', async () => {
    const engine = engineWith(standard());
    expect(await engine.call(KIND, 'index', { extension: '.rs' })).toBe('binary-hasher');
    expect(await engine.call(KIND, 'index', 'not an object')).toBe('binary-hasher');
  });

  it('ranks "match anything" plugins after specific matches and before the fallback', async () => {
    const engine = engineWith([
      indexer('legacy-all', { priority: 99 }),
      indexer('md', { supports_extensions: ['.md'], priority: 1 }),
      indexer('fallback', { fallback: true, priority: 100 }),
    ]);
    expect(await engine.call(KIND, 'index', { extension: '.md' })).toBe('md');
    expect(await engine.call(KIND, 'index', { extension: '.rs' })).toBe('legacy-all');
  });

  it('rejects with NoCapabilityMatch naming what was asked and what exists', async () => {
    const engine = engineWith(standard().filter((c) => c.name !== 'binary-hasher'));
    const error = await engine.call(KIND, 'index', { extension: '.RS' }).catch((e) => e);
    expect(isNoCapabilityMatch(error)).toBe(true);
    expect((error as NoCapabilityMatch).selector).toEqual({ extension: '.rs' });
    expect((error as NoCapabilityMatch).hook).toBe('index');
    expect((error as NoCapabilityMatch).hint).toContain('extension .md (markdown-indexer)');
    await expect(engineWith([]).call(KIND, 'index', { extension: '.md' })).rejects.toSatisfy(
      isNoCapabilityMatch,
    );
  });

  it('takes the selector from options, then selectCapability, then the input', async () => {
    const seen: unknown[] = [];
    const engine = engineWith(standard(), {
      selectCapability: (_kind, _hook, input) => {
        seen.push(input);
        return { extension: (input as { path: string }).path.split('.').pop() as string };
      },
    });
    const input = { path: 'README.md', extension: '.py' };
    expect(await engine.call(KIND, 'index', input)).toBe('markdown-indexer');
    expect(await engine.call(KIND, 'index', input, { selector: { language: 'python' } })).toBe(
      'python-indexer',
    );
    expect(seen).toEqual([input]);
  });

  it('never adds routing keys to the payload the plugin sees', async () => {
    let received: unknown;
    const engine = engineWith([
      candidate(
        'md',
        KIND,
        {
          index: (input) => {
            received = input;
            return 'ok';
          },
        },
        { mode, manifest: { supports_extensions: ['.md'] } },
      ),
    ]);
    const payload = { content: '# hi' };
    await engine.call(KIND, 'index', payload, { selector: { extension: '.md' } });
    expect(received).toBe(payload);
    expect(payload).toEqual({ content: '# hi' });
  });

  it('narrows with the governance filter (ADR-0005 §4)', async () => {
    const engine = engineWith(standard(), {
      governanceFilter: (_k, _h, candidates, call) =>
        call.metadata.tenant_id === 'bank'
          ? candidates.filter((c) => c.manifest.capabilities.includes('pii_handling'))
          : candidates,
    });
    expect(await engine.call(KIND, 'index', { extension: '.py' })).toBe('python-indexer');
    expect(
      await engine.call(KIND, 'index', { extension: '.py' }, { metadata: { tenant_id: 'bank' } }),
    ).toBe('pii-indexer');
    // The fallback is not allowed for the bank either.
    const error = await engine
      .call(KIND, 'index', { extension: '.rs' }, { metadata: { tenant_id: 'bank' } })
      .catch((e) => e);
    expect(isNoCapabilityMatch(error)).toBe(true);
    expect((error as NoCapabilityMatch).hint).toContain('governance filter');
  });

  it('calls the target directly', async () => {
    const engine = engineWith(standard());
    expect(await engine.call(KIND, 'index', { extension: '.md' }, { target: 'json-indexer' })).toBe(
      'json-indexer',
    );
  });

  it('wraps plugin errors, times out and is cancelled', async () => {
    const engine = engineWith([
      candidate(
        'bad',
        KIND,
        {
          index: () => {
            throw new Error('parse error');
          },
        },
        { mode, manifest: { supports_extensions: ['.bad'] } },
      ),
      candidate('stuck', KIND, { index: () => never() }, { mode, manifest: { fallback: true } }),
    ]);
    const error = await engine.call(KIND, 'index', { extension: '.bad' }).catch((e) => e);
    expect(isPluginInvocationError(error)).toBe(true);
    expect((error as { plugin?: string }).plugin).toBe('bad');
    await expect(
      engine.call(KIND, 'index', { extension: '.x' }, { timeoutMs: 25 }),
    ).rejects.toSatisfy(isHookTimeout);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    await expect(
      engine.call(KIND, 'index', { extension: '.x' }, { signal: controller.signal }),
    ).rejects.toSatisfy(isHookCancelled);
  });

  it('passes frozen metadata to the chosen plugin', async () => {
    let seen: HookCall | undefined;
    const engine = engineWith([
      candidate(
        'md',
        KIND,
        {
          index: (_input, call) => {
            seen = call;
            return 1;
          },
        },
        { mode, manifest: { supports_extensions: ['.md'] } },
      ),
    ]);
    await engine.call(KIND, 'index', { extension: '.md' }, { metadata: { request_id: 'r' } });
    expect(seen?.metadata).toEqual({ request_id: 'r' });
    expect(Object.isFrozen(seen?.metadata)).toBe(true);
    expect(seen?.name).toBe('md');
  });
});

describe('capability index', () => {
  it('is built once per (kind, hook) and rebuilt after setCandidates', async () => {
    let reads = 0;
    const base = candidate('md', KIND, { index: () => 'md' }, { manifest: {} });
    const counted: PluginManifest = Object.defineProperty(
      { ...base.manifest },
      'supports_extensions',
      {
        get: () => {
          reads++;
          return ['.md'];
        },
        enumerable: true,
      },
    );
    const md: DispatchCandidate = { ...base, manifest: counted };
    const engine = engineWith([md]);
    for (let i = 0; i < 5; i++) {
      expect(await engine.call(KIND, 'index', { extension: '.md' })).toBe('md');
    }
    expect(reads).toBe(1);
    engine.setCandidates(KIND, [md]);
    await engine.call(KIND, 'index', { extension: '.md' });
    expect(reads).toBe(2);
  });

  it('selectorFromInput reads the conventional fields only', () => {
    expect(selectorFromInput({ extension: '.md', content: 'x' })).toEqual({ extension: '.md' });
    expect(
      selectorFromInput({ language: 'python', capabilities: { required: ['lang:python'] } }),
    ).toEqual({
      language: 'python',
      capabilities: ['lang:python'],
    });
    expect(selectorFromInput({ mime_type: 'text/plain' })).toEqual({ mimeType: 'text/plain' });
    expect(selectorFromInput({ content: 'x' })).toBeUndefined();
    expect(selectorFromInput('x')).toBeUndefined();
  });
});
