// loadKindSpec builds, at run time, the same KindSpec the generated module holds.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPluginRegistryError } from '@dagstack/plugin-api';
import { describe, expect, it } from 'vitest';
import {
  HookspecInvalid,
  kindSpecFromHookspec,
  loadHookspecOrThrow,
  loadKindSpec,
} from '../src/index.js';
import { KIND_SPEC as CHUNKER_V1 } from './fixtures/generated/kinds/chunker/v1.js';
import { KIND_SPEC as SAMPLE_V2 } from './fixtures/generated/kinds/sample_kind/v2.js';
import { copyFixtureKind, FIXTURE_KINDS } from './helpers.js';

describe('loadKindSpec', () => {
  it('equals the committed generated KIND_SPEC of the chunker kind', async () => {
    const spec = await loadKindSpec(join(FIXTURE_KINDS, 'chunker/v1.yaml'));
    expect(spec).toEqual(CHUNKER_V1);
    expect(spec.hooks.map((h) => [h.name, h.dispatch])).toEqual(
      CHUNKER_V1.hooks.map((h) => [h.name, h.dispatch]),
    );
  });

  it('equals the generated KIND_SPEC of a kind with cross-file $refs', async () => {
    const loaded = await loadHookspecOrThrow(join(FIXTURE_KINDS, 'sample/v1.yaml'));
    expect(kindSpecFromHookspec(loaded)).toEqual(SAMPLE_V2);
    // Kind-level constraints travel in the KindSpec, for the registry to enforce.
    expect(SAMPLE_V2.constraints).toEqual(loaded.constraints);
    expect(Object.keys(SAMPLE_V2.constraints ?? {})).not.toHaveLength(0);
  });

  it('throws HookspecInvalid naming the file for a broken YAML', async () => {
    const dir = copyFixtureKind('chunker');
    const file = join(dir, 'kinds/chunker/v1.yaml');
    writeFileSync(file, 'kind: chunker\nkind_api_version: not-semver\nhooks: []\n');
    const error = await loadKindSpec(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HookspecInvalid);
    expect(isPluginRegistryError(error)).toBe(true);
    expect(String((error as Error).message)).toContain('v1.yaml');
  });
});
