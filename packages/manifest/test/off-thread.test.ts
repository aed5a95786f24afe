// Large manifest files are parsed and validated on the validation thread
// (the built dist/worker.js): the answer is the one the calling thread would
// give, frozen the same way; a thread that hangs, dies or is missing gives a
// problem or the same answer, never a hang or a crash of the host.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifest, parseManifest } from '../src/index.js';
import { OFF_THREAD_CHARS, ValidationThread } from '../src/off-thread.js';

const dist = fileURLToPath(new URL('../dist/worker.js', import.meta.url));

const TOML = `[plugin]
schema_version = "1"
name = "big"
kind = "tool"
kind_api_version = "1"
core_version = ">=0.1.0,<1.0.0"
runtime = "in_process"
entry_point = "plugin:P"
`;

/** A valid manifest over the threshold: a large metadata table. */
function bigValid(): string {
  const lines = [TOML, '[plugin.metadata]'];
  for (let i = 0; lines.join('\n').length < OFF_THREAD_CHARS * 2; i += 1) {
    lines.push(`key${i} = "value ${i}"`);
  }
  return `${lines.join('\n')}\n`;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dagstack-off-thread-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the built validation thread', () => {
  it('gives the answer of the calling thread, deep-frozen', async () => {
    const text = bigValid();
    const file = join(dir, 'dagstack.toml');
    await writeFile(file, text);
    // Tests run the sources; the thread runs the last build of them.
    expect(existsSync(dist), `${dist} is missing: build @dagstack/plugin-manifest first`).toBe(
      true,
    );
    const thread = new ValidationThread();
    try {
      const outcome = await thread.run(text, 'toml', file);
      expect(thread.offThread).toBe(true);
      const here = parseManifest(text, 'toml', file);
      expect(outcome).toEqual({ kind: 'result', result: here });
      if (outcome.kind === 'result' && outcome.result.ok) {
        expect(Object.isFrozen(outcome.result.manifest)).toBe(true);
        expect(Object.isFrozen(outcome.result.manifest.metadata)).toBe(true);
      }
    } finally {
      await thread.close();
    }
    // loadManifest takes the same way for a file this large.
    const loaded = await loadManifest(file);
    expect(loaded).toEqual(parseManifest(text, 'toml', file));
  });

  it('answers a package.json reference with the reference, not a result', async () => {
    const thread = new ValidationThread();
    try {
      const pkg = JSON.stringify({
        name: 'p',
        version: '1.2.3',
        description: 'd'.repeat(OFF_THREAD_CHARS),
        dagstack: { manifest: './dagstack-plugin.toml' },
      });
      expect(await thread.run(pkg, 'package.json', join(dir, 'package.json'))).toMatchObject({
        kind: 'reference',
        reference: './dagstack-plugin.toml',
        defaults: { version: '1.2.3' },
      });
    } finally {
      await thread.close();
    }
  });
});

describe('when the thread cannot help', () => {
  const script = async (name: string, body: string): Promise<URL> => {
    const path = join(dir, name);
    await writeFile(path, `import { parentPort } from 'node:worker_threads';\n${body}\n`);
    return pathToFileURL(path);
  };

  it('reads on the calling thread when the script is missing', async () => {
    const thread = new ValidationThread({ url: pathToFileURL(join(dir, 'absent.js')) });
    const outcome = await thread.run(TOML, 'toml', 'inline');
    expect(thread.offThread).toBe(false);
    expect(outcome).toEqual({ kind: 'result', result: parseManifest(TOML, 'toml') });
  });

  it('reads on the calling thread when the script speaks another protocol', async () => {
    const url = await script('stale.mjs', 'parentPort.postMessage({ ready: 0 });');
    const thread = new ValidationThread({ url });
    const outcome = await thread.run(TOML, 'toml', 'inline');
    expect(thread.offThread).toBe(false);
    expect(outcome).toEqual({ kind: 'result', result: parseManifest(TOML, 'toml') });
  });

  it('stops a file that takes too long, with a problem, and serves the next file', async () => {
    const url = await script(
      'hang.mjs',
      'parentPort.postMessage({ ready: 1 });\nparentPort.on("message", () => { for (;;) {} });',
    );
    const thread = new ValidationThread({ url, timeoutMs: 300 });
    try {
      const [first, second] = await Promise.all([
        thread.run(TOML, 'toml', '/plugins/a/dagstack.toml'),
        thread.run(TOML, 'toml', '/plugins/b/dagstack.toml'),
      ]);
      for (const [outcome, source] of [
        [first, '/plugins/a/dagstack.toml'],
        [second, '/plugins/b/dagstack.toml'],
      ] as const) {
        expect(outcome).toMatchObject({
          kind: 'result',
          result: { ok: false, source, problems: [{ pointer: '', rule: 'limit', source }] },
        });
        if (outcome.kind === 'result' && !outcome.result.ok) {
          expect(outcome.result.problems[0]?.message).toContain('stopped after 0.3 s');
        }
      }
    } finally {
      await thread.close();
    }
  });

  it('reports a thread that dies during a file', async () => {
    const url = await script(
      'dies.mjs',
      'parentPort.postMessage({ ready: 1 });\nparentPort.on("message", () => process.exit(3));',
    );
    const thread = new ValidationThread({ url });
    try {
      const outcome = await thread.run(TOML, 'toml', 'x.toml');
      expect(outcome).toMatchObject({
        kind: 'result',
        result: { ok: false, problems: [{ rule: 'limit', source: 'x.toml' }] },
      });
      if (outcome.kind === 'result' && !outcome.result.ok) {
        expect(outcome.result.problems[0]?.message).toContain('exit code 3');
      }
    } finally {
      await thread.close();
    }
  });
});
