import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { cacheKey, openCache, type ResultCache } from '../../src/batch/cache.js';
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
const R3: Result = { portfolio: 'P-003', twr: -0.5, status: 'ok' };

let dir: string;
let cache: ResultCache<Result>;
let n = 0;
beforeEach(() => {
  dir = join(root, `c${n++}`);
  cache = openCache<Result>({ dir, ttlMs: 24 * HOUR });
});

const packs = (d = dir) => readdirSync(d).filter((f) => f.endsWith('.pack')).sort();
const temps = (d = dir) => readdirSync(d).filter((f) => f.endsWith('.tmp'));
const fresh = (ttlMs = 24 * HOUR) => openCache<Result>({ dir, ttlMs });
/** The only pack's path (after one flush). */
function onlyPack(): string {
  const p = packs();
  expect(p).toHaveLength(1);
  return join(dir, p[0]!);
}

describe('cacheKey', () => {
  it('with options given as a digest string: the same key as the canonical JSON walk', async () => {
    const { digestJson } = await import('../../src/batch/digest.js');
    const cases: Array<[string, string, string]> = [['d1', 'ab'.repeat(32), '0.1.0+engine.1'], ['q"uote\\', 'é\u2028', '']];
    for (const [inputDigest, options, engineVersion] of cases) {
      expect(cacheKey({ inputDigest, options, engineVersion })).toBe(digestJson({ options, inputDigest, engineVersion }));
    }
  });
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
  it('miss, then hit with the exact value; one pack per flush, laid out as documented', async () => {
    expect(cache.get(K1, T0)).toEqual({ status: 'miss' });
    await cache.put(K1, R1, T0);
    cache.putSync(K2, R2, T0 + 1);
    expect(cache.get(K1, T0 + 5)).toEqual({ status: 'hit', value: R1, createdAt: T0 });
    expect(cache.get(K2, T0 + 5)).toEqual({ status: 'hit', value: R2, createdAt: T0 + 1 });
    expect(cache.flush()).toEqual({ published: 2, compaction: expect.objectContaining({ packsRemoved: 0, packsWritten: 0 }) });
    expect(readdirSync(dir)).toEqual(packs());
    const bytes = readFileSync(onlyPack());
    expect(packs()[0]).toMatch(new RegExp(`^[0-9a-z]+-${process.pid}-\\d+-[0-9a-f]{12}\\.pack$`));
    // "perfcalc-cache/2", then each entry: "PCR2", key, createdAt (f64), length (u32), crc (u32), value
    expect(bytes.toString('latin1', 0, 16)).toBe('perfcalc-cache/2');
    const v1 = Buffer.from(JSON.stringify(R1));
    expect(bytes.toString('latin1', 16, 20)).toBe('PCR2');
    expect(bytes.toString('hex', 20, 52)).toBe(K1);
    expect(bytes.readDoubleLE(52)).toBe(T0);
    expect(bytes.readUInt32LE(60)).toBe(v1.length);
    // the crc is of the header's key, createdAt and length, then the value
    expect(bytes.readUInt32LE(64)).toBe(crc32(v1, crc32(bytes.subarray(20, 64))));
    expect(bytes.subarray(68, 68 + v1.length)).toEqual(v1);
    // the index (56 bytes per entry) and the 48-byte footer end the file
    const foot = bytes.subarray(bytes.length - 48);
    expect(foot.toString('latin1', 32)).toBe('perfcalc-index/2');
    const at = foot.readUIntLE(0, 6);
    expect(foot.readUInt32LE(24)).toBe(2);
    expect([foot.readDoubleLE(8), foot.readDoubleLE(16)]).toEqual([T0, T0 + 1]);
    expect(at + 2 * 56 + 48).toBe(bytes.length);
    expect(bytes.toString('hex', at, at + 32)).toBe(K1);
    expect(bytes.readUIntLE(at + 32, 6)).toBe(16);
    expect(crc32(foot.subarray(0, 28), crc32(bytes.subarray(at, at + 112)))).toBe(foot.readUInt32LE(28));
    // a fresh handle reads the same
    expect(fresh().get(K1, T0 + 5)).toEqual({ status: 'hit', value: R1, createdAt: T0 });
    expect(fresh().get(K3, T0 + 5)).toEqual({ status: 'miss' });
  });

  it('put replaces an entry: the newest wins, in one handle and across packs whatever their flush order', async () => {
    await cache.put(K1, R1, T0);
    await cache.put(K1, R2, T0 + HOUR);
    expect(cache.get(K1, T0 + HOUR)).toEqual({ status: 'hit', value: R2, createdAt: T0 + HOUR });
    cache.flush();
    expect(fresh().get(K1, T0 + HOUR)).toEqual({ status: 'hit', value: R2, createdAt: T0 + HOUR });

    const older = fresh();
    const newer = fresh();
    newer.putSync(K2, R2, T0 + 2 * HOUR);
    older.putSync(K2, R1, T0 + HOUR);
    newer.flush();
    older.flush(); // published last, but its entry is older
    expect(fresh().get(K2, T0 + 2 * HOUR)).toEqual({ status: 'hit', value: R2, createdAt: T0 + 2 * HOUR });
    // a handle's own put of an older entry does not hide a newer one it has loaded
    const h = fresh();
    expect(h.get(K2, T0).status).toBe('hit');
    h.putSync(K2, R3, T0);
    expect(h.get(K2, T0 + 2 * HOUR)).toEqual({ status: 'hit', value: R2, createdAt: T0 + 2 * HOUR });
    h.flush();
  });

  it('full float64 precision and non-ASCII text survive', async () => {
    const v = { portfolio: 'Zürich-é', twr: 0.1 + 0.2, status: 'ok' }; // 0.30000000000000004
    await cache.put(K1, v, T0);
    const own = cache.get(K1, T0);
    expect(own.status === 'hit' && own.value).toEqual(v);
    cache.flush();
    const got = fresh().get(K1, T0);
    expect(got.status === 'hit' && got.value.twr).toBe(0.30000000000000004);
    expect(got.status === 'hit' && got.value.portfolio).toBe('Zürich-é');
  });

  it('entries larger than the write buffer, and many entries spilling it, read back', () => {
    const big = { portfolio: 'x'.repeat(700_000), twr: 1, status: 'ok' };
    for (let i = 0; i < 300; i++) cache.putSync(sha256Hex(`k${i}`), { ...R1, portfolio: `P-${i}`.padEnd(3000, '.') }, T0);
    cache.putSync(K1, big, T0);
    cache.putSync(K2, R2, T0);
    // before the flush: from the file and from the buffer
    expect(cache.get(sha256Hex('k0'), T0)).toMatchObject({ status: 'hit', value: { portfolio: 'P-0'.padEnd(3000, '.') } });
    expect(cache.get(K1, T0)).toEqual({ status: 'hit', value: big, createdAt: T0 });
    expect(cache.get(K2, T0)).toEqual({ status: 'hit', value: R2, createdAt: T0 });
    cache.flush();
    const r = fresh();
    for (let i = 0; i < 300; i++) expect(r.get(sha256Hex(`k${i}`), T0)).toMatchObject({ status: 'hit', value: { portfolio: `P-${i}`.padEnd(3000, '.') } });
    expect(r.get(K1, T0)).toEqual({ status: 'hit', value: big, createdAt: T0 });
  });

  it('rejects keys that are not 64 hex digits and values that are not JSON', async () => {
    expect(() => cache.get('../../etc/passwd', T0)).toThrow("cache key must be 64 lower-case hex digits, got '../../etc/passwd'");
    await expect(cache.put(K1.toUpperCase(), R1, T0)).rejects.toThrow(/64 lower-case hex/);
    for (const bad of [K1.slice(1), `${K1}0`, `${K1.slice(0, 63)}g`, `/${K1.slice(1)}`, `${K1.slice(0, 63)}:`, `${K1.slice(0, 63)}\``]) {
      expect(() => cache.get(bad, T0)).toThrow(/64 lower-case hex/);
    }
    expect(() => (cache as ResultCache<unknown>).putSync(K1, undefined, T0)).toThrow('cache value must be a JSON value');
    expect(cache.flush().published).toBe(0);
  });
});

