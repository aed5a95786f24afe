import {
  isSerializationError,
  type JsonObject,
  type LogFields,
  type Logger,
  type ProgressSink,
  type ProgressUpdate,
} from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  createProgressSink,
  isResourceError,
  LogProgressSink,
  MemoryProgressSink,
  NoopProgressSink,
  type RecordedProgressEvent,
  toProgressUpdate,
} from '../src/index.js';

function capture(): { logger: Logger; records: [string, string, LogFields | undefined][] } {
  const records: [string, string, LogFields | undefined][] = [];
  const at =
    (level: string) =>
    (message: string, fields?: LogFields): void => {
      records.push([level, message, fields]);
    };
  return {
    records,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('toProgressUpdate', () => {
  it('takes the object form and ADR-0003 positional form to one frozen update', () => {
    const payload = { current_file: 'a.txt', nested: { n: 1 } };
    const fromObject = toProgressUpdate({ percent: 0.5, message: 'Halfway there', payload });
    const positional = toProgressUpdate(0.5, 'Halfway there', payload);
    expect(fromObject).toEqual({ percent: 0.5, message: 'Halfway there', payload });
    expect(positional).toEqual(fromObject);
    expect(Object.isFrozen(positional)).toBe(true);
    expect(Object.isFrozen(positional.payload?.nested)).toBe(true);
    payload.nested.n = 2;
    expect(positional.payload).toEqual({ current_file: 'a.txt', nested: { n: 1 } });
    expect(toProgressUpdate(1, null, null)).toEqual({ percent: 1 });
    expect(toProgressUpdate({ percent: 0 })).toEqual({ percent: 0 });
  });

  it('percent is a fraction in [0, 1]: outside is a typed error, float slack is clamped', () => {
    for (const percent of [50, 1.01, -0.1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = thrown(() => toProgressUpdate(percent));
      expect(isResourceError(error), String(percent)).toBe(true);
      expect((error as Error).message).toContain('not a fraction in [0, 1]');
      expect((error as Error).message).toContain('0.5 is halfway');
    }
    expect(isResourceError(thrown(() => toProgressUpdate({} as ProgressUpdate)))).toBe(true);
    expect(isResourceError(thrown(() => toProgressUpdate('0.5' as unknown as number)))).toBe(true);
    expect(toProgressUpdate(1 + 1e-12).percent).toBe(1);
    expect(toProgressUpdate(-1e-12).percent).toBe(0);
  });

  it('refuses a non-string message and a payload that is not a JSON object', () => {
    expect(isResourceError(thrown(() => toProgressUpdate(0.1, 5 as unknown as string)))).toBe(true);
    expect(
      isResourceError(thrown(() => toProgressUpdate(0.1, 'x', [1] as unknown as JsonObject))),
    ).toBe(true);
    const serialization = thrown(() =>
      toProgressUpdate(0.1, 'x', { when: new Date(0) } as unknown as JsonObject),
    );
    expect(isSerializationError(serialization)).toBe(true);
    expect(serialization).toMatchObject({ pointer: '/when' });
  });
});

describe('progress sinks', () => {
  it('NoopProgressSink checks its arguments and keeps nothing', () => {
    const sink = new NoopProgressSink();
    expect(sink.update({ percent: 0.2 })).toBeUndefined();
    expect(sink.update(0.3, 'x')).toBeUndefined();
    expect(sink.event('started')).toBeUndefined();
    expect(Object.keys(sink)).toEqual([]);
    expect(isResourceError(thrown(() => sink.update({ percent: 50 })))).toBe(true);
    expect(isResourceError(thrown(() => sink.event('')))).toBe(true);
  });

  it('MemoryProgressSink records updates and events, in order, as frozen copies', () => {
    const sink = new MemoryProgressSink();
    expect(sink.last).toBeUndefined();
    const payload = { file: 'a' };
    sink.update({ percent: 0.25, message: 'start', payload });
    payload.file = 'changed';
    sink.update(0.5, 'Halfway there');
    sink.event('file_skipped', { file: 'b.bin' });
    sink.event('tick');
    expect(sink.updates).toEqual([
      { percent: 0.25, message: 'start', payload: { file: 'a' } },
      { percent: 0.5, message: 'Halfway there' },
    ]);
    expect(sink.events).toEqual<RecordedProgressEvent[]>([
      { type: 'file_skipped', payload: { file: 'b.bin' } },
      { type: 'tick', payload: {} },
    ]);
    expect(sink.last).toEqual({ percent: 0.5, message: 'Halfway there' });
    expect(Object.isFrozen(sink.updates[0])).toBe(true);
    expect(Object.isFrozen(sink.events[0]?.payload)).toBe(true);
    const snapshot = sink.updates as unknown[];
    snapshot.length = 0;
    expect(sink.updates).toHaveLength(2);
    sink.clear();
    expect(sink.updates).toEqual([]);
    expect(sink.events).toEqual([]);
  });

  it('a refused update records nothing', () => {
    const sink = new MemoryProgressSink();
    expect(() => sink.update(2, 'twice done')).toThrow(/not a fraction/);
    expect(() => sink.event('x', { n: Number.NaN })).toThrow(/not a JSON number/);
    expect(sink.updates).toEqual([]);
    expect(sink.events).toEqual([]);
  });

  it('the deprecated report() is update() with current / total, or a progress event without a total', () => {
    const sink = new MemoryProgressSink();
    sink.report({ current: 1, total: 4, message: 'step' });
    sink.report({ current: 5, total: 4 }); // over the total: clamped
    sink.report({ current: 3 });
    sink.report({ current: 0, total: 0, message: 'nothing to do' });
    expect(sink.updates).toEqual([
      { percent: 0.25, message: 'step', payload: { current: 1, total: 4 } },
      { percent: 1, payload: { current: 5, total: 4 } },
    ]);
    expect(sink.events).toEqual([
      { type: 'progress', payload: { current: 3 } },
      { type: 'progress', payload: { current: 0, total: 0, message: 'nothing to do' } },
    ]);
  });

  it('LogProgressSink writes one record per update or event at the chosen level', () => {
    const { logger, records } = capture();
    new LogProgressSink(logger).update({ percent: 1 / 3 });
    new LogProgressSink(logger, { level: 'debug', message: 'indexing' }).update(0.5, 'file 5', {
      file: 'e.txt',
    });
    new LogProgressSink(logger).event('file_skipped', { file: 'b.bin' });
    new LogProgressSink(logger).report({ current: 1, total: 4 });
    expect(records).toEqual([
      ['info', 'progress', { percent: 1 / 3 }],
      [
        'debug',
        'indexing',
        { percent: 0.5, progress_message: 'file 5', payload: { file: 'e.txt' } },
      ],
      ['info', 'progress', { event: 'file_skipped', payload: { file: 'b.bin' } }],
      ['info', 'progress', { percent: 0.25, payload: { current: 1, total: 4 } }],
    ]);
  });

  it('createProgressSink hands checked values to the handlers', () => {
    const updates: ProgressUpdate[] = [];
    const events: RecordedProgressEvent[] = [];
    const sink: ProgressSink = createProgressSink({
      update: (u) => updates.push(u),
      event: (e) => events.push(e),
    });
    sink.update(0.1, 'a');
    sink.update({ percent: 0.2 });
    sink.event('done', { ok: true });
    sink.report({ current: 3, total: 10 });
    expect(updates).toEqual([
      { percent: 0.1, message: 'a' },
      { percent: 0.2 },
      { percent: 0.3, payload: { current: 3, total: 10 } },
    ]);
    expect(events).toEqual([{ type: 'done', payload: { ok: true } }]);
    expect(() => sink.update(-1)).toThrow(/not a fraction/);
    expect(updates).toHaveLength(3);
    const updatesOnly = createProgressSink({ update: (u) => updates.push(u) });
    expect(() => updatesOnly.event('ignored')).not.toThrow();
    expect(() => createProgressSink({} as never)).toThrow(/handlers.update must be a function/);
  });
});
