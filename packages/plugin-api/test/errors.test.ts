import { describe, expect, it, vi } from 'vitest';
import {
  AmbiguousPlugin,
  BroadcastErrors,
  DependencyCycle,
  FunctionNotFound,
  HookTimeout,
  isAmbiguousPlugin,
  isFunctionNotFound,
  isManifestInvalid,
  isPluginError,
  isPluginInvocationError,
  isPluginRegistryError,
  isToolCallFailed,
  isVersionIncompatible,
  KindUnknown,
  ManifestInvalid,
  PluginInvocationError,
  PluginRegistryError,
  TeardownErrors,
  ToolCallFailed,
  VersionIncompatible,
} from '../src/index.js';

const problem = (pointer: string, message: string) => ({
  pointer,
  message,
  source: 'plugins/echo/dagstack.toml',
  rule: 'type',
});

describe('error hierarchy', () => {
  it('gives each class a stable code, its own name and the base class', () => {
    const err = new ManifestInvalid({
      path: 'plugins/echo/dagstack.toml',
      problems: [problem('/priority', 'must be an integer')],
    });
    expect(err.code).toBe('MANIFEST_INVALID');
    expect(err.name).toBe('ManifestInvalid');
    expect(err).toBeInstanceOf(ManifestInvalid);
    expect(err).toBeInstanceOf(PluginRegistryError);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(AmbiguousPlugin);
    expect(isManifestInvalid(err)).toBe(true);
    expect(isPluginRegistryError(err)).toBe(true);
    expect(isAmbiguousPlugin(err)).toBe(false);
  });

  it('names the file, the field and what to do in the message', () => {
    const err = new ManifestInvalid({
      path: 'plugins/echo/dagstack.toml',
      plugin: 'echo',
      problems: [
        problem('/priority', 'must be an integer'),
        problem('/runtime', 'unknown runtime'),
      ],
    });
    expect(err.message).toContain('plugins/echo/dagstack.toml');
    expect(err.message).toContain('plugin "echo"');
    expect(err.message).toContain('2 problems');
    expect(err.message).toContain('/priority: must be an integer');
    expect(err.message).toContain('/runtime: unknown runtime');
    expect(err.message).toContain('Hint:');
    expect(err.problems).toHaveLength(2);
    expect(Object.isFrozen(err.problems)).toBe(true);
  });

  it('truncates long problem lists in the message but keeps them all in the field', () => {
    const problems = Array.from({ length: 14 }, (_, i) => problem(`/f${i}`, 'bad'));
    const err = new ManifestInvalid({ problems });
    expect(err.message).toContain('and 4 more');
    expect(err.message).not.toContain('/f13');
    expect(err.problems).toHaveLength(14);
  });

  it('keeps the native cause', () => {
    const cause = new TypeError('boom');
    const err = new KindUnknown('no plugins of this kind', { kind: 'llm', cause });
    expect(err.cause).toBe(cause);
    expect(err.toJSON().cause).toEqual({ name: 'TypeError', message: 'boom' });
  });

  it('serialises structured fields to JSON', () => {
    const err = new VersionIncompatible({
      plugin: 'qdrant',
      kind: 'vector_store',
      path: '/p/dagstack.toml',
      axis: 'core',
      required: '>=2.0',
      actual: '0.1.0',
    });
    const json = JSON.parse(JSON.stringify(err));
    expect(json).toMatchObject({
      name: 'VersionIncompatible',
      code: 'VERSION_INCOMPATIBLE',
      plugin: 'qdrant',
      kind: 'vector_store',
      path: '/p/dagstack.toml',
      details: { axis: 'core', required: '>=2.0', actual: '0.1.0' },
    });
    expect(err.requiredCoreRange).toBe('>=2.0');
    expect(err.pluginName).toBe('qdrant');
  });

  it('tells the user which environment variable settles a singleton tie', () => {
    const err = new AmbiguousPlugin({
      kind: 'vector-store',
      candidates: ['qdrant', 'pgvector'],
      reason: 'equal_priority',
    });
    expect(err.message).toContain('DAGSTACK_ACTIVE_VECTOR_STORE');
    expect(err.candidates).toEqual(['qdrant', 'pgvector']);
  });

  it('prints a dependency cycle closed', () => {
    const err = new DependencyCycle({ cycle: ['a', 'b', 'a'] });
    expect(err.message).toContain('a -> b -> a');
  });

  it('aggregates per-plugin failures', () => {
    const err = new BroadcastErrors({
      hook: 'get_schema',
      errors: [
        { plugin: 'one', error: new Error('first') },
        { plugin: 'two', error: 'second' },
      ],
    });
    expect(err.message).toContain('one: first');
    expect(err.message).toContain('two: second');
    expect(err.toJSON().details).toEqual({
      hook: 'get_schema',
      errors: [
        { plugin: 'one', error: { name: 'Error', message: 'first' } },
        { plugin: 'two', error: { name: 'string', message: 'second' } },
      ],
    });
    const nested = new TeardownErrors({
      errors: [
        { plugin: 'x', error: new HookTimeout({ plugin: 'x', hook: 'teardown', timeoutMs: 15 }) },
      ],
    });
    const serialised = nested.toJSON().details as { errors: { error: { code: string } }[] };
    expect(serialised.errors[0]?.error.code).toBe('HOOK_TIMEOUT');
  });

  it('carries the remote error identity of a failed invocation', () => {
    const err = new PluginInvocationError('quota exceeded', {
      plugin: 'search',
      hook: 'execute',
      remoteName: 'QuotaExceeded',
      remoteCode: 'QUOTA',
    });
    expect(err.message).toContain('hook "execute" failed: quota exceeded');
    expect(err.remoteName).toBe('QuotaExceeded');
  });

  it('user subclasses inherit the codes of the classes they extend', () => {
    class MyLoadProblem extends KindUnknown {}
    const err = new MyLoadProblem('x', { kind: 'k' });
    expect(err.code).toBe('KIND_UNKNOWN');
    expect(err.name).toBe('MyLoadProblem');
    expect(err).toBeInstanceOf(KindUnknown);
    expect(isPluginError(err, 'PLUGIN_REGISTRY_ERROR')).toBe(true);
  });

  it('rejects look-alikes that are not of the hierarchy', () => {
    const fake = Object.assign(new Error('x'), { code: 'MANIFEST_INVALID' });
    expect(isManifestInvalid(fake)).toBe(false);
    expect(fake instanceof ManifestInvalid).toBe(false);
    expect(isPluginError(null)).toBe(false);
    expect(isPluginError('MANIFEST_INVALID')).toBe(false);
  });
});

