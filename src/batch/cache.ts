/**
 * File-backed, content-addressed result cache for the batch runner.
 *
 * Keys are sha256 (hex) of everything that determines a portfolio's result (see `cacheKey`), so an
 * entry is never updated in place: a key either has the right value or is recomputed. The
 * guarantees: a reader only ever sees a complete entry that was written for its key, or a miss;
 * damage (truncation, flipped bytes) is detected by a checksum, reported as 'corrupt' and never
 * trusted; a writer killed at any point costs recomputation, never a wrong result; several
 * processes and threads may share the directory at once without locks.
 *
 * Layout (format perfcalc-cache/2): pack files `<dir>/<base36 ms>-<pid>-<thread>-<12 hex>.pack`.
 * Each handle (one per process or worker thread) appends the entries it puts to its own pack,
 * under a temp name `.<name>.tmp`, through a 512 KB write buffer; `flush()` appends the pack's
 * index and renames it to its final name. The rename is the publication: a published pack is
 * complete and immutable, a temp pack (a writer killed before flush) is invisible to everyone
 * else and removed after `STRAY_TEMP_AGE_MS`. After a flush the handle starts a new pack on its
 * next put. Per-file entries (perfcalc-cache/1, one `<2 hex>/<key>.json` each, replaced by this
 * because creating and renaming 10,000 files cost 3-9 s per cold run, mostly kernel time) are
 * ignored (misses) and removed by `prune` and `clear`.
 *
 * A pack, all integers little-endian:
 *   "perfcalc-cache/2"                                   16 bytes
 *   entries: "PCR2", key (32 bytes), createdAt (f64 ms), length (u32), crc (u32), value (length bytes)
 *   index: per entry key (32), offset of the entry (u48 + 2 zero bytes), length (u32), createdAt (f64), crc (u32)
 *   footer: offset of the index (u48 + 2), entry count (u32), CRC-32 of index + these 12 bytes (u32), "perfcalc-index/2"
 * An entry's crc is CRC-32 of its header bytes 4..48 (key, createdAt, length) followed by the
 * value (JSON.stringify, UTF-8), so it binds the value to its key and time: `get` preads the
 * entry and checks header against index and crc before JSON.parse; a mismatch is 'corrupt'. A
 * pack whose footer or index is damaged (e.g. truncated) is read entry by entry from the start
 * instead: complete entries with good checksums are used, an entry cut short is 'corrupt', and
 * the rest is lost (misses). CRC-32 (zlib.crc32), not sha256: it guards against accidental
 * damage, not forgery (the key already addresses the content), at ~2.5 GB/s.
 *
 * Reading: on its first `get` a handle opens every published pack and loads the indexes into a
 * Map (~1 us per entry); it keeps the descriptors, so a pack that a compaction deletes meanwhile
 * stays readable; `flush()` closes them and forgets the Map (the next `get` reloads). Packs
 * published by other handles after that load are not seen until then: a miss, recomputed. When
 * several entries hold a key the newest wins: larger createdAt, then the later pack name, then
 * the later entry in the pack; a handle sees its own puts at once, before its flush. A corrupt
 * entry is reported once per handle, then the key is a miss; the recomputed entry is newer and
 * wins for every later reader, and `prune` drops the damaged one.
 *
 * Keeping packs few: each flush that published a pack (nightly, one per worker) also removes
 * stray temp packs, deletes packs none of whose entries is live (every entry expired at the
 * time of the handle's latest put, or superseded by a newer entry of its key in another pack;
 * from the indexes alone, no data read), and when more than `maxPacks` (default 32) remain,
 * merges the smallest half into one new pack (entries copied and checked, published, then the
 * old packs deleted). Entries expire within the TTL, so a nightly run with changed inputs keeps
 * about (TTL in days x workers) packs. `prune` additionally reads and checks every live entry
 * and rewrites every pack with a dead entry. Compactions that race (two processes) can only
 * duplicate an entry or lose one to a recomputation: a pack is deleted only after the entries
 * kept from it are in a published pack. A `.compact.lock` file keeps two flushes from merging
 * at once (skipped when taken; removed by prune when stale).
 *
 * No fsync: an entry lost to a power cut is a recomputation, and a damaged one is caught by its
 * checksum. Reads and writes are synchronous on purpose (a pread is ~5 us; a thread-pool round
 * trip ~50-180 us on the 2-core machine this was measured on). Measured there (Node 22, ext4, 2
 * cores shared with other jobs, load 2.5-4), `node bench/probes/cache.mjs --src <per-file tree>
 * --src .`, 10,000 entries of 3.4 KB JSON (16 result rows), medians of 3 in two sessions:
 *   putSync x 10,000 + flush: 0.37-0.49 s (flush 0.02-0.03 s), of which JSON.stringify alone is
 *     0.31-0.38 s; one file per entry took 6.1-8.4 s (user 1.0-1.4 s, system 3.8-7.1 s).
 *   a fresh handle's get of all 10,000: 0.50-0.60 s (index load ~0.03-0.07 s), of which
 *     JSON.parse alone is 0.33-0.35 s; one file per entry took 0.73-0.81 s.
 *   disk: one 35.7 MB pack instead of 10,000 files of 36.3 MB.
 *
 * Values must be JSON values (numbers finite: NaN and Infinity would come back as null); the cache
 * stores `JSON.stringify(value)` and returns `JSON.parse` of it, which is most of the cost of a
 * put or a get: keep values compact.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readSync, readdirSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { digestJson } from './digest.js';

export const CACHE_FORMAT = 'perfcalc-cache/2';
const PACK_HEAD = Buffer.from(CACHE_FORMAT, 'latin1'); // 16 bytes
const FOOT_MAGIC = Buffer.from('perfcalc-index/2', 'latin1'); // 16 bytes
const ENTRY_MAGIC = 0x32524350; // "PCR2" read as a little-endian u32
const ENTRY_HEAD = 52;
const INDEX_ENTRY = 56;
const FOOT = 48;
const WRITE_BUFFER = 512 * 1024;

const KEY_RE = /^[0-9a-f]{64}$/;
const PACK_RE = /^[0-9a-z]+-\d+-\d+-[0-9a-f]{12}\.pack$/;
const PACK_TEMP_RE = /^\.[0-9a-z]+-\d+-\d+-[0-9a-f]{12}\.pack\.tmp$/;
const LOCK = '.compact.lock';
/** perfcalc-cache/1: one file per entry under 256 shard directories. */
const LEGACY_ENTRY_RE = /^[0-9a-f]{64}\.json$/;
const LEGACY_TEMP_RE = /^\..*\.tmp$/;
const SHARD_RE = /^[0-9a-f]{2}$/;

