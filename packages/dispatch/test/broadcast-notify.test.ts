import type { HookCall } from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  type DispatchCandidate,
  DispatchEngine,
  type DispatchEngineOptions,
} from '../src/index.js';
import {
  Concurrency,
  candidate,
  deferred,
  type HandleMode,
  kindSpec,
  MODES,
  never,
  recordingLogger,
} from './helpers.js';

const KIND = 'lifecycle_listener';

function engineWith(
  candidates: DispatchCandidate[],
  options: DispatchEngineOptions = {},
): DispatchEngine {
  const engine = new DispatchEngine({ env: {}, ...options });
  engine.registerKind(kindSpec(KIND, { on_event: { dispatch: 'broadcast_notify' } }));
  engine.setCandidates(KIND, candidates);
  return engine;
}

describe.each(MODES)('broadcast_notify (%s handle)', (mode: HandleMode) => {
  it('resolves before slow handlers finish; settled() waits for them', async () => {
    const gate = deferred<void>();
    const done: string[] = [];
    const slow = (name: string): DispatchCandidate =>
      candidate(
        name,
        KIND,
        {
          on_event: async () => {
            await gate.promise;
            done.push(name);
          },
        },
        { mode },
      );
    const engine = engineWith([slow('a'), slow('b')]);
    const result = await engine.call(KIND, 'on_event', { type: 'started' });
    expect(result).toBeUndefined();
    expect(done).toEqual([]);
    expect(engine.inFlightNotifications()).toBe(2);
    let settled = false;
    const waiting = engine.settled().then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    gate.resolve();
    await waiting;
    expect(done.sort()).toEqual(['a', 'b']);
    expect(engine.inFlightNotifications()).toBe(0);
  });

  it('calls every handler in parallel', async () => {
    const concurrency = new Concurrency();
    const gate = deferred<void>();
    const started: string[] = [];
    const handler = (name: string): DispatchCandidate =>
      candidate(
        name,
        KIND,
        {
          on_event: async () => {
            started.push(name);
            await gate.promise;
          },
        },
        { mode, concurrency },
      );
    const engine = engineWith([handler('a'), handler('b'), handler('c')]);
    await engine.call(KIND, 'on_event', {});
    await new Promise((r) => setTimeout(r, 30));
    expect(started.sort()).toEqual(['a', 'b', 'c']);
    if (mode === 'slow') expect(concurrency.max).toBe(3);
    gate.resolve();
    await engine.settled();
  });

  it('starts handlers in dispatch order', async () => {
    const started: string[] = [];
    const handler = (name: string, manifest: Record<string, unknown>): DispatchCandidate =>
      candidate(
        name,
        KIND,
        {
          on_event: () => {
            started.push(name);
          },
        },
        { mode: 'plain', manifest },
      );
    const engine = engineWith([
      handler('late', { trylast: true }),
      handler('b', { priority: 5 }),
      handler('a', { priority: 5 }),
      handler('top', { priority: 50 }),
    ]);
    await engine.call(KIND, 'on_event', {});
    await engine.settled();
    expect(started).toEqual(['top', 'a', 'b', 'late']);
  });

  it('logs handler errors with the plugin name and never rejects', async () => {
    const logger = recordingLogger();
    const ran: string[] = [];
    const engine = engineWith(
      [
        candidate(
          'audit',
          KIND,
          {
            on_event: () => {
              throw new Error('audit store down');
            },
          },
          { mode },
        ),
        candidate(
          'metrics',
          KIND,
          {
            on_event: () => {
              ran.push('metrics');
            },
          },
          { mode },
        ),
      ],
      { logger },
    );
    await expect(engine.call(KIND, 'on_event', {})).resolves.toBeUndefined();
    await engine.settled();
    expect(ran).toEqual(['metrics']);
    const errors = logger.records.filter((r) => r.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.fields?.plugin).toBe('audit');
    expect(errors[0]?.message).toContain('audit store down');
  });

  it('returns at once with no handlers', async () => {
    const engine = engineWith([]);
    await expect(engine.call(KIND, 'on_event', {})).resolves.toBeUndefined();
    expect(engine.inFlightNotifications()).toBe(0);
    await engine.settled();
  });

  it('times out hanging handlers: logged, aborted, and settled() still resolves', async () => {
    const logger = recordingLogger();
    let seen: AbortSignal | undefined;
    const engine = engineWith(
      [
        candidate(
          'hang',
          KIND,
          {
            on_event: (_input: unknown, call: HookCall) => {
              seen = call.signal;
              return never();
            },
          },
          { mode },
        ),
      ],
      { logger },
    );
    await engine.call(KIND, 'on_event', {}, { timeoutMs: 30 });
    await engine.settled();
    expect(seen?.aborted).toBe(true);
    const error = logger.records.find((r) => r.level === 'error');
    expect(error?.fields?.plugin).toBe('hang');
    expect((error?.fields?.error as Error | undefined)?.name).toBe('HookTimeout');
  });

  it('cancels handlers through the caller signal', async () => {
    const logger = recordingLogger();
    const controller = new AbortController();
    const engine = engineWith([candidate('hang', KIND, { on_event: () => never() }, { mode })], {
      logger,
    });
    await engine.call(KIND, 'on_event', {}, { signal: controller.signal });
    controller.abort();
    await engine.settled();
    expect((logger.records[0]?.fields?.error as Error | undefined)?.name).toBe('HookCancelled');
  });

  it('gives handlers the frozen metadata', async () => {
    const seen: unknown[] = [];
    const engine = engineWith([
      candidate(
        'a',
        KIND,
        {
          on_event: (_input: unknown, call: HookCall) => {
            seen.push(call.metadata);
          },
        },
        { mode },
      ),
    ]);
    await engine.call(KIND, 'on_event', {}, { metadata: { trace_context: { traceparent: 't' } } });
    await engine.settled();
    expect(seen).toEqual([{ trace_context: { traceparent: 't' } }]);
    expect(Object.isFrozen(seen[0])).toBe(true);
  });

  it('narrows handlers with the governance filter', async () => {
    const ran: string[] = [];
    const handler = (name: string) =>
      candidate(
        name,
        KIND,
        {
          on_event: () => {
            ran.push(name);
          },
        },
        { mode },
      );
    const engine = engineWith([handler('a'), handler('b')], {
      governanceFilter: (_k, _h, candidates) => candidates.filter((c) => c.name === 'b'),
    });
    await engine.call(KIND, 'on_event', {});
    await engine.settled();
    expect(ran).toEqual(['b']);
  });
});
