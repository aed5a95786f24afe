/** The orchestrator's JSON state file: atomic replace, tolerant read. */

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SerializationError } from '@dagstack/plugin-api';

function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/**
 * Replace `file` with `text` atomically: a unique temporary file in the same
 * folder, fsync, rename over the target, fsync of the folder (best effort).
 * A reader — or a process that starts after a crash — sees the old file or
 * the new one, never a torn one. The folder is created when missing.
 */
export async function writeJsonAtomic(file: string, text: string): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o644);
  let renamed = false;
  try {
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    renamed = true;
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
  const folder = await open(dir, 'r').catch(() => undefined);
  if (folder !== undefined) {
    await folder.sync().catch(() => undefined);
    await folder.close().catch(() => undefined);
  }
}

/** The parsed content of `file`, or `undefined` when it does not exist. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SerializationError('the orchestrator state file is not valid JSON', {
      pointer: '',
      path: file,
      cause: error,
      hint: 'the file was changed outside the orchestrator; restore it or delete it to start with an empty queue',
    });
  }
}