describe('visibility: flush publishes', () => {
  it("a handle's puts are visible to itself at once, to other handles only after its flush", () => {
    const other = fresh();
    expect(other.get(K3, T0)).toEqual({ status: 'miss' }); // loads the (empty) directory
    cache.putSync(K1, R1, T0);
    expect(cache.get(K1, T0).status).toBe('hit');
    expect(fresh().get(K1, T0)).toEqual({ status: 'miss' });
    expect(packs()).toEqual([]);
    expect(temps()).toHaveLength(1); // the unpublished pack
    expect(cache.flush().published).toBe(1);
    expect(temps()).toEqual([]);
    expect(fresh().get(K1, T0).status).toBe('hit');
    // a handle loads the published packs once: it sees new ones after its own flush releases its view
    expect(other.get(K1, T0)).toEqual({ status: 'miss' });
    other.flush();
    expect(other.get(K1, T0).status).toBe('hit');
    // flush is idempotent; the handle still reads its published entries
    expect(cache.flush()).toEqual({ published: 0, compaction: null });
    expect(packs()).toHaveLength(1);
    expect(cache.get(K1, T0).status).toBe('hit');
    // a put after a flush starts a new pack
    cache.putSync(K2, R2, T0);
    cache.flush();
    expect(packs()).toHaveLength(2);
    expect(fresh().get(K2, T0).status).toBe('hit');
  });

  let child: string;
  beforeAll(async () => {
    child = join(root, 'cacheWriter.child.mjs');
    await build({ entryPoints: [new URL('./cacheWriter.child.ts', import.meta.url).pathname], bundle: true, platform: 'node', format: 'esm', outfile: child, logLevel: 'silent' });
  });

  it('a writer killed before its flush leaves an invisible temp pack, removed by prune after the stray-temp age', async () => {
    await cache.put(K3, R3, T0);
    cache.flush();
    const proc = spawn(process.execPath, [child, dir, 'kill', 'A', '800', K1, K2], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (b) => (out += b));
    const signal = await new Promise((r) => proc.once('exit', (_code, sig) => r(sig)));
    expect(signal).toBe('SIGKILL');
    expect(out).toBe('ready\n');
    expect(temps()).toHaveLength(1);
    expect(statSync(join(dir, temps()[0]!)).size).toBeGreaterThan(1_000_000); // its entries were written (past the 512 KB buffer)
    const r = fresh();
    expect(r.get(K1, Date.now())).toEqual({ status: 'miss' });
    expect(r.get(K2, Date.now())).toEqual({ status: 'miss' });
    expect(r.get(K3, T0)).toMatchObject({ status: 'hit', value: R3 });
    expect(await cache.stats()).toMatchObject({ entries: 1, packs: 1, tempFiles: 1 });
    // a writer may still be at work: a young temp pack is kept
    expect(await cache.prune(Date.now(), 1000 * 24 * HOUR)).toMatchObject({ tempFiles: 0, kept: 1 });
    expect(temps()).toHaveLength(1);
    expect(await cache.prune(Date.now() + 2 * HOUR, 1000 * 24 * HOUR)).toMatchObject({ tempFiles: 1, kept: 1 });
    expect(temps()).toEqual([]);
    expect(fresh().get(K3, T0).status).toBe('hit');
  });

  it('several processes writing, flushing, compacting and reading the same directory never see a partial or mixed entry', async () => {
    const keys = [K1, K2, K3, ...Array.from({ length: 9 }, (_, i) => sha256Hex(`shared ${i}`))];
    const rounds = 40;
    // the parent reads every key through fresh handles while the children write
    let parentReads = 0;
    let parentHits = 0;
    const parentCorrupt: string[] = [];
    let stop = false;
    const reader = (async () => {
      while (!stop) {
        const r = openCache<{ writer: string; payload: number[] }>({ dir, ttlMs: HOUR });
        for (const k of keys) {
          const g = r.get(k, Date.now());
          parentReads++;
          if (g.status === 'corrupt') parentCorrupt.push(g.reason);
          if (g.status === 'hit') {
            parentHits++;
            if (g.value.payload.length !== 200) parentCorrupt.push('partial value');
          }
        }
        r.flush();
        await new Promise((res) => setTimeout(res, 2));
      }
    })();
    const args = (w: string, flushEvery: string) => [child, dir, 'write', w, String(rounds), flushEvery, '4', ...keys];
    const outs = await Promise.all([run(process.execPath, args('A', '3')), run(process.execPath, args('B', '2')), run(process.execPath, args('C', '5'))]);
    stop = true;
    await reader;
    for (const o of outs) {
      const r = JSON.parse(o.stdout);
      expect(r.corrupt).toEqual([]);
      expect(r.flushErrors).toEqual([]);
      // every read through the writing handle hits: its own puts are visible before its flush
      expect(r.hits).toBe(rounds * keys.length);
      expect(r.misses).toBe(0);
      expect(r.freshHits).toBeGreaterThan(0);
    }
    expect(parentCorrupt).toEqual([]);
    expect(parentReads).toBeGreaterThan(0);
    expect(parentHits).toBeGreaterThan(0);
    // ~40 flushes happened; the flushes' compaction kept the packs few (4, plus what raced with it)
    expect(packs().length).toBeLessThanOrEqual(7);
    expect(temps()).toEqual([]);
    expect(existsSync(join(dir, '.compact.lock'))).toBe(false);
    const end = openCache<{ writer: string; payload: number[] }>({ dir, ttlMs: HOUR });
    for (const k of keys) expect(end.get(k, Date.now())).toMatchObject({ status: 'hit' });
    expect(await end.stats()).toMatchObject({ entries: keys.length, corrupt: 0, tempFiles: 0 });
  }, 60_000);
});

