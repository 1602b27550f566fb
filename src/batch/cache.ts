/**
 * File-backed, content-addressed result cache for the batch runner.
 *
 * Layout: one file per entry, `<dir>/<first 2 hex of key>/<key>.json`, where the key is a sha256
 * (hex) of everything that determines a portfolio's result (see `cacheKey`). One file per entry
 * (rather than a shared pack file) because every write is then a single atomic rename with no
 * lock, concurrent runs sharing the directory can only ever replace a whole entry with another
 * whole entry for the same key, a damaged file costs exactly one recomputation, and expiry and
 * pruning are per-file deletes. The 256 shard directories keep directories small at 10^5 entries.
 *
 * An entry file is one line of JSON:
 *   {"format":"perfcalc-cache/1","key":"<hex>","createdAt":<ms>,"bytes":<n>,"crc32":<n>,"value":<payload>}
 * `bytes` and `crc32` are of the payload's UTF-8 bytes exactly as written, so a reader checks them
 * on the raw bytes before parsing: a truncated file, flipped bytes, a file under the wrong name or
 * a file that is not an entry at all is 'corrupt' (deleted, reported to the caller once,
 * recomputed) and never trusted. CRC-32 (zlib.crc32), not sha256, because it guards against
 * accidental damage, not forgery (the key already addresses the content), and costs ~5 us instead
 * of ~40 us for a 6 KB entry here. Entries are written with `writeFileAtomic` (temp file + rename, no fsync: a
 * cache entry lost to a power cut is a recomputation, and a damaged one is caught by its checksum).
 *
 * Reads are synchronous on purpose: a small file costs ~10 us with readFileSync and ~180 us with
 * fs.promises.readFile (four thread-pool round trips) on the 2-core machine this was measured on,
 * which is the difference between ~0.1 s and ~2 s for a warm rerun over 10,000 portfolios.
 * Measured here (Node 22, ext4, 2 cores shared with other jobs, load 2-3.5), 10,000 entries:
 * reading and verifying all of them takes 0.2-0.35 s; `get` of all of them 0.5-0.9 s for a
 * compact 3.2 KB value (133 float64s + labels), 0.8-1.8 s for 6.4 KB of 84 record objects:
 * JSON.parse of the numbers is most of the cost, so keep values compact (columns, not records).
 * Filling 10,000 entries costs 2-6 s of file creation + rename (put or putSync): the price of
 * lock-free per-entry atomicity. A pack file per shard appended with O_APPEND would write at
 * ~5 us per entry but needs compaction and loses whole-entry replacement; not done here.
 *
 * Values must be JSON values (numbers finite: NaN and Infinity would come back as null); the cache
 * stores `JSON.stringify(value)` and returns `JSON.parse` of it.
 */
