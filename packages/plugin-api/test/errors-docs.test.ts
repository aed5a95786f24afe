// What the docs' error reference (reference/errors.mdx, TypeScript tab)
// promises: an `is<Name>()` guard for every error class, and the fields its
// handling example reads (`AmbiguousPlugin.kind` / `.candidates`,
// `VersionIncompatible.pluginName` / `.requiredCoreRange`), plus the core
// version the range was checked against.
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as api from '../src/index.js';
import {
  AmbiguousPlugin,
  DependencyCycle,
  isAmbiguousPlugin,
  isVersionIncompatible,
  KindUnknown,
  ManifestInvalid,
  MissingDependency,
  PluginLoadError,
  PluginRegistryError,
  TeardownErrors,
  VersionIncompatible,
} from '../src/index.js';

/** Every error class the package exports, by name. */
function errorClasses(): [string, typeof PluginRegistryError][] {
  return Object.entries(api).filter(
    (entry): entry is [string, typeof PluginRegistryError] =>
      typeof entry[1] === 'function' &&
      // `instanceof` matches by brand (instances only): walk the prototypes instead.
      (entry[1] === PluginRegistryError ||
        Object.prototype.isPrototypeOf.call(PluginRegistryError.prototype, entry[1].prototype)),
  );
}

describe('the docs’ error reference', () => {
  it('every error class has an is<Name>() guard matching its code (and its subclasses only)', () => {
    const classes = errorClasses();
    expect(classes.length).toBeGreaterThanOrEqual(25);
    const brand = Symbol.for('dagstack.plugin-system.error-codes');
    for (const [name, ctor] of classes) {
      const guard = (api as Record<string, unknown>)[`is${name}`];
      expect(typeof guard, `is${name}`).toBe('function');
      // An error of that class from another copy of the package: only its brand.
      const foreign = { [brand]: [ctor.code, PluginRegistryError.code] };
      expect((guard as (v: unknown) => boolean)(foreign), `is${name}`).toBe(true);
      const other = { [brand]: ['SOMETHING_ELSE', PluginRegistryError.code] };
      expect((guard as (v: unknown) => boolean)(other), `is${name}`).toBe(
        ctor === PluginRegistryError,
      );
    }
  });

  it('the handling example reads what it prints', () => {
    const printed: string[] = [];
    const setupAll = (error: unknown): void => {
      try {
        throw error;
      } catch (err) {
        // The docs' TypeScript tab, with `console.error` collected.
        if (isAmbiguousPlugin(err)) {
          expectTypeOf(err.kind).toEqualTypeOf<string>();
          expectTypeOf(err.candidates).toEqualTypeOf<readonly string[]>();
          printed.push(`Ambiguous plugins for kind=${err.kind}: ${err.candidates.join(',')}`);
        } else if (isVersionIncompatible(err)) {
          expectTypeOf(err.pluginName).toEqualTypeOf<string | undefined>();
          expectTypeOf(err.requiredCoreRange).toEqualTypeOf<string | undefined>();
          printed.push(`Plugin ${err.pluginName} requires ${err.requiredCoreRange}`);
        } else {
          throw err;
        }
      }
    };
    setupAll(
      new AmbiguousPlugin({
        kind: 'vector_store',
        candidates: ['qdrant', 'pgvector'],
        reason: 'equal_priority',
      }),
    );
    setupAll(
      new VersionIncompatible({
        axis: 'core',
        required: '^0.3',
        actual: '0.2.1',
        plugin: 'qdrant',
        kind: 'vector_store',
      }),
    );
    expect(printed).toEqual([
      'Ambiguous plugins for kind=vector_store: qdrant,pgvector',
      'Plugin qdrant requires ^0.3',
    ]);
    expect(() => setupAll(new KindUnknown('nope', { kind: 'x' }))).toThrow(KindUnknown);
    // The other classes the example imports are exported under those names.
    for (const ctor of [
      ManifestInvalid,
      DependencyCycle,
      MissingDependency,
      PluginLoadError,
      TeardownErrors,
    ]) {
      expect(
        Object.prototype.isPrototypeOf.call(PluginRegistryError.prototype, ctor.prototype),
      ).toBe(true);
    }
  });

  it('VersionIncompatible names the plugin’s range and this core’s version', () => {
    const err = new VersionIncompatible({
      axis: 'core',
      required: '^0.3',
      actual: '0.2.1',
      plugin: 'qdrant',
    });
    expect(err.message).toContain('"^0.3"');
    expect(err.message).toContain('0.2.1');
    expect(err.requiredCoreRange).toBe('^0.3');
    expect(err.installedCoreVersion).toBe('0.2.1');
    expect(err.pluginName).toBe('qdrant');
    // On another axis there is no core range or core version to report.
    const kindApi = new VersionIncompatible({
      axis: 'kind_api',
      required: '2.0.0',
      actual: '1.0.0',
    });
    expect(kindApi.requiredCoreRange).toBeUndefined();
    expect(kindApi.installedCoreVersion).toBeUndefined();
    expect(kindApi.message).toContain('2.0.0');
    expect(kindApi.message).toContain('1.0.0');
  });

  it('AmbiguousPlugin keeps its kind as given (the base class sets it, the subclass only narrows the type)', () => {
    const err = new AmbiguousPlugin({
      kind: 'chunker',
      candidates: ['a', 'b'],
      reason: 'multiple_fallbacks',
    });
    expect(err.kind).toBe('chunker');
    expect(Object.keys(err)).toContain('kind');
    expect(err.toJSON().kind).toBe('chunker');
  });
});