describe('expiry', () => {
  it('an entry is expired once createdAt + ttl < now', async () => {
    await cache.put(K1, R1, T0);
    // ttl 24 h: T0 + 24 h is the last instant it is fresh
    expect(cache.get(K1, T0 + 24 * HOUR).status).toBe('hit');
    expect(cache.get(K1, T0 + 24 * HOUR + 1)).toEqual({ status: 'expired', createdAt: T0 });
    cache.flush();
    // a shorter ttl on another handle to the same directory
    const short = fresh(HOUR);
    expect(short.get(K1, T0 + HOUR + 1).status).toBe('expired');
    // a put refreshes it
    await cache.put(K1, R1, T0 + 30 * HOUR);
    expect(cache.get(K1, T0 + 31 * HOUR).status).toBe('hit');
    cache.flush();
    expect(fresh().get(K1, T0 + 31 * HOUR)).toEqual({ status: 'hit', value: R1, createdAt: T0 + 30 * HOUR });
  });
});

describe('corruption is detected, reported once per handle, never trusted', () => {
  /** Puts K1..K3, flushes, damages the pack, returns two gets of `key` through one fresh handle. */
  async function damaged(damage: (path: string, bytes: Buffer) => void, key = K1): Promise<unknown[]> {
    await cache.put(K1, R1, T0);
    await cache.put(K2, R2, T0);
    await cache.put(K3, R3, T0);
    cache.flush();
    const path = onlyPack();
    damage(path, readFileSync(path));
    const h = fresh();
    return [h.get(key, T0), h.get(key, T0)];
  }
  const flip = (at: (b: Buffer) => number, mask = 0x01) => (p: string, b: Buffer) => {
    const i = at(b);
    b[i] = b[i]! ^ mask;
    writeFileSync(p, b);
  };

  it('flipped digit in a value (still valid JSON): reported once, then a miss; a newer entry wins', async () => {
    const [first, second] = await damaged((p, b) => writeFileSync(p, Buffer.from(b.toString('latin1').replace('0.0123456789012345', '0.0123456789012346'), 'latin1')));
    expect(first).toEqual({ status: 'corrupt', reason: 'checksum mismatch' });
    expect(second).toEqual({ status: 'miss' });
    // the other entries of the pack are fine
    expect(fresh().get(K2, T0)).toEqual({ status: 'hit', value: R2, createdAt: T0 });
    // every new handle reports it (the pack is immutable) until the recomputed entry is published
    const next = fresh();
    expect(next.get(K1, T0 + 1).status).toBe('corrupt');
    next.putSync(K1, R1, T0 + 1);
    expect(next.get(K1, T0 + 1).status).toBe('hit');
    next.flush();
    expect(fresh().get(K1, T0 + 1)).toEqual({ status: 'hit', value: R1, createdAt: T0 + 1 });
  });

  it('flipped bits in a byte of a value (invalid UTF-8)', async () => {
    const [first] = await damaged(flip((b) => b.indexOf('P-001'), 0xc0));
    expect(first).toEqual({ status: 'corrupt', reason: 'checksum mismatch' });
  });

  it("flipped bits in an entry's header", async () => {
    const [first] = await damaged(flip((b) => b.indexOf(Buffer.from(K1, 'hex'))));
    expect(first).toEqual({ status: 'corrupt', reason: 'entry header does not match the index' });
  });

  it('flipped bits in the index: the pack is read entry by entry instead, every entry still a hit', async () => {
    const [first] = await damaged(flip((b) => b.length - 48 - 56 + 40)); // the last index entry's length
    expect(first).toEqual({ status: 'hit', value: R1, createdAt: T0 });
    const h = fresh();
    expect(h.get(K2, T0).status).toBe('hit');
    expect(h.get(K3, T0)).toEqual({ status: 'hit', value: R3, createdAt: T0 });
  });

  it('truncated pack: entries before the cut are hits, the cut one corrupt, the rest lost', async () => {
    let cut = 0;
    const [first, second] = await damaged((p, b) => {
      cut = b.indexOf(JSON.stringify(R2)) + 5;
      truncateSync(p, cut);
    }, K2);
    expect(first).toEqual({ status: 'corrupt', reason: 'truncated pack (entry ends past the end of its file)' });
    expect(second).toEqual({ status: 'miss' });
    const h = fresh();
    expect(h.get(K1, T0)).toEqual({ status: 'hit', value: R1, createdAt: T0 });
    expect(h.get(K3, T0)).toEqual({ status: 'miss' });
    expect(await cache.stats()).toMatchObject({ entries: 1, corrupt: 1, packs: 1, bytes: cut });
    // prune salvages the good entry into a new pack
    expect(await cache.prune(T0)).toMatchObject({ expired: 0, corrupt: 1, kept: 1, packsRemoved: 1, packsWritten: 1 });
    expect(fresh().get(K1, T0).status).toBe('hit');
    expect(fresh().get(K2, T0)).toEqual({ status: 'miss' });
    expect(await cache.stats()).toMatchObject({ entries: 1, corrupt: 0, packs: 1 });
  });

  it('a pack truncated under a reader that has loaded its index', async () => {
    await cache.put(K1, R1, T0);
    await cache.put(K2, R2, T0);
    cache.flush();
    const h = fresh();
    expect(h.get(K1, T0).status).toBe('hit');
    const path = onlyPack();
    truncateSync(path, readFileSync(path).indexOf(JSON.stringify(R2)) + 5);
    expect(h.get(K2, T0)).toEqual({ status: 'corrupt', reason: 'truncated pack (entry ends past the end of its file)' });
    expect(h.get(K2, T0)).toEqual({ status: 'miss' });
  });

  it('a file with a pack name that is no pack: nothing in it is trusted, stats and prune count it corrupt', async () => {
    await cache.put(K1, R1, T0);
    cache.flush();
    const bogus = join(dir, '0-1-0-aaaaaaaaaaaa.pack');
    writeFileSync(bogus, 'hello, this is not a pack at all, but it is long enough to have a footer');
    expect(fresh().get(K1, T0).status).toBe('hit');
    expect(await cache.stats()).toMatchObject({ entries: 1, corrupt: 1, packs: 2 });
    expect(await cache.prune(T0)).toMatchObject({ corrupt: 1, kept: 1, packsRemoved: 1, packsWritten: 0 });
    expect(existsSync(bogus)).toBe(false);
  });

  it('an entry of the old per-file format (perfcalc-cache/1) is a miss and left alone by get', () => {
    mkdirSync(join(dir, K1.slice(0, 2)), { recursive: true });
    const old = join(dir, K1.slice(0, 2), `${K1}.json`);
    writeFileSync(old, `{"format":"perfcalc-cache/1","key":"${K1}","createdAt":${T0},"bytes":2,"crc32":0,"value":{}}\n`);
    expect(cache.get(K1, T0)).toEqual({ status: 'miss' });
    expect(existsSync(old)).toBe(true);
  });

  it('thousands of keys with every third entry damaged: each damaged one is corrupt once, then a miss; every other stays a hit', () => {
    const keys = Array.from({ length: 3000 }, (_, i) => sha256Hex(`many ${i}`));
    keys.forEach((k, i) => cache.putSync(k, { portfolio: `#${i}#`, twr: i, status: 'ok' }, T0));
    cache.flush();
    const path = onlyPack();
    const b = readFileSync(path);
    for (let i = 0; i < keys.length; i += 3) {
      const at = b.indexOf(`#${i}#`);
      b[at + 1] = b[at + 1]! ^ 0x04;
    }
    writeFileSync(path, b);
    const h = fresh();
    const pass = () => keys.map((k, i) => [i, h.get(k, T0)] as const);
    for (const [i, g] of pass()) {
      if (i % 3 === 0) expect(g).toEqual({ status: 'corrupt', reason: 'checksum mismatch' });
      else expect(g).toEqual({ status: 'hit', value: { portfolio: `#${i}#`, twr: i, status: 'ok' }, createdAt: T0 });
    }
    // the removed entries leave the others findable (the table shifts its probe chains back)
    for (const [i, g] of pass()) expect(g.status).toBe(i % 3 === 0 ? 'miss' : 'hit');
    // and the handle's own puts of them are found again
    for (let i = 0; i < keys.length; i += 3) h.putSync(keys[i]!, { portfolio: `#${i}#`, twr: -i - 1, status: 'ok' }, T0 + 1);
    for (const [i, g] of pass()) expect(g).toMatchObject({ status: 'hit', value: { twr: i % 3 === 0 ? -i - 1 : i } });
    h.flush();
  });

  it('CRC-32 is the standard one (IEEE 802.3; check value of "123456789" is 0xCBF43926)', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
  });
});

