import type { LogFields, Logger } from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import { LogProgressSink, MemoryProgressSink, NoopProgressSink } from '../src/index.js';

describe('progress sinks', () => {
  it('NoopProgressSink accepts reports and keeps nothing', () => {
    const sink = new NoopProgressSink();
    expect(sink.report({ current: 1 })).toBeUndefined();
    expect(Object.keys(sink)).toEqual([]);
  });

  it('MemoryProgressSink records frozen copies in order', () => {
    const sink = new MemoryProgressSink();
    expect(sink.last).toBeUndefined();
    const event = { current: 1, total: 10, message: 'start' };
    sink.report(event);
    event.current = 99;
    sink.report({ current: 2 });
    expect(sink.events).toEqual([{ current: 1, total: 10, message: 'start' }, { current: 2 }]);
    expect(sink.last).toEqual({ current: 2 });
    expect(Object.isFrozen(sink.events[0])).toBe(true);
    const snapshot = sink.events as unknown[];
    snapshot.length = 0;
    expect(sink.events).toHaveLength(2);
    sink.clear();
    expect(sink.events).toEqual([]);
  });

  it('LogProgressSink writes one record per report at the chosen level', () => {
    const records: [string, string, LogFields | undefined][] = [];
    const at =
      (level: string) =>
      (message: string, fields?: LogFields): void => {
        records.push([level, message, fields]);
      };
    const logger: Logger = {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
    };
    new LogProgressSink(logger).report({ current: 1, total: 3 });
    new LogProgressSink(logger, { level: 'debug', message: 'indexing' }).report({
      current: 5,
      message: 'file 5',
    });
    new LogProgressSink(logger).report({ current: 0, total: 0 });
    expect(records).toEqual([
      ['info', 'progress', { current: 1, total: 3, percent: 33.3 }],
      ['debug', 'indexing', { current: 5, progress_message: 'file 5' }],
      ['info', 'progress', { current: 0, total: 0 }],
    ]);
  });
});
