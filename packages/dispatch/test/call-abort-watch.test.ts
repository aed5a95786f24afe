// `watchAbort` on the calls the engine makes: a runtime that
// forwards a call elsewhere learns of its abort without reading `call.signal`
// (which would create an AbortController), and learns that a call can never
// abort. Each test checks who was told what; none measures time.
import {
  type CallAbortListener,
  type HookCall,
  isHookCancelled,
  isHookTimeout,
} from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import { DispatchEngine } from '../src/index.js';
import { candidate, kindSpec } from './helpers.js';

const KIND = 'tool_provider';

/** A listener that records the reasons it was told. */
function recorder(): CallAbortListener & { reasons: unknown[] } {
  const reasons: unknown[] = [];
  return { reasons, callAborted: (reason) => reasons.push(reason) };
}

/** A plugin whose one hook hands its call to `onCall`. */
function spyPlugin(onCall: (call: HookCall) => Promise<unknown> | unknown) {
  return { run: (_input: unknown, call: HookCall) => onCall(call) };
}

function engineWith(
  dispatch: 'singleton' | 'broadcast_collect' | 'chain',
  plugins: Record<string, ReturnType<typeof spyPlugin>>,
  options: ConstructorParameters<typeof DispatchEngine>[0] = {},
) {
  const engine = new DispatchEngine({ env: {}, ...options });
  engine.registerKind(kindSpec(KIND, { run: { dispatch } }));
  engine.setCandidates(
    KIND,
    Object.entries(plugins).map(([name, p]) => candidate(name, KIND, p)),
  );
  return engine;
}

describe('watchAbort on the calls of the dispatch engine', () => {
  it.each(['singleton', 'chain'] as const)(
    'a %s call with no timeout and no signal says it can never abort',
    async (dispatch) => {
      const answers: (boolean | undefined)[] = [];
      const engine = engineWith(dispatch, {
        a: spyPlugin((call) => {
          answers.push(call.watchAbort?.(recorder(), true));
          return { ok: true };
        }),
      });
      await engine.call(KIND, 'run', {});
      expect(answers).toEqual([false]);
    },
  );

  it('a caller signal: the listener is told the HookCancelled reason, no signal read', async () => {
    const listener = recorder();
    const controller = new AbortController();
    let reads = 0;
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const engine = engineWith('singleton', {
      a: spyPlugin((call) => {
        // Count reads of the signal from here on (an own getter shadows the prototype's).
        Object.defineProperty(call, 'signal', {
          get() {
            reads += 1;
            return new AbortController().signal;
          },
        });
        expect(call.watchAbort?.(listener, true)).toBe(true);
        started();
        return new Promise(() => {});
      }),
    });
    const pending = engine
      .call(KIND, 'run', {}, { signal: controller.signal })
      .catch((e: unknown) => e);
    await running;
    expect(listener.reasons).toEqual([]);
    controller.abort(new Error('user left'));
    const error = await pending;
    expect(isHookCancelled(error)).toBe(true);
    expect(listener.reasons).toHaveLength(1);
    expect(isHookCancelled(listener.reasons[0])).toBe(true);
    expect(reads).toBe(0);
  });

  it('a timeout: the listener is told the HookTimeout', async () => {
    const listener = recorder();
    const engine = engineWith('singleton', {
      a: spyPlugin((call) => {
        call.watchAbort?.(listener, true);
        return new Promise(() => {});
      }),
    });
    const error = await engine.call(KIND, 'run', {}, { timeoutMs: 20 }).catch((e: unknown) => e);
    expect(isHookTimeout(error)).toBe(true);
    expect(listener.reasons).toEqual([error]);
  });

  it('a listener that stopped watching is not told', async () => {
    const kept = recorder();
    const dropped = recorder();
    const engine = engineWith('singleton', {
      a: spyPlugin((call) => {
        call.watchAbort?.(kept, true);
        call.watchAbort?.(dropped, true);
        call.watchAbort?.(dropped, false);
        return new Promise(() => {});
      }),
    });
    await engine.call(KIND, 'run', {}, { timeoutMs: 20 }).catch(() => undefined);
    expect(kept.reasons).toHaveLength(1);
    expect(dropped.reasons).toEqual([]);
  });

  it('a listener added after the abort is told at once', async () => {
    const late = recorder();
    let keep!: HookCall;
    const engine = engineWith('singleton', {
      a: spyPlugin((call) => {
        keep = call;
        return new Promise(() => {});
      }),
    });
    const error = await engine.call(KIND, 'run', {}, { timeoutMs: 20 }).catch((e: unknown) => e);
    expect(keep.watchAbort?.(late, true)).toBe(true);
    expect(late.reasons).toEqual([error]);
  });

  it('fail-fast broadcast_collect (hot path): the first failure is told to the others', async () => {
    const listener = recorder();
    let fail!: (error: Error) => void;
    const engine = engineWith('broadcast_collect', {
      a: spyPlugin(
        () =>
          new Promise((_resolve, reject) => {
            fail = reject;
          }),
      ),
      b: spyPlugin((call) => {
        expect(call.watchAbort?.(listener, true)).toBe(true);
        return new Promise(() => {});
      }),
    });
    const pending = engine.call(KIND, 'run', {}).catch((e: unknown) => e);
    await new Promise((resolve) => setImmediate(resolve));
    expect(listener.reasons).toEqual([]);
    fail(new Error('boom'));
    const error = await pending;
    expect(listener.reasons).toEqual([error]);
  });
});