describe('compaction at flush', () => {
  it('merges the smaller packs when more than maxPacks exist; every entry still reads', () => {
    const keys = Array.from({ length: 9 }, (_, i) => sha256Hex(`k${i}`));
    const reports = [];
    for (let i = 0; i < 5; i++) {
      const h = openCache<Result>({ dir, ttlMs: 24 * HOUR, maxPacks: 4 });
      // pack i holds i + 1 entries, so the smallest are the oldest
      for (let j = 0; j <= i; j++) h.putSync(keys[i + j]!, { ...R1, portfolio: `P-${i}-${j}` }, T0 + i);
      reports.push(h.flush());
    }
    expect(reports.slice(0, 4).map((r) => r.compaction)).toEqual(Array(4).fill(expect.objectContaining({ packsRemoved: 0, packsWritten: 0 })));
    // 5 packs > 4: the 5 - 2 + 1 = 4 smallest merge into one, next to the biggest
    // keys k0..k8 live; the merged packs held 6 older entries of keys a newer pack also holds
    expect(reports[4]!.compaction).toEqual({ expired: 0, corrupt: 0, tempFiles: 0, kept: 9, superseded: 6, legacy: 0, packsRemoved: 4, packsWritten: 1 });
    expect(packs()).toHaveLength(2);
    const r = fresh();
    for (let i = 0; i < 5; i++) for (let j = 0; j <= i; j++) {
      // a key put by several packs: the newest (latest pack) wins
      const winner = Math.max(...Array.from({ length: 5 }, (_, a) => a).filter((a) => i + j - a >= 0 && i + j - a <= a));
      expect(r.get(keys[i + j]!, T0)).toMatchObject({ status: 'hit', value: { portfolio: `P-${winner}-${i + j - winner}` }, createdAt: T0 + winner });
    }
  });

  it('deletes packs whose entries have all expired, judged by the time of the latest put', () => {
    cache.putSync(K1, R1, T0 - 48 * HOUR);
    cache.putSync(K2, R2, T0 - 47 * HOUR);
    expect(cache.flush().compaction).toMatchObject({ expired: 0, packsRemoved: 0 });
    const old = packs();
    cache.putSync(K3, R3, T0 - 2 * HOUR);
    cache.putSync(K1, R1, T0 - 30 * HOUR); // expired at T0, in a pack with a fresh entry
    // now = T0 - 2 h: the first pack's newest entry (T0 - 47 h) is older than the 24 h ttl
    expect(cache.flush()).toEqual({ published: 2, compaction: { expired: 2, corrupt: 0, tempFiles: 0, kept: 2, superseded: 0, legacy: 0, packsRemoved: 1, packsWritten: 0 } });
    expect(packs()).toHaveLength(1);
    expect(packs()).not.toContain(old[0]);
    // a pack with a fresh entry stays whole (prune rewrites it without its expired one)
    cache.putSync(K2, R2, T0);
    expect(cache.flush()).toEqual({ published: 1, compaction: { expired: 0, corrupt: 0, tempFiles: 0, kept: 3, superseded: 0, legacy: 0, packsRemoved: 0, packsWritten: 0 } });
    expect(packs()).toHaveLength(2);
    expect(fresh().get(K3, T0)).toMatchObject({ status: 'hit', value: R3 });
  });

  it('is skipped while another compaction holds the lock, which a stale lock does not block', () => {
    cache.putSync(K1, R1, T0 - 48 * HOUR);
    cache.flush();
    const lock = join(dir, '.compact.lock');
    writeFileSync(lock, '');
    cache.putSync(K2, R2, T0);
    expect(cache.flush()).toEqual({ published: 1, compaction: null });
    expect(packs()).toHaveLength(2);
    const past = new Date(Date.now() - 2 * HOUR);
    utimesSync(lock, past, past);
    cache.putSync(K3, R3, T0);
    expect(cache.flush().compaction).toMatchObject({ expired: 1, packsRemoved: 1 });
    expect(existsSync(lock)).toBe(false);
  });
});

