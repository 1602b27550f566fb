import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { ROOT } from './runCli.js';

/**
 * Compares text with a golden file under test/golden. `UPDATE_GOLDEN=1 npm test` rewrites the
 * files (review the diff before committing: a golden file is a reviewed expectation, not a snapshot
 * to accept blindly). A missing golden file fails the test.
 */
export async function expectGolden(name: string, actual: string): Promise<void> {
  const path = join(ROOT, 'test', 'golden', name);
  if (process.env.UPDATE_GOLDEN === '1') {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, actual);
    return;
  }
  if (!existsSync(path)) throw new Error(`golden file ${path} is missing (run UPDATE_GOLDEN=1 npm test and review it)`);
  expect(actual).toBe(await readFile(path, 'utf8'));
}
