// Real plugin folders on disk and a captured CLI io for the tests.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { runCli } from '../src/index.js';

export const PACKAGE_DIR: string = fileURLToPath(new URL('..', import.meta.url));
export const FIXTURE_KINDS: string = join(PACKAGE_DIR, 'test/fixtures/kinds');

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder, removed after the test. */
export function tempDir(prefix = 'dagstack-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Write a map of relative path → content under `root`. */
export function writeTree(root: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return root;
}

/** A `[plugin]` manifest with the usual required fields. */
export function toml(fields: Record<string, string | number | boolean | string[]>): string {
  const base: Record<string, string | number | boolean | string[]> = {
    schema_version: '1',
    kind_api_version: '1',
    core_version: '>=0.1.0,<1.0.0',
    runtime: 'in_process',
    entry_point: 'plugin:Plugin',
    ...fields,
  };
  const lines = Object.entries(base).map(
    ([k, v]) =>
      `${k} = ${Array.isArray(v) ? `[${v.map((x) => JSON.stringify(x)).join(', ')}]` : JSON.stringify(v)}`,
  );
  return `[plugin]\n${lines.join('\n')}\n`;
}

/** A plugin folder: manifest + module exporting `Plugin`. */
export function plugin(
  fields: Record<string, string | number | boolean | string[]>,
  body: string,
): Record<string, string> {
  return {
    'dagstack.toml': toml(fields),
    'plugin.js': `export class Plugin {\n${body}\n}\n`,
  };
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for `--json` runs). */
  json<T = Record<string, unknown>>(): T;
}

/** Run the CLI in this process with captured output. */
export async function cli(
  argv: readonly string[],
  options: { cwd?: string; tty?: boolean; env?: Record<string, string | undefined> } = {},
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: {
      write: (t: string) => {
        stdout += t;
        return true;
      },
    },
    stderr: {
      isTTY: options.tty ?? false,
      write: (t: string) => {
        stderr += t;
        return true;
      },
    },
    cwd: options.cwd ?? tmpdir(),
    env: options.env ?? {},
  });
  return {
    code,
    stdout,
    stderr,
    json: <T>() => JSON.parse(stdout) as T,
  };
}