/** Default age after which a temp pack (or a compaction lock) is treated as abandoned by a crashed writer. */
export const STRAY_TEMP_AGE_MS = 60 * 60 * 1000;
/** Default number of packs above which a flush merges the smaller ones. */
export const MAX_PACKS = 32;

export type CacheLookup<T> =
  | { status: 'hit'; value: T; createdAt: number }
  /** No entry (or only a per-file entry of the old format, which is ignored). */
  | { status: 'miss' }
  | { status: 'expired'; createdAt: number }
  /** The newest entry for the key was damaged; this handle will not read it again. `reason` says what was wrong, for the log. */
  | { status: 'corrupt'; reason: string };

export interface CacheStats {
  dir: string;
  /** Keys with a valid entry (expired or not). */
  entries: number;
  /** Total size of the published pack files in bytes (live, superseded and corrupt entries, indexes). */
  bytes: number;
  /** createdAt (ms since the epoch) of the oldest and newest valid entries; null when there are none. */
  oldest: number | null;
  newest: number | null;
  /** Entries that fail their checks (a damaged pack counts its unreadable remainder as one). */
  corrupt: number;
  /** Unpublished (temp) packs: writers at work or killed before their flush. */
  tempFiles: number;
  /** Published pack files. */
  packs: number;
  /** Older entries of keys that have a newer valid one: space `prune` reclaims. */
  superseded: number;
  /** Files of the old per-file format (perfcalc-cache/1): ignored, removed by prune and clear. */
  legacy: number;
}

export interface PruneReport {
  /** Entries dropped because createdAt + ttl < now. */
  expired: number;
  /** Entries dropped because they failed their checks (a damaged pack's unreadable remainder counts as one). */
  corrupt: number;
  /** Temp packs older than the stray-temp age (and a stale compaction lock) removed. */
  tempFiles: number;
  /** Live entries kept. */
  kept: number;
  /** Older entries of keys with a newer live one, dropped. */
  superseded: number;
  /** Files of the old per-file format (perfcalc-cache/1) removed (prune only; 0 for a flush's compaction). */
  legacy: number;
  /** Pack files deleted (all their entries dead, or rewritten into a new pack). */
  packsRemoved: number;
  /** New packs written (the live entries of rewritten packs). */
  packsWritten: number;
}

/** What a flush did: entries published, and the error that kept it from publishing or compacting, if any. */
export interface FlushReport {
  published: number;
  /** The automatic compaction after publishing; null when none ran (nothing published, or another process was compacting). */
  compaction: PruneReport | null;
  error?: string;
}