describe('stats, prune, clear', () => {
  it('stats count valid entries, pack bytes, createdAt range, corrupt and superseded entries, temp packs and old-format files', async () => {
    const empty = { dir, entries: 0, bytes: 0, oldest: null, newest: null, corrupt: 0, tempFiles: 0, packs: 0, superseded: 0, legacy: 0 };
    expect(await cache.stats()).toEqual(empty);
    await cache.put(K1, R1, T0 + 5 * HOUR);
    await cache.put(K2, R2, T0);
    await cache.put(K3, R3, T0 + 2 * HOUR);
    cache.flush();
    const path = onlyPack();
    const b = readFileSync(path);
    const at = b.indexOf('P-003');
    b[at] = b[at]! ^ 1; // K3's value is corrupt
    writeFileSync(path, b);
    await cache.put(K2, R2, T0 + HOUR); // supersedes K2's first entry
    cache.flush();
    const writer = fresh();
    writer.putSync(K3, R3, T0); // an unpublished pack
    mkdirSync(join(dir, 'ab'));
    writeFileSync(join(dir, 'ab', `ab${K1.slice(2)}.json`), '{"format":"perfcalc-cache/1"}');
    writeFileSync(join(dir, 'README'), 'not ours');
    const bytes = packs().reduce((s, p) => s + statSync(join(dir, p)).size, 0);
    expect(await cache.stats()).toEqual({ dir, entries: 2, bytes, oldest: T0 + HOUR, newest: T0 + 5 * HOUR, corrupt: 1, tempFiles: 1, packs: 2, superseded: 1, legacy: 1 });
    writer.flush();
  });

  it('prune drops expired, corrupt and superseded entries, rewrites or deletes their packs, removes old temp packs and old-format files', async () => {
    const K4 = sha256Hex('portfolio P-004');
    await cache.put(K1, R1, T0 - 48 * HOUR); // expired under a 24 h ttl
    await cache.put(K2, R2, T0 - 1 * HOUR); // fresh
    await cache.put(K3, R3, T0 - 3 * HOUR); // corrupt, below
    cache.flush();
    const first = packs()[0]!;
    const b = readFileSync(join(dir, first));
    const at = b.indexOf('P-003');
    b[at] = b[at]! ^ 1;
    writeFileSync(join(dir, first), b);
    await cache.put(K2, R2, T0 - 2 * HOUR); // older than the first pack's K2: superseded
    await cache.put(K4, R1, T0 - 30 * HOUR); // expired
    cache.flush(); // that pack: superseded + expired only, deleted
    await cache.put(K4, R3, T0); // fresh, in a pack that needs no rewrite
    cache.flush();
    const last = packs().find((p) => p !== first && readFileSync(join(dir, p)).includes('P-003'))!;
    // temp packs: an abandoned one and one a writer is still at work on; old-format files
    const oldTemp = join(dir, '.0-123-0-aaaaaaaaaaaa.pack.tmp');
    const newTemp = join(dir, '.0-124-0-bbbbbbbbbbbb.pack.tmp');
    writeFileSync(oldTemp, 'x');
    writeFileSync(newTemp, 'x');
    const now = T0;
    utimesSync(oldTemp, new Date(now - 2 * HOUR), new Date(now - 2 * HOUR)); // older than the 1 h default
    utimesSync(newTemp, new Date(now - 60_000), new Date(now - 60_000));
    mkdirSync(join(dir, K1.slice(0, 2)));
    writeFileSync(join(dir, K1.slice(0, 2), `${K1}.json`), '{"format":"perfcalc-cache/1"}');
    expect(packs()).toHaveLength(3);
    expect(await cache.prune(now)).toEqual({ expired: 2, corrupt: 1, tempFiles: 1, kept: 2, superseded: 1, legacy: 1, packsRemoved: 2, packsWritten: 1 });
    expect(packs()).toHaveLength(2);
    expect(packs()).toContain(last);
    expect(packs()).not.toContain(first);
    expect(existsSync(oldTemp)).toBe(false);
    expect(existsSync(newTemp)).toBe(true);
    expect(existsSync(join(dir, K1.slice(0, 2)))).toBe(false);
    const h = fresh();
    expect(h.get(K1, now)).toEqual({ status: 'miss' });
    expect(h.get(K2, now)).toEqual({ status: 'hit', value: R2, createdAt: T0 - HOUR });
    expect(h.get(K3, now)).toEqual({ status: 'miss' });
    expect(h.get(K4, now)).toEqual({ status: 'hit', value: R3, createdAt: T0 });
    expect(await cache.stats()).toMatchObject({ entries: 2, corrupt: 0, superseded: 0 });
    // nothing left to do
    expect(await cache.prune(now)).toEqual({ expired: 0, corrupt: 0, tempFiles: 0, kept: 2, superseded: 0, legacy: 0, packsRemoved: 0, packsWritten: 0 });
    // an explicit shorter ttl
    expect(await cache.prune(now, HOUR / 2)).toMatchObject({ expired: 1, kept: 1, packsRemoved: 1, packsWritten: 0 });
  });

  it('a reader keeps reading packs that a prune deletes under it', async () => {
    await cache.put(K1, R1, T0);
    await cache.put(K2, R2, T0 - 48 * HOUR);
    cache.flush();
    const h = fresh(1000 * 24 * HOUR);
    expect(h.get(K1, T0).status).toBe('hit');
    expect(await cache.prune(T0)).toMatchObject({ expired: 1, kept: 1, packsRemoved: 1, packsWritten: 1 });
    expect(h.get(K2, T0)).toMatchObject({ status: 'hit', value: R2 });
  });

  it('clear removes only the cache files and empty shards', async () => {
    await cache.put(K1, R1, T0);
    cache.flush();
    await cache.put(K2, R2, T0);
    cache.flush();
    writeFileSync(join(dir, 'README'), 'not ours');
    writeFileSync(join(dir, '.0-1-0-cccccccccccc.pack.tmp'), 'x');
    mkdirSync(join(dir, 'zz'));
    mkdirSync(join(dir, K3.slice(0, 2)));
    writeFileSync(join(dir, K3.slice(0, 2), `${K3}.json`), '{"format":"perfcalc-cache/1"}');
    expect(await cache.clear()).toBe(4);
    expect(readdirSync(dir).sort()).toEqual(['README', 'zz']);
    expect(fresh().get(K1, T0)).toEqual({ status: 'miss' });
    expect(await cache.clear()).toBe(0);
    // a put after clear writes a new pack
    await cache.put(K1, R1, T0);
    cache.flush();
    expect(fresh().get(K1, T0).status).toBe('hit');
  });

  it('a clear while a handle is writing drops its unpublished entries; its flush publishes nothing and reports no error', async () => {
    cache.putSync(K1, R1, T0);
    expect(await fresh().clear()).toBe(1);
    expect(cache.get(K1, T0).status).toBe('hit'); // its own view, until the flush
    expect(cache.flush()).toEqual({ published: 0, compaction: null });
    expect(readdirSync(dir)).toEqual([]);
    expect(cache.get(K1, T0)).toEqual({ status: 'miss' });
  });

  it('stats, prune and clear of a missing directory are empty', async () => {
    const c = openCache({ dir: join(root, 'never-created'), ttlMs: HOUR });
    expect(await c.stats()).toMatchObject({ entries: 0, packs: 0, bytes: 0 });
    expect(await c.prune(T0)).toEqual({ expired: 0, corrupt: 0, tempFiles: 0, kept: 0, superseded: 0, legacy: 0, packsRemoved: 0, packsWritten: 0 });
    expect(await c.clear()).toBe(0);
    expect(c.flush()).toEqual({ published: 0, compaction: null });
  });
});
