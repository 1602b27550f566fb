import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { cacheKey, decodeEntry, encodeEntry, entryPath, openCache, type ResultCache } from '../../src/batch/cache.js';
import { sha256Hex } from '../../src/batch/digest.js';
import { crc32 } from 'node:zlib';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'perfcalc-cache-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 21, 22, 0, 0); // a nightly run's start, ms
const K1 = sha256Hex('portfolio P-001');
const K2 = sha256Hex('portfolio P-002');
const K3 = sha256Hex('portfolio P-003');

interface Result {
  portfolio: string;
  twr: number | null;
  status: string;
}
const R1: Result = { portfolio: 'P-001', twr: 0.0123456789012345, status: 'ok' };
const R2: Result = { portfolio: 'P-002', twr: null, status: 'insufficient_history' };

let dir: string;
let cache: ResultCache<Result>;
let n = 0;
beforeEach(() => {
  dir = join(root, `c${n++}`);
  cache = openCache<Result>({ dir, ttlMs: 24 * HOUR });
});

describe('cacheKey', () => {
  it('ignores option key order and changes with any part', () => {
    const a = cacheKey({ inputDigest: 'd1', options: { method: 'daily', periods: ['YTD', 'ITD'] }, engineVersion: '0.1.0' });
    const b = cacheKey({ inputDigest: 'd1', options: { periods: ['YTD', 'ITD'], method: 'daily' }, engineVersion: '0.1.0' });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    // the key is the digest of the canonical JSON of the three parts
    expect(a).toBe(sha256Hex('{"engineVersion":"0.1.0","inputDigest":"d1","options":{"method":"daily","periods":["YTD","ITD"]}}'));
    expect(cacheKey({ inputDigest: 'd2', options: { method: 'daily', periods: ['YTD', 'ITD'] }, engineVersion: '0.1.0' })).not.toBe(a);
    expect(cacheKey({ inputDigest: 'd1', options: { method: 'daily', periods: ['ITD', 'YTD'] }, engineVersion: '0.1.0' })).not.toBe(a);
    expect(cacheKey({ inputDigest: 'd1', options: { method: 'daily', periods: ['YTD', 'ITD'] }, engineVersion: '0.1.1' })).not.toBe(a);
  });
});

describe('get and put', () => {
  it('miss, then hit with the exact value, stored under <dir>/<2 hex>/<key>.json', async () => {
    expect(cache.get(K1, T0)).toEqual({ status: 'miss' });
    await cache.put(K1, R1, T0);
    await cache.put(K2, R2, T0 + 1);
    expect(cache.get(K1, T0 + 5)).toEqual({ status: 'hit', value: R1, createdAt: T0 });
    expect(cache.get(K2, T0 + 5)).toEqual({ status: 'hit', value: R2, createdAt: T0 + 1 });
    expect(entryPath(dir, K1)).toBe(join(dir, K1.slice(0, 2), `${K1}.json`));
    expect(existsSync(entryPath(dir, K1))).toBe(true);
    // the file is one JSON line, whose length and CRC-32 are of the value's text
    const text = readFileSync(entryPath(dir, K1), 'utf8');
    const doc = JSON.parse(text);
    expect(doc).toEqual({ format: 'perfcalc-cache/1', key: K1, createdAt: T0, bytes: JSON.stringify(R1).length, crc32: crc32(JSON.stringify(R1)), value: R1 });
    expect(text.endsWith('}\n')).toBe(true);
    // no temp files left behind
    expect(readdirSync(join(dir, K1.slice(0, 2)))).toEqual([`${K1}.json`]);
  });

  it('putSync writes the same file as put', async () => {
    cache.putSync(K1, R1, T0);
    await cache.put(K2, R1, T0);
    expect(cache.get(K1, T0)).toEqual({ status: 'hit', value: R1, createdAt: T0 });
    expect(readFileSync(entryPath(dir, K1), 'utf8')).toBe(readFileSync(entryPath(dir, K2), 'utf8').replace(K2, K1));
    expect(readdirSync(join(dir, K1.slice(0, 2)))).toEqual([`${K1}.json`]);
  });

  it('put replaces an entry', async () => {
    await cache.put(K1, R1, T0);
    await cache.put(K1, R2, T0 + HOUR);
    expect(cache.get(K1, T0 + HOUR)).toEqual({ status: 'hit', value: R2, createdAt: T0 + HOUR });
  });

  it('full float64 precision survives', async () => {
    const v = { portfolio: 'x', twr: 0.1 + 0.2, status: 'ok' }; // 0.30000000000000004
    await cache.put(K1, v, T0);
    const got = cache.get(K1, T0);
    expect(got.status === 'hit' && got.value.twr).toBe(0.30000000000000004);
  });

  it('rejects keys that are not 64 hex digits (they become paths)', async () => {
    expect(() => cache.get('../../etc/passwd', T0)).toThrow("cache key must be 64 lower-case hex digits, got '../../etc/passwd'");
    await expect(cache.put(K1.toUpperCase(), R1, T0)).rejects.toThrow(/64 lower-case hex/);
  });
});

