// The in-process runtime: entry point forms, export kinds, fresh modules, and
// the rule that plugin code stays inside its folder.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HookCall, PluginContext, PluginManifest } from '@dagstack/plugin-api';
import { isPluginLoadError } from '@dagstack/plugin-api';
import { assertManifestValid } from '@dagstack/plugin-manifest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createInProcessHandle,
  createInProcessRuntime,
  instantiateEntryPoint,
} from '../src/in-process.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dagstack-inproc-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const manifest = (entry_point: string, name = 'p'): PluginManifest =>
  assertManifestValid(
    { name, kind: 'tool', core_version: '>=0.1', runtime: 'in_process', entry_point },
    { source: join(dir, 'dagstack.toml') },
  );

const call: HookCall = {
  kind: 'tool',
  name: 'p',
  hook: 'execute',
  metadata: {},
  signal: new AbortController().signal,
};

/** Run a command to completion (a real child process, reaped when it exits). */
function run(command: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr }));
      else resolve({ stdout, stderr });
    });
  });
}

async function files(entries: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(entries)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

describe('entry points', () => {
  it.each([
    ['plugin:Echo', { 'plugin.js': 'export class Echo { execute(i) { return i.msg + "!"; } }' }],
    ['plugin:Echo', { 'plugin.mjs': 'export class Echo { execute(i) { return i.msg + "!"; } }' }],
    [
      'plugin:Echo',
      {
        'plugin.cjs':
          'class Echo { execute(i) { return i.msg + "!"; } } module.exports = { Echo };',
      },
    ],
    [
      'lib/main:Echo',
      { 'lib/main.js': 'export class Echo { execute(i) { return i.msg + "!"; } }' },
    ],
    [
      './dist/index.js#Echo',
      { 'dist/index.js': 'export class Echo { execute(i) { return i.msg + "!"; } }' },
    ],
    [
      './dist/index.js',
      { 'dist/index.js': 'export default class { execute(i) { return i.msg + "!"; } }' },
    ],
    [
      'plugin:make',
      { 'plugin.js': 'export async function make() { return { execute: (i) => i.msg + "!" }; }' },
    ],
    [
      'plugin:instance',
      { 'plugin.js': 'export const instance = { execute(i) { return i.msg + "!"; } };' },
    ],
    [
      'echo-pkg#Echo',
      {
        'node_modules/echo-pkg/package.json': JSON.stringify({
          name: 'echo-pkg',
          type: 'module',
          exports: { '.': { import: './main.js' } },
        }),
        'node_modules/echo-pkg/main.js': 'export class Echo { execute(i) { return i.msg + "!"; } }',
      },
    ],
  ])('%s', async (entry, layout) => {
    await files(layout as Record<string, string>);
    const handle = await createInProcessRuntime().load(manifest(entry), { dir, logger: console });
    expect([...handle.hooks]).toEqual(['execute']);
    expect(await handle.invoke('execute', { msg: 'hi' }, call)).toBe('hi!');
    expect(await handle.teardown()).toBe(true);
    expect(await handle.health()).toEqual({ status: 'ok' });
  });

  it('gives each load a fresh module, so two plugins never share state and reload sees new code', async () => {
    await files({
      'plugin.js': 'let count = 0; export class C { next() { count += 1; return count; } }',
    });
    const first = (await instantiateEntryPoint(manifest('plugin:C', 'a'), dir)) as {
      next(): number;
    };
    const second = (await instantiateEntryPoint(manifest('plugin:C', 'b'), dir)) as {
      next(): number;
    };
    first.next();
    expect(first.next()).toBe(2);
    expect(second.next()).toBe(1);
    await writeFile(join(dir, 'plugin.js'), 'export class C { next() { return "v2"; } }');
    const reloaded = (await instantiateEntryPoint(manifest('plugin:C', 'a'), dir)) as {
      next(): unknown;
    };
    expect(reloaded.next()).toBe('v2');
  });

  it('names the missing export and lists the ones that exist', async () => {
    await files({ 'plugin.js': 'export class Right {} export const other = 1;' });
    const error = await instantiateEntryPoint(manifest('plugin:Wrong'), dir).catch(
      (e: unknown) => e,
    );
    expect(isPluginLoadError(error)).toBe(true);
    expect((error as Error).message).toContain('no export "Wrong"');
    expect((error as Error).message).toContain('Right, other');
  });

  it('reports a missing module with the files it tried, and says when only TypeScript exists', async () => {
    await files({ 'plugin.ts': 'export class P {}' });
    const error = await instantiateEntryPoint(manifest('plugin:P'), dir).catch((e: unknown) => e);
    expect(isPluginLoadError(error)).toBe(true);
    expect((error as Error).message).toContain('plugin.js, plugin.mjs, plugin.cjs');
    expect((error as Error).message).toContain('cannot load TypeScript');
  });

  it('refuses an entry module that resolves outside the plugin folder through a link', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'dagstack-outside-'));
    try {
      await writeFile(join(outside, 'evil.js'), 'export class P {}');
      await symlink(join(outside, 'evil.js'), join(dir, 'plugin.js'));
      const error = await instantiateEntryPoint(manifest('plugin:P'), dir).catch((e: unknown) => e);
      expect(isPluginLoadError(error)).toBe(true);
      expect((error as Error).message).toContain('outside the plugin folder');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('wraps import errors and throwing constructors as PluginLoadError with the cause', async () => {
    await files({
      'plugin.js': 'throw new Error("module blew up");',
      'ctor.js': 'export class P { constructor() { throw new Error("ctor blew up"); } }',
    });
    const imported = await instantiateEntryPoint(manifest('plugin:P'), dir).catch(
      (e: unknown) => e,
    );
    expect(isPluginLoadError(imported)).toBe(true);
    expect(((imported as Error).cause as Error).message).toBe('module blew up');
    const constructed = await instantiateEntryPoint(manifest('ctor:P'), dir).catch(
      (e: unknown) => e,
    );
    expect((constructed as Error).message).toContain('ctor blew up');
  });

  it('refuses an export that is neither class, factory nor object', async () => {
    await files({ 'plugin.js': 'export const P = 42;' });
    const error = await instantiateEntryPoint(manifest('plugin:P'), dir).catch((e: unknown) => e);
    expect((error as Error).message).toContain('is number');
  });
});

describe('execution_model', () => {
  const cpuPlugin = `
    import { threadId } from 'node:worker_threads';
    export class Cpu {
      setup(ctx) { this.factor = ctx.config.factor; ctx.logger.info('set up inside', { threadId }); }
      where() { return { pid: process.pid, threadId }; }
      multiply(input) { return input.n * this.factor; }
      fail() { const e = new TypeError('bad input'); e.code = 'E_BAD'; throw e; }
      async slow(_input, call) {
        await new Promise((resolve, reject) => {
          const t = setTimeout(resolve, 10_000);
          call.signal.addEventListener('abort', () => { clearTimeout(t); reject(new Error('aborted')); });
        });
      }
      crash() { process.exit(3); }
    }`;

  const cpuManifest = (execution_model: string): PluginManifest =>
    assertManifestValid(
      {
        name: 'cpu',
        kind: 'tool',
        core_version: '>=0.1',
        runtime: 'in_process',
        entry_point: 'plugin:Cpu',
        execution_model,
      },
      { source: join(dir, 'dagstack.toml') },
    );

  const ctx = () =>
    ({
      config: { factor: 3 },
      metadata: { tenant_id: 't' },
      logger: console,
    }) as unknown as PluginContext;

  it.each(['thread_cpu_bound', 'process_cpu_bound'])(
    '%s runs the plugin outside the caller',
    async (model) => {
      await files({ 'plugin.js': cpuPlugin });
      const logs: unknown[] = [];
      // Log records from inside go to the plugin's logger given at load.
      const logger = {
        debug() {},
        info: (msg: string, f: unknown) => logs.push([msg, f]),
        warn() {},
        error() {},
      };
      const handle = await createInProcessRuntime().load(cpuManifest(model), { dir, logger });
      try {
        expect([...handle.hooks].sort()).toEqual(['crash', 'fail', 'multiply', 'slow', 'where']);
        await handle.setup(ctx());
        expect(logs).toEqual([['set up inside', { threadId: expect.any(Number) }]]);
        const where = (await handle.invoke('where', {}, call)) as { pid: number; threadId: number };
        if (model === 'thread_cpu_bound') {
          expect(where.pid).toBe(process.pid);
          expect(where.threadId).not.toBe(0);
        } else {
          expect(where.pid).not.toBe(process.pid);
        }
        expect(await handle.invoke('multiply', { n: 14 }, call)).toBe(42);
        const failed = await handle.invoke('fail', {}, call).catch((e: unknown) => e);
        expect(failed).toMatchObject({
          code: 'PLUGIN_INVOCATION_ERROR',
          remoteName: 'TypeError',
          remoteCode: 'E_BAD',
        });
        const controller = new AbortController();
        const pending = handle.invoke('slow', {}, { ...call, signal: controller.signal });
        controller.abort();
        await expect(pending).rejects.toMatchObject({ code: 'HOOK_CANCELLED' });
        // A crash rejects at once and every later call fails typed.
        const crashed = await handle.invoke('crash', {}, call).catch((e: unknown) => e);
        expect(crashed).toMatchObject({ code: 'PLUGIN_UNAVAILABLE' });
        await expect(handle.invoke('multiply', { n: 1 }, call)).rejects.toMatchObject({
          code: 'PLUGIN_UNAVAILABLE',
        });
      } finally {
        await handle.teardown().catch(() => undefined);
      }
    },
  );

  it('tears the worker down and reports a missing export typed', async () => {
    await files({ 'plugin.js': cpuPlugin });
    const handle = await createInProcessRuntime().load(cpuManifest('process_cpu_bound'), {
      dir,
      logger: console,
    });
    await handle.setup(ctx());
    expect(await handle.teardown()).toBe(true);
    await expect(handle.invoke('multiply', { n: 1 }, call)).rejects.toMatchObject({
      code: 'PLUGIN_UNAVAILABLE',
    });
    const wrong = assertManifestValid(
      {
        name: 'cpu',
        kind: 'tool',
        core_version: '>=0.1',
        runtime: 'in_process',
        entry_point: 'plugin:Nope',
        execution_model: 'thread_cpu_bound',
      },
      { source: join(dir, 'dagstack.toml') },
    );
    const error = await createInProcessRuntime()
      .load(wrong, { dir, logger: console })
      .catch((e: unknown) => e);
    expect(isPluginLoadError(error)).toBe(true);
    expect((error as Error).message).toContain('no export "Nope"');
  });
});

describe('the in-process handle (one compiled invoke per plugin)', () => {
  const inline = (name = 'p'): PluginManifest =>
    assertManifestValid(
      { name, kind: 'tool', core_version: '>=0.1', runtime: 'in_process', entry_point: 'plugin:X' },
      { source: join(dir, 'dagstack.toml') },
    );

  it('calls the method found at call time, so a method replaced later (a spy) is the one called', async () => {
    const plugin: Record<string, (input: unknown) => unknown> = {
      execute: (input) => `first ${String(input)}`,
    };
    const handle = createInProcessHandle(inline(), plugin);
    // The compiled function (the fallback closure is named "shared").
    expect(handle.invoke.name).toBe('invoke');
    expect(await handle.invoke('execute', 'a', call)).toBe('first a');
    plugin.execute = (input) => `second ${String(input)}`;
    expect(await handle.invoke('execute', 'b', call)).toBe('second b');
  });

  it('answers snake_case hooks with camelCase methods, passes this, input and call', async () => {
    class Tools {
      prefix = 'tool:';
      listTools(input: unknown, c: HookCall): string {
        return `${this.prefix}${String(input)}@${c.hook}`;
      }
    }
    const handle = createInProcessHandle(inline(), new Tools());
    expect([...handle.hooks].sort()).toEqual(['listTools', 'list_tools']);
    expect(await handle.invoke('list_tools', 'x', call)).toBe('tool:x@execute');
    expect(await handle.invoke('listTools', 'y', call)).toBe('tool:y@execute');
  });

  it('turns a synchronous throw into a rejection and a missing hook into PluginLoadError', async () => {
    const handle = createInProcessHandle(inline(), {
      execute: () => {
        throw new Error('sync');
      },
    });
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = handle.invoke('execute', 1, call);
    }).not.toThrow();
    await expect(pending).rejects.toThrow('sync');
    const missing = await handle.invoke('nope', 1, call).catch((e: unknown) => e);
    expect(isPluginLoadError(missing)).toBe(true);
    expect((missing as Error).message).toContain('has no hook "nope"');
  });

  it('method names that look like code stay names: nothing is run but the method', async () => {
    const evil = `a"]; globalThis.__dagstackInjected = true; t["b`;
    const plugin = {
      [evil]: (input: unknown) => `evil ${String(input)}`,
      "it's\n\u2028ok": () => 'ok',
    };
    const handle = createInProcessHandle(inline(), plugin);
    expect(await handle.invoke(evil, 1, call)).toBe('evil 1');
    expect(await handle.invoke("it's\n\u2028ok", 1, call)).toBe('ok');
    expect((globalThis as Record<string, unknown>).__dagstackInjected).toBeUndefined();
  });

  it('works where code generation from strings is disallowed (a real Node process with the flag)', async () => {
    const registryEntry = new URL('../src/index.ts', import.meta.url).pathname;
    const builtEntry = join(registryEntry, '..', '..', 'dist', 'index.js');
    const script = `
      import { createInProcessHandle } from ${JSON.stringify(builtEntry)};
      let refused = false;
      try { new Function('return 1'); } catch { refused = true; }
      const handle = createInProcessHandle(
        { name: 'p', kind: 'tool', source: 'inline' },
        { listTools: (input) => 'listed ' + input },
      );
      const out = await handle.invoke('list_tools', 'x', { kind: 'tool', name: 'p', hook: 'list_tools', metadata: {} });
      process.stdout.write(JSON.stringify({ refused, out, invoke: handle.invoke.name }));
    `;
    const file = join(dir, 'no-codegen.mjs');
    await writeFile(file, script);
    const { stdout } = await run(process.execPath, [
      '--disallow-code-generation-from-strings',
      file,
    ]);
    expect(JSON.parse(stdout)).toEqual({ refused: true, out: 'listed x', invoke: 'shared' });
  });
});
