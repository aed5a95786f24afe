import type { LogFields, Logger } from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import { InMemoryEventBus, isResourceError, ResourceError } from '../src/index.js';

interface Record {
  level: string;
  message: string;
  fields: LogFields | undefined;
}

function memoryLogger(): Logger & { records: Record[] } {
  const records: Record[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: LogFields): void => {
      records.push({ level, message, fields });
    };
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('InMemoryEventBus', () => {
  it('delivers asynchronously: nothing runs before publish returns', async () => {
    const bus = new InMemoryEventBus();
    const got: unknown[] = [];
    bus.subscribe('doc.indexed', (payload, topic) => {
      got.push([topic, payload]);
    });
    bus.publish('doc.indexed', { id: 1 });
    expect(got).toEqual([]);
    await Promise.resolve();
    expect(got).toEqual([]); // not even in the publisher's microtasks
    await bus.drain();
    expect(got).toEqual([['doc.indexed', { id: 1 }]]);
  });

  it('keeps publish order and subscription order; other topics are not delivered', async () => {
    const bus = new InMemoryEventBus();
    const got: string[] = [];
    bus.subscribe('a', (p) => {
      got.push(`first:${String(p)}`);
    });
    bus.subscribe('a', (p) => {
      got.push(`second:${String(p)}`);
    });
    bus.subscribe('b', (p) => {
      got.push(`b:${String(p)}`);
    });
    bus.publish('a', 1);
    bus.publish('a', 2);
    bus.publish('c', 3);
    await bus.drain();
    expect(got).toEqual(['first:1', 'second:1', 'first:2', 'second:2']);
  });

  it('publish never waits for a slow handler; drain waits for it', async () => {
    const bus = new InMemoryEventBus();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finished = false;
    bus.subscribe('slow', async () => {
      await gate;
      finished = true;
    });
    bus.publish('slow', null);
    const drained = bus.drain();
    let drainDone = false;
    void drained.then(() => {
      drainDone = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(finished).toBe(false);
    expect(drainDone).toBe(false);
    release();
    await drained;
    expect(finished).toBe(true);
  });

  it('isolates failing handlers and reports them with the topic', async () => {
    const logger = memoryLogger();
    const bus = new InMemoryEventBus({ logger });
    const got: string[] = [];
    bus.subscribe('t', () => {
      throw new Error('sync boom');
    });
    bus.subscribe('t', async () => {
      throw new Error('async boom');
    });
    bus.subscribe('t', () => {
      got.push('third ran');
    });
    expect(() => bus.publish('t', 1)).not.toThrow();
    await bus.drain();
    expect(got).toEqual(['third ran']);
    const errors = logger.records.filter((r) => r.level === 'error');
    expect(errors).toHaveLength(2);
    expect(errors.map((r) => r.fields?.topic)).toEqual(['t', 't']);
    expect(errors.map((r) => (r.fields?.error as Error | undefined)?.message).sort()).toEqual([
      'async boom',
      'sync boom',
    ]);
  });

  it('a throwing logger does not break delivery or publish', async () => {
    const throwing: Logger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: () => {
        throw new Error('logger down');
      },
    };
    const bus = new InMemoryEventBus({ logger: throwing });
    const got: number[] = [];
    bus.subscribe('t', () => {
      throw new Error('x');
    });
    bus.subscribe('t', (p) => {
      got.push(p as number);
    });
    bus.publish('t', 7);
    bus.publish('', 8);
    await bus.drain();
    expect(got).toEqual([7]);
  });

  it('unsubscribe stops delivery, queued deliveries included, and is idempotent', async () => {
    const bus = new InMemoryEventBus();
    const got: number[] = [];
    const sub = bus.subscribe('t', (p) => {
      got.push(p as number);
    });
    bus.publish('t', 1);
    bus.unsubscribe(sub);
    bus.unsubscribe(sub);
    bus.publish('t', 2);
    await bus.drain();
    expect(got).toEqual([]);
    expect(bus.subscriberCount('t')).toBe(0);
    expect(sub.topic).toBe('t');
  });

  it('the wildcard topic receives every topic with its name', async () => {
    const bus = new InMemoryEventBus();
    const got: string[] = [];
    bus.subscribe('*', (_p, topic) => {
      got.push(topic);
    });
    bus.publish('x', 1);
    bus.publish('y.z', 2);
    await bus.drain();
    expect(got).toEqual(['x', 'y.z']);
  });

  it('publishing to "*" or "" delivers nothing and is logged, not thrown', async () => {
    const logger = memoryLogger();
    const bus = new InMemoryEventBus({ logger });
    const got: unknown[] = [];
    bus.subscribe('*', (p) => {
      got.push(p);
    });
    bus.publish('*', 1);
    bus.publish('', 2);
    await bus.drain();
    expect(got).toEqual([]);
    expect(logger.records.map((r) => r.fields?.topic)).toEqual(['*', '']);
  });

  it('at most once: a handler subscribed after publish does not get the event', async () => {
    const bus = new InMemoryEventBus();
    const got: number[] = [];
    bus.publish('t', 1);
    bus.subscribe('t', (p) => {
      got.push(p as number);
    });
    await bus.drain();
    expect(got).toEqual([]);
  });

  it('drain also waits for events published by handlers', async () => {
    const bus = new InMemoryEventBus();
    const got: string[] = [];
    bus.subscribe('first', async () => {
      await Promise.resolve();
      bus.publish('second', null);
    });
    bus.subscribe('second', () => {
      got.push('second');
    });
    bus.publish('first', null);
    await bus.drain();
    expect(got).toEqual(['second']);
    await bus.drain(); // idle: resolves at once
  });

  it('subscribe refuses bad topics and handlers with a typed error', () => {
    const bus = new InMemoryEventBus();
    expect(() => bus.subscribe('', () => {})).toThrow(/non-empty string/);
    expect(() => bus.subscribe('t', 'nope' as unknown as () => void)).toThrowError(ResourceError);
    let caught: unknown;
    try {
      bus.subscribe('', () => {});
    } catch (error) {
      caught = error;
    }
    expect(isResourceError(caught)).toBe(true);
    expect(bus.subscriberCount()).toBe(0);
  });
});
