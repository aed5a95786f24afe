// FileCheckpointStore across processes: two real Node processes save one key
// at the same moment with the same expectedVersion, round after round.
// In every round exactly one wins and the other gets a CheckpointConflict
// naming the winner's version. The writers run the built package (dist) in
// plain Node, as an application would.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FileCheckpointStore } from '../src/index.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(PACKAGE_DIR, 'dist/index.js');

const WRITER_SOURCE = `
import { createInterface } from 'node:readline';
const { FileCheckpointStore, isCheckpointConflict } = await import(process.env.RESOURCES_ENTRY);
const store = new FileCheckpointStore(process.env.STORE_DIR);
const out = (line) => process.stdout.write(JSON.stringify(line) + '\\n');
out({ ready: true });
for await (const line of createInterface({ input: process.stdin })) {
  const { round, expected } = JSON.parse(line);
  try {
    const state = { round, writer: process.env.WRITER };
    const version = await store.save('race', state, { expectedVersion: expected });
    out({ round, ok: true, version });
  } catch (error) {
    out({
      round,
      ok: false,
      conflict: isCheckpointConflict(error),
      key: error.key,
      expectedVersion: error.expectedVersion,
      actualVersion: error.actualVersion,
      message: String(error && error.message),
    });
  }
}
`;

interface Reply {
  ready?: boolean;
  round?: number;
  ok?: boolean;
  version?: string;
  conflict?: boolean;
  key?: string;
  expectedVersion?: string | null;
  actualVersion?: string | null;
  message?: string;
}

interface Writer {
  readonly name: string;
  readonly child: ChildProcess;
  /** The next line the writer prints. */
  next(): Promise<Reply>;
  send(line: unknown): void;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function assertBuilt(): void {
  const built = join(PACKAGE_DIR, 'dist/checkpoint-store.js');
  const stale = ['checkpoint-store.ts', 'file-lock.ts', 'checkpoint-conflict.ts'].some(
    (name) =>
      !existsSync(built) ||
      statSync(join(PACKAGE_DIR, 'src', name)).mtimeMs > statSync(built).mtimeMs,
  );
  if (stale) {
    throw new Error(
      `${ENTRY} is missing or older than src: build first (pnpm -F @dagstack/plugin-resources run build)`,
    );
  }
}

function startWriter(name: string, script: string, storeDir: string): Writer {
  const child = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      RESOURCES_ENTRY: pathToFileURL(ENTRY).href,
      STORE_DIR: storeDir,
      WRITER: name,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const lines: Reply[] = [];
  const waiting: ((reply: Reply) => void)[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const reply = JSON.parse(line) as Reply;
    const resolve = waiting.shift();
    if (resolve === undefined) lines.push(reply);
    else resolve(reply);
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`writer ${name} exited (${code ?? signal}):\n${stderr}`)),
    ),
  );
  exited.catch(() => undefined);
  return {
    name,
    child,
    next: () => {
      const ready = lines.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return Promise.race([new Promise<Reply>((resolve) => waiting.push(resolve)), exited]);
    },
    send: (line) => child.stdin?.write(`${JSON.stringify(line)}\n`),
  };
}

describe('FileCheckpointStore across processes', () => {
  it('two processes saving one key with the same expectedVersion: exactly one wins, every round', async () => {
    assertBuilt();
    const root = await mkdtemp(join(tmpdir(), 'dagstack-checkpoint-race-'));
    dirs.push(root);
    const script = join(root, 'writer.mjs');
    await writeFile(script, WRITER_SOURCE);
    const storeDir = join(root, 'store');
    const writers = [startWriter('a', script, storeDir), startWriter('b', script, storeDir)];
    for (const writer of writers) expect(await writer.next()).toEqual({ ready: true });

    const store = new FileCheckpointStore(storeDir);
    const wins = { a: 0, b: 0 };
    let expected: string | null = null; // round 0: the key does not exist yet
    for (let round = 0; round < 30; round++) {
      for (const writer of writers) writer.send({ round, expected });
      const replies = await Promise.all(writers.map((w) => w.next()));
      const winners = replies.flatMap((r, i) => (r.ok === true ? [writers[i]?.name] : []));
      expect(winners, `round ${round}: ${JSON.stringify(replies)}`).toHaveLength(1);
      const won = replies.find((r) => r.ok === true) as Reply;
      const lost = replies.find((r) => r.ok === false);
      expect(lost).toMatchObject({
        round,
        conflict: true,
        key: 'race',
        expectedVersion: expected,
        actualVersion: won.version,
      });
      expect(won.version).toMatch(new RegExp(`^${round + 1}-[0-9a-f]{12}$`));
      expect(await store.load('race')).toEqual({
        state: { round, writer: winners[0] },
        version: won.version,
      });
      wins[winners[0] as 'a' | 'b'] += 1;
      expected = won.version as string;
    }
    expect(wins.a + wins.b).toBe(30);
    for (const writer of writers) writer.child.stdin?.end();
    // No lock or temp file is left behind.
    expect(await readdir(storeDir)).toEqual(['race.json']);
  });
});
