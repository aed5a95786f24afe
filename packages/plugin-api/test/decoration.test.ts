// ResourceCallDenied: the error a resource decorator refuses a plugin's
// resource call with (ADR-0005 §3; spec decision R18).
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type CandidateFilter,
  isPluginError,
  isResourceCallDenied,
  PluginRegistryError,
  type ResourceCall,
  ResourceCallDenied,
  type ResourceDecorator,
} from '../src/index.js';

describe('ResourceCallDenied', () => {
  it('names the plugin, resource.method, the reason and the limit', () => {
    const error = new ResourceCallDenied({
      plugin: 'fetcher',
      kind: 'tool',
      resource: 'http_client',
      method: 'get',
      reason: "the call's http_calls budget of 2 is spent",
      limit: { http_calls: 2 },
    });
    expect(error.message).toBe(
      'plugin "fetcher" (kind "tool"): call of http_client.get denied: the call\'s http_calls budget of 2 is spent',
    );
    expect(error).toBeInstanceOf(PluginRegistryError);
    expect(isPluginError(error, 'RESOURCE_CALL_DENIED')).toBe(true);
    expect(error.name).toBe('ResourceCallDenied');
    expect(error.toJSON()).toMatchObject({
      code: 'RESOURCE_CALL_DENIED',
      plugin: 'fetcher',
      kind: 'tool',
      details: {
        resource: 'http_client',
        method: 'get',
        reason: "the call's http_calls budget of 2 is spent",
        limit: { http_calls: 2 },
      },
    });
  });

  it('reads a symbol method as its description and leaves out an absent limit', () => {
    const error = new ResourceCallDenied({
      plugin: 'p',
      resource: 'clock',
      method: Symbol('tick'),
      reason: 'not this tenant',
    });
    expect(error.method).toBe('Symbol(tick)');
    expect(error.limit).toBeUndefined();
    expect(error.toJSON().details).toEqual({
      resource: 'clock',
      method: 'Symbol(tick)',
      reason: 'not this tenant',
    });
  });

  it('is recognised across copies of the package by its brand', () => {
    const brand = Symbol.for('dagstack.plugin-system.error-codes');
    expect(
      isResourceCallDenied({ [brand]: ['RESOURCE_CALL_DENIED', 'PLUGIN_REGISTRY_ERROR'] }),
    ).toBe(true);
    expect(isResourceCallDenied(new PluginRegistryError('other'))).toBe(false);
  });

  it('types: a decorator gets a ResourceCall and next; a filter answers candidates or names', () => {
    expectTypeOf<Parameters<ResourceDecorator>[0]>().toEqualTypeOf<ResourceCall>();
    expectTypeOf<ReturnType<CandidateFilter>>().toEqualTypeOf<
      readonly (Parameters<CandidateFilter>[0][number] | string)[]
    >();
  });
});
