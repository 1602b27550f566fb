import { mkdtemp, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoizedFileDigest, openDigestMemo, RACY_MS, sha256Hex } from '../../src/batch/digest.js';

/** Writes `text` and sets the file's mtime an hour back, as for an input exported earlier. */
async function oldFile(file: string, text: string, at = new Date(Date.now() - 3_600_000)): Promise<void> {
  await writeFile(file, text);
  await utimes(file, at, at);
}

describe('memoizedFileDigest', () => {
  it('reuses a digest while device, inode, size and times are unchanged, and rehashes otherwise', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'perfcalc-digest-'));
    const file = join(dir, 'v.csv');
    await oldFile(file, 'portfolio_id,date,market_value\nP1,2024-01-02,100\n');
    const first = await memoizedFileDigest(join(dir, 'state'))(file);
    expect(first.sha256).toBe(sha256Hex(await readFile(file)));
    expect(JSON.parse(await readFile(join(dir, 'state', 'digests.json'), 'utf8'))[file].sha256).toBe(first.sha256);

    // an unchanged file is not read again: the recorded digest is returned
    const memoFile = join(dir, 'state', 'digests.json');
    const memo = JSON.parse(await readFile(memoFile, 'utf8'));
    memo[file].sha256 = 'recorded';
    await writeFile(memoFile, JSON.stringify(memo));
    expect((await memoizedFileDigest(join(dir, 'state'))(file)).sha256).toBe('recorded');
    expect((await openDigestMemo(join(dir, 'state')).peek(file))?.sha256).toBe('recorded');

    // a new size (or mtime) is a new file: hashed again
    await oldFile(file, 'portfolio_id,date,market_value\nP1,2024-01-02,1000\n');
    expect(await openDigestMemo(join(dir, 'state')).peek(file)).toBeUndefined();
    const third = await memoizedFileDigest(join(dir, 'state'))(file);
    expect(third.sha256).toBe(sha256Hex(await readFile(file)));
    expect(third.sha256).not.toBe(first.sha256);

    // a damaged memo is ignored and rewritten
    await writeFile(join(dir, 'state', 'digests.json'), '{"not json');
    expect((await memoizedFileDigest(join(dir, 'state'))(file)).sha256).toBe(third.sha256);
  });

  it('notices a file set back to its old size and mtime (the change time moves)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'perfcalc-digest-'));
    const file = join(dir, 'v.csv');
    const at = new Date(Date.now() - 3_600_000);
    await oldFile(file, 'portfolio_id,date,market_value\nP1,2024-01-02,100\n', at);
    const memo = openDigestMemo(join(dir, 'state'));
    await memo.digest(file);
    const recorded = await memo.peek(file);
    const before = await stat(file, { bigint: true });
    expect(recorded?.sha256).toBe(sha256Hex(await readFile(file)));
    await new Promise((r) => setTimeout(r, 20));
    // same size, mtime set back to what it was: only ctime tells
    await oldFile(file, 'portfolio_id,date,market_value\nP1,2024-01-02,200\n', at);
    const after = await stat(file, { bigint: true });
    expect([after.size, after.mtimeNs, after.ino]).toEqual([before.size, before.mtimeNs, before.ino]);
    expect(await openDigestMemo(join(dir, 'state')).peek(file)).toBeUndefined();
    expect((await openDigestMemo(join(dir, 'state')).digest(file)).sha256).toBe(sha256Hex(await readFile(file)));
  });

  it('does not memoise a file modified within RACY_MS of being hashed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'perfcalc-digest-'));
    const file = join(dir, 'v.csv');
    await writeFile(file, 'portfolio_id,date,market_value\nP1,2024-01-02,100\n');
    const memo = openDigestMemo(join(dir, 'state'));
    expect((await memo.digest(file)).sha256).toBe(sha256Hex(await readFile(file)));
    expect(await memo.peek(file)).toBeUndefined();
    // the same file hashed later than RACY_MS after its last write is memoised
    const later = openDigestMemo(join(dir, 'state'), () => Date.now() + RACY_MS + 1);
    await later.digest(file);
    expect((await later.peek(file))?.sha256).toBe(sha256Hex(await readFile(file)));
  });
});

describe('memoizedFileDigest with several files at once', () => {
  it('keeps every entry when files are hashed concurrently', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'perfcalc-digest-'));
    const files = ['a.csv', 'b.csv', 'c.csv'].map((f) => join(dir, f));
    await Promise.all(files.map((f, i) => oldFile(f, `portfolio_id,date,market_value\nP${i},2024-01-02,100\n`)));
    const memo = openDigestMemo(join(dir, 'state'));
    await Promise.all(files.map((f) => memo.digest(f)));
    const onDisk = JSON.parse(await readFile(join(dir, 'state', 'digests.json'), 'utf8'));
    expect(Object.keys(onDisk).sort()).toEqual([...files].sort());
  });
});
