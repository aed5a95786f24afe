// Real folders on disk for tests: every folder made here is removed after the test.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

/** The package folder. */
export const PACKAGE_DIR: string = fileURLToPath(new URL('..', import.meta.url));
/** Fixture kinds (`chunker`, `sample`). */
export const FIXTURE_KINDS: string = join(PACKAGE_DIR, 'test/fixtures/kinds');

const made: string[] = [];

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary folder, removed after the current test. */
export function tempDir(prefix = 'hookspec-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Copy a fixture kind folder into a fresh temporary folder; returns that folder. */
export function copyFixtureKind(name: string): string {
  const dir = tempDir(`hookspec-${name}-`);
  cpSync(join(FIXTURE_KINDS, name), join(dir, 'kinds', name), { recursive: true });
  return dir;
}

/** Collects what the CLI writes. */
export function captureIo(cwd: string): {
  io: { stdout: { write(t: string): boolean }; stderr: { write(t: string): boolean }; cwd: string };
  out: () => string;
  err: () => string;
} {
  let out = '';
  let err = '';
  return {
    io: {
      cwd,
      stdout: {
        write: (t: string) => {
          out += t;
          return true;
        },
      },
      stderr: {
        write: (t: string) => {
          err += t;
          return true;
        },
      },
    },
    out: () => out,
    err: () => err,
  };
}
