import { type CheckpointEntry, PluginRegistryError } from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  decorate,
  FrozenClock,
  InMemoryCheckpointStore,
  isResourceError,
  type ResourceWrapper,
} from '../src/index.js';

class QuotaExceeded extends PluginRegistryError {
  static override readonly code: string = 'TEST_QUOTA_EXCEEDED';
}

function metering(): { wrapper: ResourceWrapper; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const wrapper: ResourceWrapper = (method, args, next) => {
    calls.set(String(method), (calls.get(String(method)) ?? 0) + 1);
    return next(args);
  };
  return { wrapper, calls };
}

describe('decorate', () => {
  it('meters a FrozenClock (private fields) and keeps its behaviour', async () => {
    const clock = new FrozenClock({ now: 1000 });
    const { wrapper, calls } = metering();
    const metered = decorate(clock, wrapper);
    expect(metered.now().getTime()).toBe(1000);
    expect(metered.now().getTime()).toBe(1000);
    const sleeping = metered.sleep(10);
    expect(metered.advance(10)).toBe(1);
    await sleeping;
    expect(metered.pendingSleeps).toBe(0); // getter passes through, not metered
    expect(Object.fromEntries(calls)).toEqual({ now: 2, sleep: 1, advance: 1 });
    expect(clock.now().getTime()).toBe(1010);
    expect(metered).toBeInstanceOf(FrozenClock);
  });

  it('methods keep working when detached from the proxy (`this` is the original)', () => {
    const clock = new FrozenClock({ now: 5 });
    const { now } = decorate(clock, (_m, args, next) => next(args));
    expect(now().getTime()).toBe(5);
  });

  it('a deny decorator rejects writes and lets reads through', async () => {
    const store = new InMemoryCheckpointStore();
    await store.save('existing', 1);
    const readOnly = decorate(store, (method, args, next) => {
      if (method === 'save' || method === 'delete') {
        return Promise.reject(
          new QuotaExceeded(`checkpoint.${String(method)} denied`, { plugin: 'p' }),
        );
      }
      return next(args);
    });
    await expect(readOnly.save('x', 1)).rejects.toBeInstanceOf(QuotaExceeded);
    await expect(readOnly.delete('existing')).rejects.toThrow(
      'plugin "p": checkpoint.delete denied',
    );
    expect((await readOnly.load('existing'))?.state).toBe(1);
    expect((await readOnly.list()).map((e) => e.key)).toEqual(['existing']);
    expect(store.size).toBe(1);
  });

  it('may rewrite arguments and results', async () => {
    const store = new InMemoryCheckpointStore();
    const tenant = decorate(store, (method, args, next) => {
      if (method === 'save' || method === 'load')
        return next([`tenant-a/${String(args[0])}`, ...args.slice(1)]);
      if (method === 'list') {
        return (next(['tenant-a/']) as Promise<CheckpointEntry[]>).then((entries) =>
          entries.map((e) => ({ ...e, key: e.key.slice('tenant-a/'.length) })),
        );
      }
      return next(args);
    });
    const version = await tenant.save('job', { n: 1 });
    expect(await store.list()).toEqual([{ key: 'tenant-a/job', version }]);
    expect(await tenant.load('job')).toEqual({ state: { n: 1 }, version });
    expect(await tenant.list()).toEqual([{ key: 'job', version }]);
  });

  it('composes: the outer decorator runs first', () => {
    const order: string[] = [];
    const clock = new FrozenClock();
    const inner = decorate(clock, (m, a, next) => {
      order.push(`inner:${String(m)}`);
      return next(a);
    });
    const outer = decorate(inner, (m, a, next) => {
      order.push(`outer:${String(m)}`);
      return next(a);
    });
    outer.now();
    expect(order).toEqual(['outer:now', 'inner:now']);
  });

  it('returns the same wrapped function on every read and passes plain fields through', () => {
    const resource = {
      label: 'db',
      count: 0,
      bump(this: { count: number }) {
        this.count += 1;
        return this.count;
      },
    };
    const proxy = decorate(resource, (_m, a, next) => next(a));
    expect(proxy.bump).toBe(proxy.bump);
    expect(proxy.label).toBe('db');
    expect(proxy.bump()).toBe(1);
    proxy.label = 'changed';
    expect(resource.label).toBe('changed');
    expect(resource.count).toBe(1);
  });

  it('decorates a frozen resource (the per-plugin tmpdir is one) and reads its own properties', () => {
    const calls: string[] = [];
    const frozen = Object.freeze({
      path: '/tmp/x',
      join(name: string): string {
        return `${this.path}/${name}`;
      },
    });
    const proxy = decorate(frozen, (method, args, next) => {
      calls.push(String(method));
      return next(args);
    });
    expect(proxy.join('a')).toBe('/tmp/x/a');
    expect(proxy.join).toBe(proxy.join);
    expect(proxy.path).toBe('/tmp/x');
    expect(calls).toEqual(['join']);
    expect(Object.keys(proxy)).toEqual(['path', 'join']);
    expect('join' in proxy).toBe(true);
    expect(Object.getPrototypeOf(proxy)).toBe(Object.prototype);
    expect(JSON.stringify(proxy)).toBe('{"path":"/tmp/x"}');
    expect(() => {
      (proxy as { path: string }).path = 'changed';
    }).toThrow(TypeError);
  });

  it('refuses non-objects and non-function wrappers', () => {
    const check = (fn: () => unknown): boolean => {
      try {
        fn();
        return false;
      } catch (error) {
        return isResourceError(error);
      }
    };
    expect(check(() => decorate(null as unknown as object, (_m, a, n) => n(a)))).toBe(true);
    expect(check(() => decorate({}, 'x' as unknown as ResourceWrapper))).toBe(true);
  });
});