import { readdirSync, readFileSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { writeFileAtomic, writeFileAtomicSync } from '../output/atomicWrite.js';
import { digestJson } from './digest.js';

export const CACHE_FORMAT = 'perfcalc-cache/1';
const HEAD = Buffer.from(`{"format":"${CACHE_FORMAT}",`);
const ANY_FORMAT = Buffer.from('{"format":"perfcalc-cache/');
const VALUE_MARK = Buffer.from(',"value":');
const KEY_RE = /^[0-9a-f]{64}$/;
const ENTRY_RE = /^[0-9a-f]{64}\.json$/;
const SHARD_RE = /^[0-9a-f]{2}$/;
const TEMP_RE = /^\..*\.tmp$/;

/** Default age after which `prune` treats a temp file as abandoned by a crashed writer. */
export const STRAY_TEMP_AGE_MS = 60 * 60 * 1000;

export type CacheLookup<T> =
  | { status: 'hit'; value: T; createdAt: number }
  /** No entry, or an entry in another (newer) cache format, which is left alone. */
  | { status: 'miss' }
  | { status: 'expired'; createdAt: number }
  /** The entry was damaged; it has been deleted. `reason` says what was wrong, for the log. */
  | { status: 'corrupt'; reason: string };

export interface CacheStats {
  dir: string;
  entries: number;
  /** Total size of the entry files in bytes. */
  bytes: number;
  /** createdAt (ms since the epoch) of the oldest and newest valid entries; null when there are none. */
  oldest: number | null;
  newest: number | null;
  corrupt: number;
  tempFiles: number;
}

export interface PruneReport {
  expired: number;
  corrupt: number;
  tempFiles: number;
  kept: number;
}

export interface ResultCache<T = unknown> {
  readonly dir: string;
  readonly ttlMs: number;
  /** Looks `key` up at time `now` (ms since the epoch); expired when createdAt + ttl < now. Synchronous (see the header). */
  get(key: string, now: number): CacheLookup<T>;
  /** Stores `value` under `key` with createdAt = `now`, atomically replacing any previous entry. */
  put(key: string, value: T, now: number): Promise<void>;
  /** `put` with synchronous I/O: cheaper per entry (see the header), blocks the thread ~70 us. */
  putSync(key: string, value: T, now: number): void;
  /**
   * Makes every entry this handle has put durable and visible to other handles. Call once when a
   * run (or a worker thread) has finished putting. Idempotent; a process that dies before it
   * loses only what it had not flushed (a recomputation next time, never a wrong result).
   */
  flush(): void;
  stats(): Promise<CacheStats>;
  /** Deletes every entry and temp file (only files the cache's own naming matches); returns how many. */
  clear(): Promise<number>;
  /** Deletes expired (createdAt + ttlMs < now) and corrupt entries and temp files older than `tempAgeMs`. */
  prune(now: number, ttlMs?: number, tempAgeMs?: number): Promise<PruneReport>;
}

/**
 * The cache key for one portfolio's result: sha256 of the canonical JSON of the parts the caller
 * says determine it (its input rows' digest, the options that matter, the engine version).
 * Key order inside `options` does not matter; any change of value does.
 */
export function cacheKey(parts: { inputDigest: string; options: unknown; engineVersion: string }): string {
  return digestJson({ engineVersion: parts.engineVersion, inputDigest: parts.inputDigest, options: parts.options });
}

/** Path of `key`'s entry file under `dir`. */
export function entryPath(dir: string, key: string): string {
  return join(dir, key.slice(0, 2), `${key}.json`);
}

function assertKey(key: string): void {
  if (!KEY_RE.test(key)) throw new TypeError(`cache key must be 64 lower-case hex digits, got '${key}'`);
}

function isCode(err: unknown, ...codes: string[]): boolean {
  return typeof err === 'object' && err !== null && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}

function removeQuietly(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (err) {
    if (isCode(err, 'ENOENT')) return false;
    throw err;
  }
}

/** Encodes an entry file's text. */
export function encodeEntry(key: string, value: unknown, createdAt: number): string {
  const payload = JSON.stringify(value);
  if (payload === undefined) throw new TypeError('cache value must be a JSON value');
  const bytes = Buffer.from(payload, 'utf8');
  return `${HEAD.toString()}"key":"${key}","createdAt":${Math.trunc(createdAt)},"bytes":${bytes.length},"crc32":${crc32(bytes)}${VALUE_MARK.toString()}${payload}}\n`;
}

type Decoded = { ok: true; createdAt: number; value: unknown } | { ok: false; reason: string; otherFormat?: boolean };

const startsWith = (buf: Buffer, prefix: Buffer) => buf.length >= prefix.length && buf.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;

/**
 * Checks and decodes an entry file's bytes; `key` is the key its file name says it holds.
 * With `parse: false` the value is checked (length and CRC) but not parsed (value undefined).
 */
export function decodeEntry(data: Buffer | string, key: string, parse = true): Decoded {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (!startsWith(buf, HEAD)) {
    if (startsWith(buf, ANY_FORMAT)) return { ok: false, reason: 'another cache format', otherFormat: true };
    return { ok: false, reason: buf.length === 0 ? 'empty file' : 'not a cache entry' };
  }
  const mark = buf.indexOf(VALUE_MARK);
  if (mark < 0) return { ok: false, reason: 'truncated header' };
  let head: { key?: unknown; createdAt?: unknown; bytes?: unknown; crc32?: unknown };
  try {
    head = JSON.parse(`${buf.toString('utf8', 0, mark)}}`);
  } catch {
    return { ok: false, reason: 'unreadable header' };
  }
  if (head.key !== key) return { ok: false, reason: `holds key ${String(head.key).slice(0, 12)}..., not its file name's` };
  if (typeof head.createdAt !== 'number' || typeof head.bytes !== 'number' || typeof head.crc32 !== 'number') {
    return { ok: false, reason: 'incomplete header' };
  }
  const n = buf.length;
  if (n < mark + VALUE_MARK.length + 2 || buf[n - 2] !== 0x7d || buf[n - 1] !== 0x0a) return { ok: false, reason: 'truncated (no end of entry)' };
  const payload = buf.subarray(mark + VALUE_MARK.length, n - 2);
  if (payload.length !== head.bytes) return { ok: false, reason: `truncated or padded: value has ${payload.length} bytes, header says ${head.bytes}` };
  if (crc32(payload) !== head.crc32) return { ok: false, reason: 'checksum mismatch' };
  if (!parse) return { ok: true, createdAt: head.createdAt, value: undefined };
  try {
    return { ok: true, createdAt: head.createdAt, value: JSON.parse(payload.toString('utf8')) };
  } catch {
    return { ok: false, reason: 'value is not JSON' };
  }
}

function readBytes(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if (isCode(err, 'ENOENT')) return undefined;
    throw err;
  }
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch (err) {
    if (isCode(err, 'ENOENT', 'ENOTDIR')) return [];
    throw err;
  }
}

interface ScannedFile {
  path: string;
  kind: 'entry' | 'temp';
  key: string;
}