describe('expiry', () => {
  it('an entry is expired once createdAt + ttl < now', async () => {
    await cache.put(K1, R1, T0);
    // ttl 24 h: T0 + 24 h is the last instant it is fresh
    expect(cache.get(K1, T0 + 24 * HOUR).status).toBe('hit');
    expect(cache.get(K1, T0 + 24 * HOUR + 1)).toEqual({ status: 'expired', createdAt: T0 });
    // a shorter ttl on another handle to the same directory
    const short = openCache<Result>({ dir, ttlMs: HOUR });
    expect(short.get(K1, T0 + HOUR + 1).status).toBe('expired');
    // a put refreshes it
    await cache.put(K1, R1, T0 + 30 * HOUR);
    expect(cache.get(K1, T0 + 31 * HOUR).status).toBe('hit');
  });
});

describe('corruption is detected, reported once, deleted and never trusted', () => {
  async function damaged(damage: (path: string, text: string) => void): Promise<unknown[]> {
    await cache.put(K1, R1, T0);
    const path = entryPath(dir, K1);
    damage(path, readFileSync(path, 'utf8'));
    const first = cache.get(K1, T0);
    const second = cache.get(K1, T0);
    return [first, second, existsSync(path)];
  }
  const len = JSON.stringify(R1).length;

  it('truncated file', async () => {
    const [first, second, exists] = await damaged((p, t) => truncateSync(p, t.length - 10));
    expect(first).toEqual({ status: 'corrupt', reason: 'truncated (no end of entry)' });
    expect(second).toEqual({ status: 'miss' });
    expect(exists).toBe(false);
  });

  it('truncated inside the header', async () => {
    const [first] = await damaged((p) => truncateSync(p, 40));
    expect(first).toEqual({ status: 'corrupt', reason: 'truncated header' });
  });

  it('flipped digit in a number (still valid JSON)', async () => {
    const [first, second] = await damaged((p, t) => writeFileSync(p, t.replace('0.0123456789012345', '0.0123456789012346')));
    expect(first).toEqual({ status: 'corrupt', reason: 'checksum mismatch' });
    expect(second).toEqual({ status: 'miss' });
  });

  it('flipped bits in a byte of the value (invalid UTF-8)', async () => {
    const [first] = await damaged((p) => {
      const b = readFileSync(p);
      const i = b.indexOf('P-001');
      b[i] = b[i]! ^ 0xc0;
      writeFileSync(p, b);
    });
    expect(first).toEqual({ status: 'corrupt', reason: 'checksum mismatch' });
  });

  it('value cut short but file end restored', async () => {
    const [first] = await damaged((p, t) => writeFileSync(p, t.replace('"status":"ok"}}', '"status":"o"}}')));
    expect(first).toEqual({ status: 'corrupt', reason: `truncated or padded: value has ${len - 1} bytes, header says ${len}` });
  });

  it('empty file and garbage', async () => {
    expect((await damaged((p) => writeFileSync(p, '')))[0]).toEqual({ status: 'corrupt', reason: 'empty file' });
    expect((await damaged((p) => writeFileSync(p, 'hello')))[0]).toEqual({ status: 'corrupt', reason: 'not a cache entry' });
  });

  it('a valid entry under another key name', async () => {
    await cache.put(K1, R1, T0);
    mkdirSync(join(dir, K2.slice(0, 2)), { recursive: true });
    writeFileSync(entryPath(dir, K2), readFileSync(entryPath(dir, K1)));
    expect(cache.get(K2, T0)).toEqual({ status: 'corrupt', reason: `holds key ${K1.slice(0, 12)}..., not its file name's` });
    expect(cache.get(K1, T0).status).toBe('hit');
  });

  it('an entry of another cache format version is a miss and is left alone', async () => {
    mkdirSync(join(dir, K1.slice(0, 2)), { recursive: true });
    writeFileSync(entryPath(dir, K1), '{"format":"perfcalc-cache/2","whatever":1}\n');
    expect(cache.get(K1, T0)).toEqual({ status: 'miss' });
    expect(existsSync(entryPath(dir, K1))).toBe(true);
  });

  it('CRC-32 is the standard one (IEEE 802.3; check value of "123456789" is 0xCBF43926)', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
  });

  it('decodeEntry round-trips encodeEntry', () => {
    const text = encodeEntry(K3, { a: [1, 2.5, 'é'] }, T0);
    expect(decodeEntry(text, K3)).toEqual({ ok: true, createdAt: T0, value: { a: [1, 2.5, 'é'] } });
    // 'é' is 2 bytes: bytes counts UTF-8 bytes, not characters
    expect(JSON.parse(text).bytes).toBe('{"a":[1,2.5,"é"]}'.length + 1);
  });
});

