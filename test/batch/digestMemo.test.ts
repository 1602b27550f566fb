import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoizedFileDigest, sha256Hex } from '../../src/batch/digest.js';

describe('memoizedFileDigest', () => {
  it('reuses a digest while device, inode, size and mtime are unchanged, and rehashes otherwise', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'perfcalc-digest-'));
    const file = join(dir, 'v.csv');
    await writeFile(file, 'portfolio_id,date,market_value\nP1,2024-01-02,100\n');
    const first = await memoizedFileDigest(join(dir, 'state'))(file);
    expect(first.sha256).toBe(sha256Hex(await readFile(file)));
    expect(JSON.parse(await readFile(join(dir, 'state', 'digests.json'), 'utf8'))[file].sha256).toBe(first.sha256);

    // an unchanged file (device, inode, size, mtime) is not read again: the recorded digest is returned
    const memoFile = join(dir, 'state', 'digests.json');
    const memo = JSON.parse(await readFile(memoFile, 'utf8'));
    memo[file].sha256 = 'recorded';
    await writeFile(memoFile, JSON.stringify(memo));
    expect((await memoizedFileDigest(join(dir, 'state'))(file)).sha256).toBe('recorded');

    // a new size (or mtime) is a new file: hashed again
    await writeFile(file, 'portfolio_id,date,market_value\nP1,2024-01-02,1000\n');
    const third = await memoizedFileDigest(join(dir, 'state'))(file);
    expect(third.sha256).toBe(sha256Hex(await readFile(file)));
    expect(third.sha256).not.toBe(first.sha256);

    // a damaged memo is ignored and rewritten
    await writeFile(join(dir, 'state', 'digests.json'), '{"not json');
    expect((await memoizedFileDigest(join(dir, 'state'))(file)).sha256).toBe(third.sha256);
  });
});