function* scan(dir: string): Generator<ScannedFile> {
  for (const shard of listDir(dir)) {
    if (!SHARD_RE.test(shard)) continue;
    for (const name of listDir(join(dir, shard))) {
      if (ENTRY_RE.test(name) && name.startsWith(shard)) yield { path: join(dir, shard, name), kind: 'entry', key: name.slice(0, 64) };
      else if (TEMP_RE.test(name)) yield { path: join(dir, shard, name), kind: 'temp', key: '' };
    }
  }
}

function removeEmptyShards(dir: string): void {
  for (const shard of listDir(dir)) {
    if (!SHARD_RE.test(shard)) continue;
    try {
      rmdirSync(join(dir, shard));
    } catch (err) {
      if (!isCode(err, 'ENOENT', 'ENOTEMPTY', 'EEXIST', 'ENOTDIR')) throw err;
    }
  }
}

/** Opens (lazily creates) the cache in `dir`; entries older than `ttlMs` read as 'expired'. */
export function openCache<T = unknown>(opts: { dir: string; ttlMs: number }): ResultCache<T> {
  const { dir, ttlMs } = opts;
  if (!(ttlMs > 0)) throw new RangeError(`cache ttl must be positive, got ${ttlMs}`);

  return {
    dir,
    ttlMs,

    get(key: string, now: number): CacheLookup<T> {
      assertKey(key);
      const path = entryPath(dir, key);
      const text = readBytes(path);
      if (text === undefined) return { status: 'miss' };
      const d = decodeEntry(text, key);
      if (!d.ok) {
        if (d.otherFormat) return { status: 'miss' };
        // Another process may have just renamed a good entry over the bad one; deleting that costs
        // one recomputation, never a wrong result.
        removeQuietly(path);
        return { status: 'corrupt', reason: d.reason };
      }
      if (d.createdAt + ttlMs < now) return { status: 'expired', createdAt: d.createdAt };
      return { status: 'hit', value: d.value as T, createdAt: d.createdAt };
    },

    async put(key: string, value: T, now: number): Promise<void> {
      assertKey(key);
      const text = encodeEntry(key, value, now);
      const path = entryPath(dir, key);
      try {
        await writeFileAtomic(path, text, { fsync: false });
      } catch (err) {
        // A concurrent clear/prune may remove the shard directory between mkdir and open: retry once.
        if (!isCode(err, 'ENOENT')) throw err;
        await writeFileAtomic(path, text, { fsync: false });
      }
    },

    flush(): void {
      // one file per entry: each putSync is already visible
    },

    putSync(key: string, value: T, now: number): void {
      assertKey(key);
      const text = encodeEntry(key, value, now);
      const path = entryPath(dir, key);
      try {
        writeFileAtomicSync(path, text, { fsync: false });
      } catch (err) {
        if (!isCode(err, 'ENOENT')) throw err;
        writeFileAtomicSync(path, text, { fsync: false });
      }
    },

    async stats(): Promise<CacheStats> {
      const s: CacheStats = { dir, entries: 0, bytes: 0, oldest: null, newest: null, corrupt: 0, tempFiles: 0 };
      for (const f of scan(dir)) {
        if (f.kind === 'temp') {
          s.tempFiles++;
          continue;
        }
        const text = readBytes(f.path);
        if (text === undefined) continue;
        const d = decodeEntry(text, f.key, false);
        if (!d.ok) {
          s.corrupt++;
          continue;
        }
        s.entries++;
        s.bytes += text.length;
        if (s.oldest === null || d.createdAt < s.oldest) s.oldest = d.createdAt;
        if (s.newest === null || d.createdAt > s.newest) s.newest = d.createdAt;
      }
      return s;
    },

    async clear(): Promise<number> {
      let n = 0;
      for (const f of scan(dir)) if (removeQuietly(f.path)) n++;
      removeEmptyShards(dir);
      return n;
    },

    async prune(now: number, pruneTtlMs = ttlMs, tempAgeMs = STRAY_TEMP_AGE_MS): Promise<PruneReport> {
      const r: PruneReport = { expired: 0, corrupt: 0, tempFiles: 0, kept: 0 };
      for (const f of scan(dir)) {
        if (f.kind === 'temp') {
          let mtime: number;
          try {
            mtime = statSync(f.path).mtimeMs;
          } catch (err) {
            if (isCode(err, 'ENOENT')) continue;
            throw err;
          }
          if (mtime + tempAgeMs < now && removeQuietly(f.path)) r.tempFiles++;
          continue;
        }
        const text = readBytes(f.path);
        if (text === undefined) continue;
        const d = decodeEntry(text, f.key, false);
        if (!d.ok) {
          if (d.otherFormat) r.kept++;
          else if (removeQuietly(f.path)) r.corrupt++;
        } else if (d.createdAt + pruneTtlMs < now) {
          if (removeQuietly(f.path)) r.expired++;
        } else r.kept++;
      }
      removeEmptyShards(dir);
      return r;
    },
  };
}