describe('concurrent writers', () => {
  it('many parallel puts of different values to one key leave one complete value', async () => {
    const values = Array.from({ length: 50 }, (_, i) => ({ portfolio: `P-${i}`, twr: i / 7, status: 'ok' }));
    await Promise.all(values.map((v, i) => cache.put(K1, v, T0 + i)));
    const got = cache.get(K1, T0 + 100);
    expect(got.status).toBe('hit');
    if (got.status !== 'hit') return;
    const i = Number(got.value.portfolio.slice(2));
    expect(got.value).toEqual(values[i]);
    expect(got.createdAt).toBe(T0 + i);
    expect(readdirSync(join(dir, K1.slice(0, 2)))).toEqual([`${K1}.json`]);
  });

  it('two processes writing and reading the same keys never see a partial entry', async () => {
    const child = join(root, 'cacheWriter.child.mjs');
    await build({ entryPoints: [new URL('./cacheWriter.child.ts', import.meta.url).pathname], bundle: true, platform: 'node', format: 'esm', outfile: child, logLevel: 'silent' });
    const keys = [K1, K2, K3];
    const rounds = '150';
    // the parent reads the same keys while both children write
    let parentReads = 0;
    const parentCorrupt: string[] = [];
    let stop = false;
    const reader = (async () => {
      while (!stop) {
        for (const k of keys) {
          const g = cache.get(k, Date.now());
          parentReads++;
          if (g.status === 'corrupt') parentCorrupt.push(g.reason);
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const [a, b] = await Promise.all([run(process.execPath, [child, dir, 'A', rounds, ...keys]), run(process.execPath, [child, dir, 'B', rounds, ...keys])]);
    stop = true;
    await reader;
    const ra = JSON.parse(a.stdout);
    const rb = JSON.parse(b.stdout);
    expect(ra.corrupt).toEqual([]);
    expect(rb.corrupt).toEqual([]);
    expect(parentCorrupt).toEqual([]);
    // every read after a put is a hit: 150 rounds x 3 keys; an entry is only ever replaced, never missing
    expect(ra.hits + ra.misses).toBe(450);
    expect(ra.misses).toBe(0);
    expect(rb.misses).toBe(0);
    expect(parentReads).toBeGreaterThan(0);
    // no temp files are left
    for (const k of keys) expect(readdirSync(join(dir, k.slice(0, 2))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('stats, prune, clear', () => {
  it('stats count valid entries, their bytes and createdAt range, corrupt entries and temp files', async () => {
    expect(await cache.stats()).toEqual({ dir, entries: 0, bytes: 0, oldest: null, newest: null, corrupt: 0, tempFiles: 0 });
    await cache.put(K1, R1, T0 + 5 * HOUR);
    await cache.put(K2, R2, T0);
    await cache.put(K3, R1, T0 + 2 * HOUR);
    writeFileSync(entryPath(dir, K3), 'garbage');
    writeFileSync(join(dir, K1.slice(0, 2), `.${K1}.json.999.abcdef.tmp`), '{"format');
    writeFileSync(join(dir, 'README'), 'not ours');
    const bytes = statSync(entryPath(dir, K1)).size + statSync(entryPath(dir, K2)).size;
    expect(await cache.stats()).toEqual({ dir, entries: 2, bytes, oldest: T0, newest: T0 + 5 * HOUR, corrupt: 1, tempFiles: 1 });
  });

  it('prune removes expired and corrupt entries and old temp files, keeps fresh ones', async () => {
    await cache.put(K1, R1, T0 - 48 * HOUR); // expired under a 24 h ttl
    await cache.put(K2, R2, T0 - 1 * HOUR); // fresh
    await cache.put(K3, R1, T0);
    truncateSync(entryPath(dir, K3), 20); // corrupt
    const shard = join(dir, K2.slice(0, 2));
    const oldTemp = join(shard, `.${K2}.json.123.aaaaaa.tmp`);
    const newTemp = join(shard, `.${K2}.json.124.bbbbbb.tmp`);
    writeFileSync(oldTemp, 'x');
    writeFileSync(newTemp, 'x');
    const now = T0;
    utimesSync(oldTemp, new Date(now - 2 * HOUR), new Date(now - 2 * HOUR)); // older than the 1 h default
    utimesSync(newTemp, new Date(now - 60_000), new Date(now - 60_000)); // a writer still at work
    expect(await cache.prune(now)).toEqual({ expired: 1, corrupt: 1, tempFiles: 1, kept: 1 });
    expect(existsSync(entryPath(dir, K1))).toBe(false);
    expect(existsSync(entryPath(dir, K3))).toBe(false);
    expect(existsSync(oldTemp)).toBe(false);
    expect(existsSync(newTemp)).toBe(true);
    expect(cache.get(K2, now).status).toBe('hit');
    // an explicit shorter ttl
    expect(await cache.prune(now, HOUR / 2)).toEqual({ expired: 1, corrupt: 0, tempFiles: 0, kept: 0 });
  });

  it('clear removes only the cache files and empty shards', async () => {
    await cache.put(K1, R1, T0);
    await cache.put(K2, R2, T0);
    writeFileSync(join(dir, 'README'), 'not ours');
    mkdirSync(join(dir, 'zz'));
    expect(await cache.clear()).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['README', 'zz']);
    expect(cache.get(K1, T0)).toEqual({ status: 'miss' });
    expect(await cache.clear()).toBe(0);
    // a put after clear recreates the shard
    await cache.put(K1, R1, T0);
    expect(cache.get(K1, T0).status).toBe('hit');
  });

  it('stats and prune of a missing directory are empty', async () => {
    const c = openCache({ dir: join(root, 'never-created'), ttlMs: HOUR });
    expect((await c.stats()).entries).toBe(0);
    expect(await c.prune(T0)).toEqual({ expired: 0, corrupt: 0, tempFiles: 0, kept: 0 });
    expect(await c.clear()).toBe(0);
  });
});
