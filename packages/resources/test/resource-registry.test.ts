import { type Clock, PluginRegistryError, type ResourceContainer } from '@dagstack/plugin-api';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createResourceContainer,
  createTestResources,
  FrozenClock,
  isResourceAlreadyRegistered,
  isResourceError,
  missingRequired,
  ResourceAlreadyRegistered,
  ResourceRegistry,
} from '../src/index.js';

interface Pool {
  query(sql: string): unknown[];
}

describe('ResourceRegistry', () => {
  it('registers resources by name and reads them back as a ResourceContainer', () => {
    const clock = new FrozenClock();
    const pool: Pool = { query: () => [] };
    const resources = new ResourceRegistry();
    expect(resources.register('postgres', pool)).toBe(resources);
    resources.register('clock', clock).register('http_client', { fetch: () => undefined });
    const container: ResourceContainer = resources;
    expect(container.get('clock')).toBe(clock);
    expect(resources.get<Pool>('postgres')).toBe(pool);
    expect(resources.has('postgres')).toBe(true);
    expect(resources.has('rng')).toBe(false);
    expect(resources.get('rng')).toBeUndefined();
    expectTypeOf(resources.get('clock')).toEqualTypeOf<Clock | undefined>();
    expectTypeOf(resources.get<Pool>('postgres')).toEqualTypeOf<Pool>();
  });

  it('lists names sorted, whatever the registration order', () => {
    const a = new ResourceRegistry().register('zeta', 1).register('alpha', 2).register('mid', 3);
    const b = new ResourceRegistry().register('mid', 3).register('zeta', 1).register('alpha', 2);
    expect(a.names()).toEqual(['alpha', 'mid', 'zeta']);
    expect(b.names()).toEqual(a.names());
    expect(Object.isFrozen(a.names())).toBe(true);
    expect(a.toRecord()).toEqual({ alpha: 2, mid: 3, zeta: 1 });
    expect(Object.keys(a.toRecord())).toEqual(['alpha', 'mid', 'zeta']);
  });

  it('refuses a taken name with ResourceAlreadyRegistered, unless replace is asked for', () => {
    const resources = new ResourceRegistry().register('postgres', 'first');
    let caught: unknown;
    try {
      resources.register('postgres', 'second');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ResourceAlreadyRegistered);
    expect(caught).toBeInstanceOf(PluginRegistryError);
    expect(isResourceAlreadyRegistered(caught)).toBe(true);
    expect(isResourceError(caught)).toBe(true);
    const error = caught as ResourceAlreadyRegistered;
    expect(error.code).toBe('RESOURCE_ALREADY_REGISTERED');
    expect(error.resourceName).toBe('postgres');
    expect(error.message).toContain('a resource named "postgres" is already registered');
    expect(error.message).toContain('{ replace: true }');
    expect(resources.get('postgres')).toBe('first');
    resources.register('postgres', 'second', { replace: true });
    expect(resources.get('postgres')).toBe('second');
  });

  it('refuses names that are not non-empty strings and undefined values, with typed errors', () => {
    const resources = new ResourceRegistry();
    for (const name of ['', 5, undefined, null]) {
      expect(() => resources.register(name as string, {}), String(name)).toThrow(
        /a resource name is a non-empty string/,
      );
    }
    expect(() => resources.register('x', undefined)).toThrow(/the value is undefined/);
    let caught: unknown;
    try {
      resources.register('x', undefined);
    } catch (error) {
      caught = error;
    }
    expect(isResourceError(caught)).toBe(true);
    expect(resources.register('nothing', null).get('nothing')).toBeNull();
    expect(resources.names()).toEqual(['nothing']);
  });

  it('starts from a record, skipping undefined values', async () => {
    const set = createTestResources();
    try {
      const resources = new ResourceRegistry({ ...set.resources, postgres: undefined });
      expect(resources.names()).toEqual([...Object.keys(set.resources)].sort());
      expect(resources.get('clock')).toBe(set.resources.clock);
      expect(() => new ResourceRegistry(5 as never)).toThrow(/must be an object/);
    } finally {
      await set.close();
    }
  });

  it('is what a plugin container and the required-resource check read', () => {
    const resources = new ResourceRegistry().register('clock', new FrozenClock());
    const declared = { required: ['clock', 'postgres'], optional: [] };
    expect(missingRequired(declared, resources)).toEqual(['postgres']);
    resources.register('postgres', {});
    expect(missingRequired(declared, resources)).toEqual([]);
    const scoped = createResourceContainer(resources, { declared, plugin: 'p' });
    expect(scoped.names()).toEqual(['clock', 'postgres']);
  });
});
