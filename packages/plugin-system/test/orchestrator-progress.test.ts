// The orchestrator's progress sink: updates and events made while a unit
// runs land in that unit's `progress`, and everything is forwarded.
import { MemoryProgressSink } from '@dagstack/plugin-resources';
import { describe, expect, it } from 'vitest';
import { noteAttempt, UnitProgress } from '../src/orchestrator/progress.js';
import type { UnitRecord } from '../src/orchestrator/unit-record.js';

function unit(id: string, state: UnitRecord['state'] = 'running'): UnitRecord {
  return {
    unit_id: id,
    seq: 1,
    plugin_name: 'p',
    plugin_kind: 'batch',
    hook: 'run',
    args: {},
    metadata: {},
    state,
    attempts: 1,
    enqueued_at: 0,
    progress: { attempt: 1 },
  };
}

function setup(): {
  progress: UnitProgress;
  units: Map<string, UnitRecord>;
  changes: string[];
  forwarded: MemoryProgressSink;
  sink: ReturnType<UnitProgress['sink']>;
} {
  const progress = new UnitProgress();
  const units = new Map([
    ['u1', unit('u1')],
    ['u2', unit('u2')],
  ]);
  const changes: string[] = [];
  const forwarded = new MemoryProgressSink();
  const sink = progress.sink(
    (id) => units.get(id),
    () => changes.push('changed'),
    forwarded,
  );
  return { progress, units, changes, forwarded, sink };
}

describe('the orchestrator progress sink', () => {
  it("records an update on the running unit's progress and forwards it", () => {
    const { progress, units, changes, forwarded, sink } = setup();
    progress.run('u1', () => sink.update({ percent: 0.5, message: 'Halfway there' }));
    progress.run('u2', () => sink.update(0.25, 'a quarter', { file: 'b.txt' }));
    progress.run('u1', () => sink.update({ percent: 0.75, payload: { file: 'c.txt' } }));
    expect(units.get('u1')?.progress).toEqual({
      attempt: 1,
      percent: 0.75,
      message: 'Halfway there',
      payload: { file: 'c.txt' },
    });
    expect(units.get('u2')?.progress).toEqual({
      attempt: 1,
      percent: 0.25,
      message: 'a quarter',
      payload: { file: 'b.txt' },
    });
    expect(changes).toHaveLength(3);
    expect(forwarded.updates.map((u) => u.percent)).toEqual([0.5, 0.25, 0.75]);
  });

  it('records the last event of a unit and forwards every event', () => {
    const { progress, units, forwarded, sink } = setup();
    progress.run('u1', () => {
      sink.event('file_skipped', { file: 'a.bin' });
      sink.event('retrying');
    });
    expect(units.get('u1')?.progress).toEqual({
      attempt: 1,
      last_event: { type: 'retrying', payload: {} },
    });
    expect(forwarded.events).toEqual([
      { type: 'file_skipped', payload: { file: 'a.bin' } },
      { type: 'retrying', payload: {} },
    ]);
  });

  it('the deprecated report() goes through update', () => {
    const { progress, units, forwarded, sink } = setup();
    progress.run('u1', () => sink.report({ current: 2, total: 8, message: 'item 1' }));
    expect(units.get('u1')?.progress).toEqual({
      attempt: 1,
      percent: 0.25,
      message: 'item 1',
      payload: { current: 2, total: 8 },
    });
    expect(forwarded.last).toEqual({
      percent: 0.25,
      message: 'item 1',
      payload: { current: 2, total: 8 },
    });
  });

  it('refuses a percent outside [0, 1] and records nothing', () => {
    const { progress, units, changes, forwarded, sink } = setup();
    expect(() => progress.run('u1', () => sink.update({ percent: 50 }))).toThrow(
      /not a fraction in \[0, 1\]/,
    );
    expect(units.get('u1')?.progress).toEqual({ attempt: 1 });
    expect(changes).toEqual([]);
    expect(forwarded.updates).toEqual([]);
  });

  it('outside a running unit an update is only forwarded', () => {
    const { progress, units, changes, forwarded, sink } = setup();
    sink.update(0.1);
    units.set('done', unit('done', 'succeeded'));
    progress.run('done', () => sink.update(0.9));
    expect(units.get('done')?.progress).toEqual({ attempt: 1 });
    expect(changes).toEqual([]);
    expect(forwarded.updates.map((u) => u.percent)).toEqual([0.1, 0.9]);
  });
});

describe('noteAttempt', () => {
  it('notes the checkpoint key, whether the attempt resumes, and from which version', () => {
    const u = unit('u1');
    noteAttempt(u, 'units/u1', null);
    expect(u.progress).toEqual({
      attempt: 1,
      checkpoint_key: 'units/u1',
      resumed_from_checkpoint: false,
    });
    noteAttempt(u, 'units/u1', { state: { next: 3 }, version: '3-aaaaaaaaaaaa' });
    expect(u.progress).toEqual({
      attempt: 1,
      checkpoint_key: 'units/u1',
      resumed_from_checkpoint: true,
      resumed_from_version: '3-aaaaaaaaaaaa',
    });
    // A later attempt that finds no checkpoint does not keep the old version.
    noteAttempt(u, 'units/u1', null);
    expect(u.progress).toEqual({
      attempt: 1,
      checkpoint_key: 'units/u1',
      resumed_from_checkpoint: false,
    });
    // Without a checkpoint store: the key only.
    const v = unit('u2');
    noteAttempt(v, 'units/u2', undefined);
    expect(v.progress).toEqual({ attempt: 1, checkpoint_key: 'units/u2' });
  });
});
