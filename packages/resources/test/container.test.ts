import { isPluginError, PluginRegistryError } from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  createResourceContainer,
  FrozenClock,
  isUndeclaredResource,
  missingRequired,
  UndeclaredResource,
} from '../src/index.js';

describe('createResourceContainer', () => {
  const clock = new FrozenClock();
  const pool = { query: () => [] };

  it('without a declaration exposes every provided resource', () => {
    const c = createResourceContainer({ clock, postgres: pool, rng: undefined });
    expect(c.get('clock')).toBe(clock);
    expect(c.get('postgres')).toBe(pool);
    expect(c.has('rng')).toBe(false);
    expect(c.get('rng')).toBeUndefined();
    expect(c.names()).toEqual(['clock', 'postgres']);
  });

  it('with a declaration exposes only the declared names', () => {
    const c = createResourceContainer(
      { clock, postgres: pool, tmpdir: '/tmp/x' },
      { declared: { required: ['clock'], optional: ['blob_store', 'tmpdir'] }, plugin: 'indexer' },
    );
    expect(c.get('clock')).toBe(clock);
    expect(c.get('tmpdir')).toBe('/tmp/x');
    expect(c.get('blob_store')).toBeUndefined(); // optional and not provided
    expect(c.has('blob_store')).toBe(false);
    expect(c.has('postgres')).toBe(false); // provided but not declared
    expect(c.names()).toEqual(['clock', 'tmpdir']);
  });

  it('get of an undeclared name throws UndeclaredResource naming the plugin and the fix', () => {
    const c = createResourceContainer(
      { clock, postgres: pool },
      { declared: { required: ['clock'], optional: [] }, plugin: 'indexer' },
    );
    let caught: unknown;
    try {
      c.get('postgres');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UndeclaredResource);
    expect(caught).toBeInstanceOf(PluginRegistryError);
    expect(isUndeclaredResource(caught)).toBe(true);
    expect(isPluginError(caught)).toBe(true);
    const error = caught as UndeclaredResource;
    expect(error.plugin).toBe('indexer');
    expect(error.resourceName).toBe('postgres');
    expect(error.code).toBe('UNDECLARED_RESOURCE');
    expect(error.message).toContain('plugin "indexer"');
    expect(error.message).toContain('resource "postgres" is not declared in [plugin.resources]');
    expect(error.message).toContain('add "postgres" to required or optional of [plugin.resources]');
    expect(error.toJSON()).toMatchObject({
      code: 'UNDECLARED_RESOURCE',
      details: { resource: 'postgres', declared: ['clock'] },
    });
  });

  it('the set of resources is fixed when the container is made', () => {
    const resources: Record<string, unknown> = { clock };
    const c = createResourceContainer(resources);
    resources.rng = {};
    expect(c.has('rng')).toBe(false);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('refuses a malformed declaration', () => {
    expect(() =>
      createResourceContainer({}, { declared: { required: 'clock' } as unknown as never }),
    ).toThrow(/required: string\[\]/);
  });
});

describe('missingRequired', () => {
  const declared = { required: ['clock', 'http_client', 'clock', 'postgres'], optional: ['rng'] };

  it('lists the required names a record does not provide, in order, once', () => {
    expect(missingRequired(declared, { clock: 1, postgres: undefined })).toEqual([
      'http_client',
      'postgres',
    ]);
    expect(missingRequired(declared, { clock: 1, http_client: 2, postgres: 3 })).toEqual([]);
  });

  it('accepts a container or a list of names', () => {
    expect(
      missingRequired(declared, createResourceContainer({ clock: 1, http_client: 2 })),
    ).toEqual(['postgres']);
    expect(missingRequired(declared, ['postgres', 'http_client'])).toEqual(['clock']);
    expect(missingRequired(declared, new Set(['clock', 'http_client', 'postgres']))).toEqual([]);
  });

  it('ignores optional names and inherited properties', () => {
    const record = Object.create({ postgres: 1 }) as Record<string, unknown>;
    record.clock = 1;
    record.http_client = 1;
    expect(missingRequired(declared, record)).toEqual(['postgres']);
    expect(missingRequired({ required: [] }, {})).toEqual([]);
  });
});
