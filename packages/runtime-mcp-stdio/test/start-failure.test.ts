// What a start failure quotes from the child's stderr: the line naming the
// cause survives the stack trace and the `Node.js v20...` line after it, and
// the quote stays bounded however much the child writes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPluginLoadError, type Logger } from '@dagstack/plugin-api';
import { afterEach, describe, expect, it } from 'vitest';
import { StderrLines } from '../src/stderr-lines.js';
import { closeAll, KINDS, makeRegistry, stdioManifest } from './helpers.js';

const folders: string[] = [];
afterEach(async () => {
  await closeAll();
  for (const dir of folders.splice(0)) await rm(dir, { recursive: true, force: true });
});

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

async function startError(script: readonly string[]) {
  const dir = await mkdtemp(join(tmpdir(), 'dagstack-stdio-start-'));
  folders.push(dir);
  const { registry } = makeRegistry();
  registry.registerKind(KINDS.faulty);
  registry.registerManifest(stdioManifest('broken', 'faulty', script), undefined, { dir });
  const report = await registry.setupAll();
  const error = report.unavailable[0]?.error;
  expect(isPluginLoadError(error)).toBe(true);
  return { error, dir };
}

describe('start failure of a child process', () => {
  it('a missing entry file: the hint names the module Node could not find', async () => {
    const { error, dir } = await startError([process.execPath, 'server-that-is-not-there.js']);
    const hint = error?.hint ?? '';
    expect(hint).toMatch(/Error: Cannot find module '.*server-that-is-not-there\.js'/);
    expect(hint).toContain(dir.split('/').pop());
    // The last lines are still there: the quote has both ends of the output.
    expect(hint).toMatch(/Node\.js v\d+/);
    expect(hint.split('\n').length).toBeLessThanOrEqual(20);
  });

  it('a child that writes a lot before and after its error: the cause is kept, the quote bounded', async () => {
    // writeSync: process.exit() would drop console.error output still queued for the pipe.
    const script = [
      "const say = (line) => require('node:fs').writeSync(2, line + '\\n');",
      'for (let i = 0; i < 500; i += 1) say("noise line " + i + " " + "x".repeat(200));',
      'say("Error: ENOENT: no such file or directory, open \'/etc/plugin/config.yaml\'");',
      'for (let i = 0; i < 500; i += 1) say("trailing line " + i);',
      'process.exit(4);',
    ].join('\n');
    const { error } = await startError([process.execPath, '-e', script]);
    const hint = error?.hint ?? '';
    expect(hint).toContain(
      "Error: ENOENT: no such file or directory, open '/etc/plugin/config.yaml'",
    );
    expect(hint).toContain('trailing line 499');
    expect(hint).not.toContain('noise line 0 ');
    expect(hint.split('\n').length).toBeLessThanOrEqual(20);
    expect(Buffer.byteLength(hint)).toBeLessThanOrEqual(4 * 1024 + 200);
  });
});

describe('StderrLines.tail', () => {
  it('keeps the first cause lines and the last lines, with … for what was left out', () => {
    const lines = new StderrLines(silent);
    lines.push('node:internal/modules/cjs/loader:1228\n  throw err;\n  ^\n\n');
    lines.push("Error: Cannot find module '/x/y.js'\n");
    for (let i = 0; i < 30; i += 1) lines.push(`    at frame ${i}\n`);
    lines.push('Node.js v20.20.2\n');
    const tail = lines.tail().split('\n');
    expect(tail[0]).toBe('…');
    expect(tail[1]).toBe("Error: Cannot find module '/x/y.js'");
    expect(tail[2]).toBe('…');
    expect(tail.at(-1)).toBe('Node.js v20.20.2');
    expect(tail).toHaveLength(3 + 8);
  });

  it('is the plain last lines when no line names a cause, and stays within 4 KiB', () => {
    const lines = new StderrLines(silent);
    for (let i = 0; i < 100; i += 1) lines.push(`line ${i} ${'é'.repeat(400)}\n`);
    const tail = lines.tail();
    expect(tail.split('\n')).not.toContain('…');
    expect(tail.split('\n').at(-1)).toMatch(/^line 99 /);
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(4 * 1024);
  });

  it('at most five cause lines are kept, and no more than 20 lines in all', () => {
    const lines = new StderrLines(silent);
    for (let i = 0; i < 50; i += 1) lines.push(`TypeError: failure ${i}\nfiller ${i}\n`);
    const tail = lines.tail().split('\n');
    expect(tail.filter((l) => l.startsWith('TypeError: failure'))).toEqual(
      expect.arrayContaining(['TypeError: failure 0', 'TypeError: failure 4']),
    );
    expect(tail).not.toContain('TypeError: failure 5');
    expect(tail.length).toBeLessThanOrEqual(20);
  });
});
