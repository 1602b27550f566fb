/** Test helpers: write CSV text into a fresh temp dir and assert InputError messages. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { InputError } from '../../src/errors.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Writes `text` (or raw bytes) to `name` in a new temp directory and returns the path. */
export async function csvFile(name: string, text: string | Uint8Array): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'perfcalc-csv-'));
  dirs.push(dir);
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Awaits a promise that must reject with an InputError and returns it. */
export async function inputError(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError, got success');
}