export interface ResultCache<T = unknown> {
  readonly dir: string;
  readonly ttlMs: number;
  /** Looks `key` up at time `now` (ms since the epoch); expired when createdAt + ttl < now. Synchronous (see the header). */
  get(key: string, now: number): CacheLookup<T>;
  /** `putSync`, as a promise (the work is the same synchronous append). */
  put(key: string, value: T, now: number): Promise<void>;
  /**
   * Stores `value` under `key` with createdAt = `now`: appended to this handle's pack, readable by
   * this handle at once, by others after `flush()`. Throws if the pack cannot be written (the
   * handle then drops its unflushed entries: recomputed next time).
   */
  putSync(key: string, value: T, now: number): void;
  /**
   * Makes every entry this handle has put visible to other handles (publishes its pack), then
   * compacts the directory (see the header) and releases the handle's read descriptors. Call once
   * when a run (or a worker thread) has finished putting. Idempotent; a process that dies before
   * it loses only what it had not flushed (a recomputation next time, never a wrong result).
   * Never throws for I/O errors: they come back in `error` (the entries are then lost).
   */
  flush(): FlushReport;
  stats(): Promise<CacheStats>;
  /** Deletes every pack, temp pack, lock and old-format file (only names the cache's own naming matches); returns how many files. */
  clear(): Promise<number>;
  /**
   * Drops expired (createdAt + ttlMs < now), corrupt and superseded entries: packs with no live
   * entry are deleted, packs with some are rewritten into one new pack; removes temp packs older
   * than `tempAgeMs` and old-format files.
   */
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

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed or invalid: nothing to release
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

function mtimeOf(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch (err) {
    if (isCode(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** Reads up to `length` bytes at `position` into `into` (default a new buffer); shorter at the end of the file. */
function pread(fd: number, length: number, position: number, into?: Buffer): Buffer {
  const buf = into && into.length >= length ? into : Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got === buf.length ? buf : buf.subarray(0, got);
}

function pwriteAll(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

function newPackName(): string {
  return `${Date.now().toString(36)}-${process.pid}-${threadId}-${randomBytes(6).toString('hex')}.pack`;
}

// ---------------------------------------------------------------------------------------------
// Packs on disk

interface Pack {
  name: string;
  /** Where the bytes are: the final path, or the temp path of a pack still being written. */
  path: string;
  fd: number;
}

/** Where one entry is. `bad` is set for an entry already known to be damaged (found reading a damaged pack). */
interface Loc {
  pack: Pack;
  offset: number;
  length: number;
  createdAt: number;
  crc: number;
  bad?: string;
}

/** Whether `a` wins over `b` for the same key: newer createdAt, then later pack name, then later entry. */
function newer(a: Loc, b: Loc): boolean {
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt;
  if (a.pack.name !== b.pack.name) return a.pack.name > b.pack.name;
  return a.offset > b.offset;
}

function entryCrc(head: Buffer, value: Buffer): number {
  return crc32(value, crc32(head.subarray(4, 48)));
}

function writeEntryHead(buf: Buffer, at: number, key: string, createdAt: number, length: number): void {
  buf.writeUInt32LE(ENTRY_MAGIC, at);
  buf.write(key, at + 4, 32, 'hex');
  buf.writeDoubleLE(createdAt, at + 36);
  buf.writeUInt32LE(length, at + 44);
}

/** Checks an entry's bytes (header + value) against its index record; returns what is wrong, or null. */
function checkEntry(entry: Buffer, key: string, loc: Loc): string | null {
  if (entry.length < ENTRY_HEAD + loc.length) return 'truncated pack (entry ends past the end of its file)';
  if (
    entry.readUInt32LE(0) !== ENTRY_MAGIC ||
    entry.toString('hex', 4, 36) !== key ||
    entry.readDoubleLE(36) !== loc.createdAt ||
    entry.readUInt32LE(44) !== loc.length ||
    entry.readUInt32LE(48) !== loc.crc
  ) {
    return 'entry header does not match the index';
  }
  if (entryCrc(entry, entry.subarray(ENTRY_HEAD)) !== loc.crc) return 'checksum mismatch';
  return null;
}

interface PackContents {
  entries: Array<[string, Loc]>;
  /** Why the footer or index could not be used (the entries were then read one by one from the start). */
  damaged?: string;
  /** A damaged pack whose walk stopped before its end at bytes that are no entry: what followed is lost (counted as one corrupt entry). */
  unreadableTail: boolean;
}

function footer(foot: Buffer): { at: number; oldest: number; newest: number; count: number } {
  return { at: foot.readUIntLE(0, 6), oldest: foot.readDoubleLE(8), newest: foot.readDoubleLE(16), count: foot.readUInt32LE(24) };
}

/** The footer of a published pack, unchecked (its CRC covers the index, which is not read): undefined when it has none. */
function readFooter(pack: Pack): ReturnType<typeof footer> | undefined {
  const size = fstatSync(pack.fd).size;
  if (size < PACK_HEAD.length + FOOT) return undefined;
  const foot = pread(pack.fd, FOOT, size - FOOT);
  if (foot.length < FOOT || !foot.subarray(FOOT - 16).equals(FOOT_MAGIC)) return undefined;
  const f = footer(foot);
  return f.at + f.count * INDEX_ENTRY + FOOT === size ? f : undefined;
}

/** A published pack's index entries, or why the index cannot be used. */
function readIndex(pack: Pack, size: number): Array<[string, Loc]> | string {
  if (size < PACK_HEAD.length + FOOT) return 'too short for a pack';
  const foot = pread(pack.fd, FOOT, size - FOOT);
  if (foot.length < FOOT || !foot.subarray(FOOT - 16).equals(FOOT_MAGIC)) return 'no index (truncated or damaged pack)';
  const { at, count } = footer(foot);
  if (at < PACK_HEAD.length || at + count * INDEX_ENTRY + FOOT !== size) return 'index size does not match the file';
  const index = pread(pack.fd, count * INDEX_ENTRY, at);
  if (index.length < count * INDEX_ENTRY || crc32(foot.subarray(0, 28), crc32(index)) !== foot.readUInt32LE(28)) return 'index checksum mismatch';
  const entries: Array<[string, Loc]> = new Array(count);
  for (let i = 0, o = 0; i < count; i++, o += INDEX_ENTRY) {
    const loc: Loc = {
      pack,
      offset: index.readUIntLE(o + 32, 6),
      length: index.readUInt32LE(o + 40),
      createdAt: index.readDoubleLE(o + 44),
      crc: index.readUInt32LE(o + 52),
    };
    if (loc.offset < PACK_HEAD.length || loc.offset + ENTRY_HEAD + loc.length > at) return 'index points outside the entries';
    entries[i] = [index.toString('hex', o, o + 32), loc];
  }
  return entries;
}

/**
 * Reads a published pack's index; when that is damaged, walks its entries from the start instead:
 * each carries its key, time, length and checksum, so complete entries are still usable, an entry
 * cut short is known by key and marked bad, and the walk stops at the first bytes that are no entry.
 */
function readPack(pack: Pack): PackContents {
  const size = fstatSync(pack.fd).size;
  const index = readIndex(pack, size);
  if (typeof index !== 'string') return { entries: index, unreadableTail: false };
  const contents: PackContents = { entries: [], damaged: index, unreadableTail: false };
  let pos = PACK_HEAD.length;
  if (!pread(pack.fd, PACK_HEAD.length, 0).equals(PACK_HEAD)) pos = size + 1;
  while (pos < size) {
    const h = pread(pack.fd, ENTRY_HEAD, pos);
    if (h.length < ENTRY_HEAD || h.readUInt32LE(0) !== ENTRY_MAGIC) break;
    const key = h.toString('hex', 4, 36);
    const loc: Loc = { pack, offset: pos, length: h.readUInt32LE(44), createdAt: h.readDoubleLE(36), crc: h.readUInt32LE(48) };
    contents.entries.push([key, loc]);
    if (pos + ENTRY_HEAD + loc.length > size) {
      loc.bad = 'truncated pack (entry ends past the end of its file)';
      pos = size;
      break;
    }
    loc.bad = checkEntry(pread(pack.fd, ENTRY_HEAD + loc.length, pos), key, loc) ?? undefined;
    pos += ENTRY_HEAD + loc.length;
  }
  contents.unreadableTail = pos !== size;
  return contents;
}

/** Opens a published pack; undefined when it has just been deleted (by a compaction or clear). */
function openPack(dir: string, name: string): Pack | undefined {
  const path = join(dir, name);
  try {
    return { name, path, fd: openSync(path, 'r') };
  } catch (err) {
    if (isCode(err, 'ENOENT')) return undefined;
    throw err;
  }
}

function listPacks(dir: string): string[] {
  return listDir(dir)
    .filter((n) => PACK_RE.test(n))
    .sort();
}

/** A pack being written: entries go through `buf`, which holds the file's bytes from `bufStart` on. */
class PackWriter {
  readonly pack: Pack;
  private readonly tmp: string;
  private readonly finalPath: string;
  private buf = Buffer.allocUnsafe(WRITE_BUFFER);
  private bufLen = 0;
  private bufStart = 0;
  readonly entries: Array<[string, Loc]> = [];
  /** The largest createdAt put: the handle's clock for the compaction after its flush. */
  latest = -Infinity;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    const name = newPackName();
    this.finalPath = join(dir, name);
    this.tmp = join(dir, `.${name}.tmp`);
    this.pack = { name, path: this.tmp, fd: openSync(this.tmp, 'wx+') };
    PACK_HEAD.copy(this.buf, 0);
    this.bufLen = PACK_HEAD.length;
  }

  private spill(): void {
    if (this.bufLen === 0) return;
    pwriteAll(this.pack.fd, this.buf.subarray(0, this.bufLen), this.bufStart);
    this.bufStart += this.bufLen;
    this.bufLen = 0;
  }

  /** Appends an entry from its JSON text; returns its location. */
  append(key: string, text: string, createdAt: number): Loc {
    const length = Buffer.byteLength(text, 'utf8');
    const total = ENTRY_HEAD + length;
    if (this.bufLen + total > this.buf.length) this.spill();
    const offset = this.bufStart + this.bufLen;
    let crc: number;
    if (total <= this.buf.length) {
      const at = this.bufLen;
      writeEntryHead(this.buf, at, key, createdAt, length);
      this.buf.write(text, at + ENTRY_HEAD, length, 'utf8');
      crc = entryCrc(this.buf.subarray(at, at + ENTRY_HEAD), this.buf.subarray(at + ENTRY_HEAD, at + total));
      this.buf.writeUInt32LE(crc, at + 48);
      this.bufLen += total;
    } else {
      const entry = Buffer.allocUnsafe(total);
      writeEntryHead(entry, 0, key, createdAt, length);
      entry.write(text, ENTRY_HEAD, length, 'utf8');
      crc = entryCrc(entry, entry.subarray(ENTRY_HEAD));
      entry.writeUInt32LE(crc, 48);
      pwriteAll(this.pack.fd, entry, offset);
      this.bufStart += total;
    }
    const loc: Loc = { pack: this.pack, offset, length, createdAt, crc };
    this.entries.push([key, loc]);
    if (createdAt > this.latest) this.latest = createdAt;
    return loc;
  }

  /** Appends an entry copied verbatim (header and value) from another pack. */
  appendRaw(key: string, entry: Buffer, from: Loc): void {
    if (this.bufLen + entry.length > this.buf.length) this.spill();
    const offset = this.bufStart + this.bufLen;
    if (entry.length <= this.buf.length) {
      entry.copy(this.buf, this.bufLen);
      this.bufLen += entry.length;
    } else {
      pwriteAll(this.pack.fd, entry, offset);
      this.bufStart += entry.length;
    }
    this.entries.push([key, { pack: this.pack, offset, length: from.length, createdAt: from.createdAt, crc: from.crc }]);
  }

  /** An entry's bytes (header + value), from the buffer when not yet written (valid until the next append), else read into `into`. */
  read(loc: Loc, into: Buffer): Buffer {
    const n = ENTRY_HEAD + loc.length;
    if (loc.offset >= this.bufStart) return this.buf.subarray(loc.offset - this.bufStart, loc.offset - this.bufStart + n);
    return pread(this.pack.fd, n, loc.offset, into);
  }

  /** Writes the index and footer and renames the pack into place. False when the temp file was removed meanwhile (clear/prune). */
  publish(): boolean {
    this.spill();
    const count = this.entries.length;
    const tail = Buffer.alloc(count * INDEX_ENTRY + FOOT);
    for (let i = 0; i < count; i++) {
      const [key, loc] = this.entries[i]!;
      const o = i * INDEX_ENTRY;
      tail.write(key, o, 32, 'hex');
      tail.writeUIntLE(loc.offset, o + 32, 6);
      tail.writeUInt32LE(loc.length, o + 40);
      tail.writeDoubleLE(loc.createdAt, o + 44);
      tail.writeUInt32LE(loc.crc, o + 52);
    }
    const f = count * INDEX_ENTRY;
    let oldest = Infinity;
    let newest = -Infinity;
    for (const [, loc] of this.entries) {
      if (loc.createdAt < oldest) oldest = loc.createdAt;
      if (loc.createdAt > newest) newest = loc.createdAt;
    }
    tail.writeUIntLE(this.bufStart, f, 6);
    tail.writeDoubleLE(oldest, f + 8);
    tail.writeDoubleLE(newest, f + 16);
    tail.writeUInt32LE(count, f + 24);
    tail.writeUInt32LE(crc32(tail.subarray(f, f + 28), crc32(tail.subarray(0, f))), f + 28);
    FOOT_MAGIC.copy(tail, f + 32);
    pwriteAll(this.pack.fd, tail, this.bufStart);
    closeSync(this.pack.fd);
    this.pack.fd = -1;
    this.buf = Buffer.alloc(0);
    try {
      renameSync(this.tmp, this.finalPath);
      return true;
    } catch (err) {
      if (isCode(err, 'ENOENT')) return false;
      throw err;
    }
  }

  /** Gives the pack up: closes and deletes the temp file. */
  discard(): void {
    if (this.pack.fd >= 0) closeQuietly(this.pack.fd);
    this.pack.fd = -1;
    this.buf = Buffer.alloc(0);
    try {
      unlinkSync(this.tmp);
    } catch {
      // already gone
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Surveys and compaction (stats, prune, the flush's automatic compaction)

interface SurveyedPack {
  pack: Pack;
  size: number;
  contents: PackContents;
  /** Live entries and their bytes (header + value). */
  live: number;
  liveBytes: number;
  /** Dead entries by reason; `corrupt` includes an unreadable tail as one. */
  expired: number;
  corrupt: number;
  superseded: number;
}

interface Survey {
  packs: SurveyedPack[];
  /** Per key, the live entry. */
  live: Map<string, Loc>;
  oldest: number | null;
  newest: number | null;
}

const dead = (p: SurveyedPack) => p.expired + p.corrupt + p.superseded;

/**
 * Opens every published pack and classifies its entries in one pass: an entry is dead when it is
 * expired (createdAt + ttlMs < now), known bad or (with `verify`, which reads every entry that is
 * not expired) fails its checks, or is superseded by a newer entry of its key; per key the newest
 * remaining entry is live. The caller closes the packs.
 */
function survey(dir: string, now: number, ttlMs: number, verify: boolean): Survey {
  const s: Survey = { packs: [], live: new Map(), oldest: null, newest: null };
  const slot = new Map<Pack, SurveyedPack>();
  try {
    for (const name of listPacks(dir)) {
      const pack = openPack(dir, name);
      if (!pack) continue;
      const p: SurveyedPack = { pack, size: 0, contents: { entries: [], unreadableTail: false }, live: 0, liveBytes: 0, expired: 0, corrupt: 0, superseded: 0 };
      s.packs.push(p);
      slot.set(pack, p);
      p.size = fstatSync(pack.fd).size;
      p.contents = readPack(pack);
      if (p.contents.unreadableTail) p.corrupt++;
      for (const [key, loc] of p.contents.entries) {
        if (loc.createdAt + ttlMs < now) p.expired++;
        else if (loc.bad || (verify && (loc.bad = verifyEntry(key, loc)))) p.corrupt++;
        else {
          const cur = s.live.get(key);
          if (!cur || newer(loc, cur)) {
            s.live.set(key, loc);
            if (cur) slot.get(cur.pack)!.superseded++;
          } else p.superseded++;
        }
      }
    }
  } catch (err) {
    for (const p of s.packs) closeQuietly(p.pack.fd);
    throw err;
  }
  for (const loc of s.live.values()) {
    const p = slot.get(loc.pack)!;
    p.live++;
    p.liveBytes += ENTRY_HEAD + loc.length;
    if (s.oldest === null || loc.createdAt < s.oldest) s.oldest = loc.createdAt;
    if (s.newest === null || loc.createdAt > s.newest) s.newest = loc.createdAt;
  }
  return s;
}

/** Reads an entry and checks it against its location; returns what is wrong, or undefined. */
function verifyEntry(key: string, loc: Loc): string | undefined {
  return checkEntry(pread(loc.pack.fd, ENTRY_HEAD + loc.length, loc.offset), key, loc) ?? undefined;
}

function emptyReport(): PruneReport {
  return { expired: 0, corrupt: 0, tempFiles: 0, kept: 0, superseded: 0, legacy: 0, packsRemoved: 0, packsWritten: 0 };
}

/** Removes temp packs (and a compaction lock) last modified before now - tempAgeMs; returns how many. */
function removeStrayTemps(dir: string, now: number, tempAgeMs: number): number {
  let n = 0;
  for (const name of listDir(dir)) {
    if (!PACK_TEMP_RE.test(name) && name !== LOCK) continue;
    const path = join(dir, name);
    const mtime = mtimeOf(path);
    if (mtime !== undefined && mtime + tempAgeMs < now && removeQuietly(path)) n++;
  }
  return n;
}

/**
 * Compacts the directory: deletes packs with no live entry and rewrites into one new pack the live
 * entries of the packs `rewrite(survey)` chooses (each checked as it is copied), publishing it
 * before the old packs are deleted. Adds to `r` what it dropped and how many live entries remain.
 */
function compact(dir: string, now: number, ttlMs: number, verify: boolean, rewrite: (s: Survey) => Set<Pack>, r: PruneReport): void {
  const s = survey(dir, now, ttlMs, verify);
  try {
    const chosen = rewrite(s);
    const remove = s.packs.filter((p) => p.live === 0 || chosen.has(p.pack));
    let kept = s.live.size;
    let lost = 0;
    let writer: PackWriter | undefined;
    try {
      for (const p of remove) {
        if (p.live === 0) continue;
        for (const [key, loc] of p.contents.entries) {
          if (s.live.get(key) !== loc) continue;
          const entry = pread(loc.pack.fd, ENTRY_HEAD + loc.length, loc.offset);
          if (checkEntry(entry, key, loc)) {
            kept--;
            lost++;
            continue;
          }
          writer ??= new PackWriter(dir);
          writer.appendRaw(key, entry, loc);
        }
      }
      if (writer && !writer.publish()) return; // a clear removed it: delete nothing
    } catch (err) {
      writer?.discard();
      throw err;
    }
    if (writer) r.packsWritten++;
    r.kept += kept;
    r.corrupt += lost;
    for (const p of remove) {
      if (!removeQuietly(p.pack.path)) continue;
      r.packsRemoved++;
      r.expired += p.expired;
      r.corrupt += p.corrupt;
      r.superseded += p.superseded;
    }
  } finally {
    for (const p of s.packs) closeQuietly(p.pack.fd);
  }
}

/** The compaction a flush runs: dead packs deleted; the smaller packs merged when more than `maxPacks` are left. */
function autoCompact(dir: string, now: number, ttlMs: number, tempAgeMs: number, maxPacks: number): PruneReport | null {
  // expiry is judged by the handle's clock (its latest put), file ages by the wall clock
  const wall = Date.now();
  const lock = join(dir, LOCK);
  let fd: number;
  try {
    fd = openSync(lock, 'wx');
  } catch (err) {
    if (!isCode(err, 'EEXIST')) throw err;
    const mtime = mtimeOf(lock);
    if (mtime !== undefined && mtime + tempAgeMs >= wall) return null; // another handle is compacting
    removeQuietly(lock);
    try {
      fd = openSync(lock, 'wx');
    } catch (again) {
      if (isCode(again, 'EEXIST')) return null;
      throw again;
    }
  }
  closeSync(fd);
  try {
    const r = emptyReport();
    r.tempFiles = removeStrayTemps(dir, wall, tempAgeMs);
    // from the footers alone: delete packs whose newest entry has expired; note damaged ones
    let remaining = 0;
    let damaged = false;
    for (const name of listPacks(dir)) {
      const pack = openPack(dir, name);
      if (!pack) continue;
      let f: ReturnType<typeof readFooter>;
      try {
        f = readFooter(pack);
      } finally {
        closeQuietly(pack.fd);
      }
      if (!f) damaged = true;
      if (f && f.newest + ttlMs < now) {
        if (removeQuietly(pack.path)) {
          r.packsRemoved++;
          r.expired += f.count;
        }
      } else {
        remaining++;
        r.kept += f?.count ?? 0;
      }
    }
    if (remaining <= maxPacks && !damaged) return r;
    r.kept = 0;
    compact(dir, now, ttlMs, false, (s) => {
      const chosen = new Set(s.packs.filter((p) => p.live > 0 && p.contents.damaged).map((p) => p.pack));
      const healthy = s.packs.filter((p) => p.live > 0 && !p.contents.damaged);
      if (healthy.length > maxPacks) {
        healthy.sort((a, b) => a.liveBytes - b.liveBytes);
        for (const p of healthy.slice(0, healthy.length - Math.floor(maxPacks / 2) + 1)) chosen.add(p.pack);
      }
      return chosen;
    }, r);
    return r;
  } finally {
    removeQuietly(lock);
  }
}

/** perfcalc-cache/1 files: per-entry files and their temps in the shard directories. */
function* legacyFiles(dir: string): Generator<{ path: string; temp: boolean }> {
  for (const shard of listDir(dir)) {
    if (!SHARD_RE.test(shard)) continue;
    for (const name of listDir(join(dir, shard))) {
      if (LEGACY_ENTRY_RE.test(name) && name.startsWith(shard)) yield { path: join(dir, shard, name), temp: false };
      else if (LEGACY_TEMP_RE.test(name)) yield { path: join(dir, shard, name), temp: true };
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

// ---------------------------------------------------------------------------------------------

/**
 * Opens (lazily creates) the cache in `dir`; entries older than `ttlMs` read as 'expired'.
 * `maxPacks` and `tempAgeMs` tune the flush's automatic compaction (see the header).
 */
export function openCache<T = unknown>(opts: { dir: string; ttlMs: number; maxPacks?: number; tempAgeMs?: number }): ResultCache<T> {
  const { dir, ttlMs } = opts;
  const maxPacks = opts.maxPacks ?? MAX_PACKS;
  const tempAgeMs = opts.tempAgeMs ?? STRAY_TEMP_AGE_MS;
  if (!(ttlMs > 0)) throw new RangeError(`cache ttl must be positive, got ${ttlMs}`);
  if (!(maxPacks >= 2)) throw new RangeError(`cache maxPacks must be at least 2, got ${maxPacks}`);

  /** The loaded view: newest entry per key, over the packs loaded at the first get and this handle's puts. */
  const index = new Map<string, Loc>();
  const packs = new Map<string, Pack>();
  let loaded = false;
  let writer: PackWriter | null = null;
  /** Reused for every get's read (entries are parsed before the next one is read), grown to the largest entry. */
  let scratch = Buffer.allocUnsafeSlow(16 * 1024);

  const offer = (key: string, loc: Loc): void => {
    const cur = index.get(key);
    if (!cur || newer(loc, cur)) index.set(key, loc);
  };

  const load = (): void => {
    loaded = true;
    // a pack deleted between listing and opening was merged into a newer pack: list again for it
    for (let attempt = 0; attempt < 3; attempt++) {
      let vanished = false;
      for (const name of listPacks(dir)) {
        if (packs.has(name)) continue;
        const pack = openPack(dir, name);
        if (!pack) {
          vanished = true;
          continue;
        }
        packs.set(name, pack);
        for (const [key, loc] of readPack(pack).entries) offer(key, loc);
      }
      if (!vanished) break;
    }
  };

  const release = (): void => {
    for (const pack of packs.values()) closeQuietly(pack.fd);
    packs.clear();
    index.clear();
    loaded = false;
  };

  /** Drops the unflushed pack and its entries from the view. */
  const abandon = (w: PackWriter): void => {
    w.discard();
    for (const [key, loc] of w.entries) if (index.get(key) === loc) index.delete(key);
    if (writer === w) writer = null;
  };

  const cache: ResultCache<T> = {
    dir,
    ttlMs,

    get(key: string, now: number): CacheLookup<T> {
      assertKey(key);
      if (!loaded) load();
      const loc = index.get(key);
      if (!loc) return { status: 'miss' };
      let problem = loc.bad;
      let entry: Buffer | undefined;
      if (!problem) {
        const n = ENTRY_HEAD + loc.length;
        if (scratch.length < n) scratch = Buffer.allocUnsafeSlow(Math.max(n, 2 * scratch.length));
        const into = scratch.subarray(0, n);
        entry = writer && loc.pack === writer.pack ? writer.read(loc, into) : pread(loc.pack.fd, n, loc.offset, into);
        problem = checkEntry(entry, key, loc) ?? undefined;
      }
      if (!problem && loc.createdAt + ttlMs < now) return { status: 'expired', createdAt: loc.createdAt };
      if (!problem) {
        try {
          return { status: 'hit', value: JSON.parse(entry!.toString('utf8', ENTRY_HEAD)) as T, createdAt: loc.createdAt };
        } catch {
          problem = 'value is not JSON';
        }
      }
      index.delete(key);
      return { status: 'corrupt', reason: problem };
    },

    async put(key: string, value: T, now: number): Promise<void> {
      cache.putSync(key, value, now);
    },

    putSync(key: string, value: T, now: number): void {
      assertKey(key);
      const text = JSON.stringify(value);
      if (text === undefined) throw new TypeError('cache value must be a JSON value');
      const createdAt = Math.trunc(now);
      const w = (writer ??= new PackWriter(dir));
      let loc: Loc;
      try {
        loc = w.append(key, text, createdAt);
      } catch (err) {
        abandon(w);
        throw err;
      }
      offer(key, loc);
    },

    flush(): FlushReport {
      const w = writer;
      const report: FlushReport = { published: 0, compaction: null };
      writer = null;
      if (w) {
        try {
          if (w.publish()) report.published = w.entries.length;
        } catch (err) {
          abandon(w);
          report.error = `could not publish cache pack: ${(err as Error).message}`;
        }
      }
      release();
      if (report.published > 0) {
        try {
          report.compaction = autoCompact(dir, w!.latest, ttlMs, tempAgeMs, maxPacks);
        } catch (err) {
          report.error = `could not compact the cache: ${(err as Error).message}`;
        }
      }
      return report;
    },

    async stats(): Promise<CacheStats> {
      const s = survey(dir, 0, Infinity, true);
      for (const p of s.packs) closeQuietly(p.pack.fd);
      let tempFiles = 0;
      let legacy = 0;
      for (const name of listDir(dir)) if (PACK_TEMP_RE.test(name)) tempFiles++;
      for (const f of legacyFiles(dir)) {
        if (f.temp) tempFiles++;
        else legacy++;
      }
      return {
        dir,
        entries: s.live.size,
        bytes: s.packs.reduce((n, p) => n + p.size, 0),
        oldest: s.oldest,
        newest: s.newest,
        corrupt: s.packs.reduce((n, p) => n + p.corrupt, 0),
        tempFiles,
        packs: s.packs.length,
        superseded: s.packs.reduce((n, p) => n + p.superseded, 0),
        legacy,
      };
    },

    async clear(): Promise<number> {
      let n = 0;
      for (const name of listDir(dir)) {
        if ((PACK_RE.test(name) || PACK_TEMP_RE.test(name) || name === LOCK) && removeQuietly(join(dir, name))) n++;
      }
      for (const f of legacyFiles(dir)) if (removeQuietly(f.path)) n++;
      removeEmptyShards(dir);
      return n;
    },

    async prune(now: number, pruneTtlMs = ttlMs, pruneTempAgeMs = tempAgeMs): Promise<PruneReport> {
      const r = emptyReport();
      r.tempFiles = removeStrayTemps(dir, now, pruneTempAgeMs);
      for (const f of legacyFiles(dir)) {
        if (f.temp) {
          const mtime = mtimeOf(f.path);
          if (mtime !== undefined && mtime + pruneTempAgeMs < now && removeQuietly(f.path)) r.tempFiles++;
        } else if (removeQuietly(f.path)) r.legacy++;
      }
      removeEmptyShards(dir);
      compact(dir, now, pruneTtlMs, true, (s) => new Set(s.packs.filter((p) => dead(p) > 0 || p.contents.damaged).map((p) => p.pack)), r);
      return r;
    },
  };
  return cache;
}
