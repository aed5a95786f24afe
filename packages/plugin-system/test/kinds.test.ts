import * as PluginApi from '@dagstack/plugin-api';
import * as Discovery from '@dagstack/plugin-discovery';
import * as Dispatch from '@dagstack/plugin-dispatch';
import * as Manifest from '@dagstack/plugin-manifest';
import * as Registry from '@dagstack/plugin-registry';
import * as Resources from '@dagstack/plugin-resources';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import * as Root from '../src/index.js';
import { OrchestratorV1, STANDARD_KINDS, ToolV1 } from '../src/index.js';

function ajv(): Ajv2020 {
  const instance = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormatsModule.default(instance);
  return instance;
}

describe('the tool kind', () => {
  it('dispatches execute as singleton and get_schema as broadcast_collect', () => {
    expect(ToolV1.KIND_NAME).toBe('tool');
    expect(ToolV1.KIND_API_VERSION).toBe('1.0.0');
    expect(ToolV1.HOOK_DISPATCH).toEqual({ get_schema: 'broadcast_collect', execute: 'singleton' });
    expect(ToolV1.HOOK_MCP_EXPOSED).toEqual({ get_schema: false, execute: true });
    const byName = Object.fromEntries(ToolV1.KIND_SPEC.hooks.map((h) => [h.name, h]));
    expect(byName.execute).toMatchObject({
      dispatch: 'singleton',
      mcp_exposed: true,
      mcp_tool_name_template: '{kind}.{plugin}.{hook}.{function}',
    });
    expect(byName.get_schema).toMatchObject({
      dispatch: 'broadcast_collect',
      mcp_exposed: false,
      error_policy: 'fail_fast',
    });
  });

  it('embeds schemas ajv compiles in strict mode and that enforce the contract', () => {
    const [getSchema, execute] = ToolV1.KIND_SPEC.hooks;
    const a = ajv();
    const input = a.compile(execute?.input_schema as object);
    expect(input({ function: 'add', args: { a: 1 } })).toBe(true);
    expect(input({ function: 'add' })).toBe(false);
    expect(input({ function: 'add', args: {}, extra: 1 })).toBe(false);
    const output = a.compile(execute?.output_schema as object);
    expect(output({ result: null })).toBe(true);
    expect(output({ is_error: true })).toBe(false);
    const schemas = a.compile(getSchema?.output_schema as object);
    expect(schemas([{ name: 'add', description: 'Adds.', parameters: { type: 'object' } }])).toBe(
      true,
    );
    expect(schemas([{ name: 'Add', description: 'Adds.', parameters: {} }])).toBe(false);
    const empty = a.compile(getSchema?.input_schema as object);
    expect(empty({})).toBe(true);
    expect(empty({ x: 1 })).toBe(false);
  });
});

describe('the orchestrator kind', () => {
  it('has enqueue, status and backfill, all singleton, in-process only', () => {
    expect(OrchestratorV1.HOOK_NAMES).toEqual(['enqueue', 'status', 'backfill']);
    expect(Object.values(OrchestratorV1.HOOK_DISPATCH)).toEqual([
      'singleton',
      'singleton',
      'singleton',
    ]);
    expect(Object.values(OrchestratorV1.HOOK_MCP_EXPOSED)).toEqual([false, false, false]);
    expect(OrchestratorV1.KIND_CONSTRAINTS).toEqual({
      in_process_only: true,
      singleton_per_runtime: true,
    });
  });

  it('bundles the shared definitions into each payload schema', () => {
    const a = ajv();
    const [enqueue, status, backfill] = OrchestratorV1.KIND_SPEC.hooks;
    const statusOut = a.compile(status?.output_schema as object);
    expect(statusOut({ unit_id: 'u', state: 'running', started_at: '2026-01-02T03:04:05Z' })).toBe(
      true,
    );
    expect(statusOut({ unit_id: 'u', state: 'paused' })).toBe(false);
    expect(statusOut({ unit_id: 'u', state: 'running', started_at: 'yesterday' })).toBe(false);
    const backfillIn = a.compile(backfill?.input_schema as object);
    expect(backfillIn({ states: ['failed', 'expired'] })).toBe(true);
    expect(backfillIn({ states: ['running'] })).toBe(false);
    const backfillOut = a.compile(backfill?.output_schema as object);
    expect(backfillOut({ enqueued_count: -1 })).toBe(false);
    const enqueueIn = a.compile(enqueue?.input_schema as object);
    expect(enqueueIn({ plugin_name: 'p', args: {}, idempotency_key: 'k' })).toBe(true);
    expect(enqueueIn({ plugin_name: 'p' })).toBe(false);
  });
});

describe('the root entry', () => {
  it('re-exports every runtime export of the six packages, as the same objects', () => {
    const root = Root as Record<string, unknown>;
    for (const pkg of [PluginApi, Manifest, Discovery, Dispatch, Resources, Registry]) {
      for (const [name, value] of Object.entries(pkg)) {
        expect(name in root, name).toBe(true);
        expect(root[name], name).toBe(value);
      }
    }
    expect(Root.PluginRegistry).toBe(Registry.PluginRegistry);
    expect(Root.isPluginError).toBe(PluginApi.isPluginError);
  });

  it('lists the standard kinds', () => {
    expect(STANDARD_KINDS.map((k) => k.kind)).toEqual(['tool', 'orchestrator']);
  });
});