describe('guards across duplicated copies of the package', () => {
  it('recognise errors made by another copy of the module', async () => {
    // Resetting the module registry makes the next import evaluate a second,
    // independent copy of errors.ts and of every module under src/errors/.
    vi.resetModules();
    const copy = await import('../src/errors.js');
    expect(copy.ManifestInvalid).not.toBe(ManifestInvalid);
    const foreign = new copy.VersionIncompatible({
      axis: 'core',
      required: '>=9',
      actual: '0.1.0',
    });
    expect(isVersionIncompatible(foreign)).toBe(true);
    expect(foreign instanceof VersionIncompatible).toBe(true);
    expect(foreign instanceof PluginRegistryError).toBe(true);
    expect(foreign instanceof ManifestInvalid).toBe(false);
    const local = new ManifestInvalid({ problems: [] });
    expect(copy.isManifestInvalid(local)).toBe(true);
    expect(local instanceof copy.PluginRegistryError).toBe(true);
  });
});

describe('function-routed calls', () => {
  it('FunctionNotFound lists what exists and suggests a close name only', () => {
    const near = new FunctionNotFound({
      kind: 'tool',
      hook: 'execute',
      function: 'read_grph',
      available: ['write_file', 'read_graph', 'read_file', 'read_graph'],
    });
    expect(isFunctionNotFound(near)).toBe(true);
    expect(near.code).toBe('FUNCTION_NOT_FOUND');
    expect(near.available).toEqual(['read_file', 'read_graph', 'write_file']);
    expect(near.suggestion).toBe('read_graph');
    expect(near.message).toContain('did you mean "read_graph"?');
    expect(near.toJSON().details).toMatchObject({
      function: 'read_grph',
      suggestion: 'read_graph',
    });
    const far = new FunctionNotFound({
      kind: 'tool',
      hook: 'execute',
      function: 'x',
      plugin: 'files',
      available: ['read_graph'],
    });
    expect(far.suggestion).toBeUndefined();
    expect(far.message).toMatch(
      /plugin "files".*no function "x" in this plugin \(functions: read_graph\)/,
    );
    const none = new FunctionNotFound({
      kind: 'tool',
      hook: 'execute',
      function: 'x',
      available: [],
    });
    expect(none.message).toContain('none are listed');
  });

  it('ToolCallFailed carries the plugin message and the output, and is a PluginInvocationError', () => {
    const output = { result: null, is_error: true, error_message: '  disk full ' };
    const error = new ToolCallFailed({
      plugin: 'files',
      kind: 'tool',
      hook: 'execute',
      function: 'write_file',
      output,
    });
    expect(isToolCallFailed(error)).toBe(true);
    expect(isPluginInvocationError(error)).toBe(true);
    expect(error).toBeInstanceOf(PluginInvocationError);
    expect(error.code).toBe('TOOL_CALL_FAILED');
    expect(error.output).toBe(output);
    expect(error.message).toContain('function "write_file" reported an error: disk full');
    expect(error.toJSON().details).toMatchObject({
      function: 'write_file',
      remoteName: 'ToolError',
    });
    const silent = new ToolCallFailed({
      plugin: 'files',
      kind: 'tool',
      hook: 'execute',
      function: 'f',
      output: { result: null, is_error: true },
    });
    expect(silent.message).toContain('without a message');
  });

  it('AmbiguousPlugin same_function names the function and the way out', () => {
    const error = new AmbiguousPlugin({
      kind: 'tool',
      reason: 'same_function',
      function: 'search',
      candidates: ['alpha', 'beta'],
    });
    expect(error.message).toMatch(/"alpha", "beta" all offer the function "search"/);
    expect(error.message).toContain('DAGSTACK_ACTIVE_TOOL');
    expect(error.toJSON().details).toMatchObject({ function: 'search', reason: 'same_function' });
  });
});
