/**
 * File-backed, content-addressed result cache for the batch runner.
 *
 * Keys are sha256 (hex) of everything that determines a portfolio's result (see `cacheKey`), so an
 * entry is never updated in place: a key either has the right value or is recomputed. The
 * guarantees: a reader only ever sees a complete entry that was written for its key, or a miss;
 * damage (truncation, flipped bytes) is detected by a checksum, reported as 'corrupt' and never
 * trusted; a writer killed at any point costs recomputation, never a wrong result; several
 * processes and threads may share the directory at once without locks (one lock file only keeps
 * two compactions from doing the same work).
 *
 * Layout (format perfcalc-cache/2): pack files `<dir>/<base36 ms>-<pid>-<thread>-<12 hex>.pack`.
 * Each handle (one per process or worker thread) appends the entries it puts to its own pack,
 * under a temp name `.<name>.tmp`, through a 512 KB write buffer; `flush()` appends the pack's
 * index and renames it to its final name. The rename is the publication: a published pack is
 * complete and immutable, a temp pack (a writer killed before flush) is invisible to everyone
 * else and removed after `STRAY_TEMP_AGE_MS`. After a flush the handle starts a new pack on its
 * next put. Per-file entries (perfcalc-cache/1, one `<2 hex>/<key>.json` each, replaced by this
 * because creating and renaming 10,000 files cost 4-10 s per cold run here, mostly kernel time)
 * are ignored (misses) and removed by `prune` and `clear`.
 *
 * A pack, all integers little-endian:
 *   "perfcalc-cache/2"                                   16 bytes
 *   entries: "PCR2", key (32 bytes), createdAt (f64 ms), length (u32), crc (u32), value (length bytes)
 *   index: per entry key (32), offset of the entry (u48 + 2 zero bytes), length (u32), createdAt (f64), crc (u32)
 *   footer (48 bytes): offset of the index (u48 + 2), oldest and newest createdAt (f64 each), entry count (u32),
 *     CRC-32 of the index followed by the footer's first 28 bytes (u32), "perfcalc-index/2"
 * An entry's crc is CRC-32 of its header bytes 4..48 (key, createdAt, length) followed by the
 * value (JSON.stringify, UTF-8), so it binds the value to its key and time: `get` preads the
 * entry and checks header against index and crc before JSON.parse; a mismatch is 'corrupt'. A
 * pack whose footer or index is damaged (e.g. truncated) is read entry by entry from the start
 * instead: complete entries with good checksums are used, an entry cut short is 'corrupt', and
 * the rest is lost (misses). CRC-32 (zlib.crc32), not sha256: it guards against accidental
 * damage, not forgery (the key already addresses the content), at 1-2 GB/s here.
 *
 * Reading: on its first `get` a handle opens every published pack and reads the indexes into an
 * open-addressing hash table whose keys are compared in place in the index bytes (no string or
 * object per entry: 10,000 entries in 10-13 ms, 70,000 in 20-70 ms here, where a Map of hex
 * strings to objects took 27-70 and 130-230 ms); it keeps the descriptors, so a pack that a
 * compaction deletes meanwhile stays readable; `flush()` closes them and forgets the table (the next `get` reloads). Packs
 * published by other handles after that load are not seen until then: a miss, recomputed. When
 * several entries hold a key the newest wins: larger createdAt, then the later pack name, then
 * the later entry in the pack; a handle sees its own puts at once, before its flush. A corrupt
 * entry is reported once per handle, then the key is a miss; the recomputed entry is newer and
 * wins for every later reader, and `prune` drops the damaged one.
 *
 * Keeping packs few: each flush that published a pack (nightly, one per worker) also compacts:
 * it removes stray temp packs and, from the footers alone (no index or data read), deletes packs
 * whose newest entry has expired by the time of the handle's latest put. Only when more than
 * `maxPacks` (default 32) packs remain, or one is damaged, does it read the indexes: then packs
 * with no live entry (all expired or superseded by a newer entry of their key) are deleted, and
 * the smallest packs are merged into one new pack so that maxPacks / 2 remain (live entries
 * copied and checked, the new pack published, then the old ones deleted). Every entry expires
 * within the TTL, so a nightly run with changed inputs keeps about (TTL in days x packs per run)
 * packs. `prune` reads and checks every entry that is not expired and rewrites every pack with
 * a dead (expired, corrupt or superseded) entry. Compactions that race (two processes) can only
 * duplicate an entry or lose one to a recomputation: a pack is deleted only after the entries
 * kept from it are in a published pack. A `.compact.lock` file keeps two flushes from compacting
 * at once (the second skips; a lock older than the stray-temp age is stale).
 *
 * No fsync: an entry lost to a power cut is a recomputation, and a damaged one is caught by its
 * checksum. Reads and writes are synchronous on purpose (a pread is ~5 us; a thread-pool round
 * trip ~50-180 us on the 2-core machine this was measured on). Measured there (Node 22, ext4, 2
 * cores shared with other jobs, load about 3), `node bench/probes/cache.mjs --src <per-file tree>
 * --src .`, 10,000 entries of 3.4 KB JSON (16 result rows), medians of 3 in two sessions:
 *   putSync x 10,000 + flush: 0.44-0.46 s (flush 0.01-0.02 s), of which JSON.stringify alone is
 *     0.32 s; one file per entry took 5.0 s (user 0.9-1.0 s, system 3.8-4.0 s; 6.1-8.4 s in
 *     earlier sessions). Two handles (the two scan workers): 0.48 s.
 *   a fresh handle's get of all 10,000: 0.44-0.51 s, of which JSON.parse alone is 0.34-0.35 s;
 *     one file per entry took 0.67-0.69 s.
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
import { digestJson, sha256Hex } from './digest.js';

export const CACHE_FORMAT = 'perfcalc-cache/2';
const PACK_HEAD = Buffer.from(CACHE_FORMAT, 'latin1'); // 16 bytes
const FOOT_MAGIC = Buffer.from('perfcalc-index/2', 'latin1'); // 16 bytes
const ENTRY_MAGIC = 0x32524350; // "PCR2" read as a little-endian u32
const ENTRY_HEAD = 52;
const INDEX_ENTRY = 56;
const FOOT = 48;
const WRITE_BUFFER = 512 * 1024;

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
  /** Temp packs (and old-format temp files, and a stale compaction lock) older than the stray-temp age, removed. */
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
  /**
   * The automatic compaction after publishing (see the header); null when none ran (nothing
   * published, or another handle was compacting). When it read footers only, `kept` is the
   * number of entries in the packs it kept, counting a key once per pack that holds it.
   */
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
   * putSync with the value given as its JSON text (`JSON.stringify(value)`, which the caller
   * needed anyway: the scan workers send it to the main thread), so it is not made twice.
   */
  putJsonSync(key: string, json: string, now: number): void;
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
  if (typeof parts.options === 'string') {
    // the batch's case (options already a digest), once per portfolio: canonicalJson's very text, without its walk
    return sha256Hex(`{"engineVersion":${JSON.stringify(parts.engineVersion)},"inputDigest":${JSON.stringify(parts.inputDigest)},"options":${JSON.stringify(parts.options)}}`);
  }
  return digestJson({ engineVersion: parts.engineVersion, inputDigest: parts.inputDigest, options: parts.options });
}

function assertKey(key: string): void {
  if (!isKey(key)) throw new TypeError(`cache key must be 64 lower-case hex digits, got '${key}'`);
}

/** Whether key is 64 lower-case hex digits (/^[0-9a-f]{64}$/), by a loop over the code units: twice per portfolio on the batch's hot path, where the regex cost ~3 us. */
function isKey(key: string): boolean {
  if (key.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = key.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
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
// Packs in memory: a pack's entries as index records (the on-disk index format, 56 bytes each:
// key, offset of the entry, length of the value, createdAt, crc), read once, never parsed into objects.

interface Pack {
  name: string;
  /** Where the bytes are: the final path, or the temp path of a pack still being written. */
  path: string;
  fd: number;
}

interface Source {
  pack: Pack;
  /** `count` index records (the writer's has spare room after them). */
  index: Buffer;
  count: number;
  /** Entries already known to be damaged (found walking a damaged pack): record number -> reason. */
  bad?: Map<number, string>;
  /** Why the footer or index could not be used (the entries were then read one by one from the start). */
  damaged?: string;
  /** A damaged pack whose walk stopped before its end at bytes that are no entry: what followed is lost (counted as one corrupt entry). */
  unreadableTail: boolean;
}

const recOffset = (s: Source, i: number) => s.index.readUIntLE(i * INDEX_ENTRY + 32, 6);
const recLength = (s: Source, i: number) => s.index.readUInt32LE(i * INDEX_ENTRY + 40);
const recCreatedAt = (s: Source, i: number) => s.index.readDoubleLE(i * INDEX_ENTRY + 44);
const recCrc = (s: Source, i: number) => s.index.readUInt32LE(i * INDEX_ENTRY + 52);

function writeRecord(index: Buffer, i: number, key: Buffer | string, keyAt: number, offset: number, length: number, createdAt: number, crc: number): void {
  const o = i * INDEX_ENTRY;
  if (typeof key === 'string') index.write(key, o, 32, 'hex');
  else key.copy(index, o, keyAt, keyAt + 32);
  index.writeUIntLE(offset, o + 32, 6);
  index.writeUInt16LE(0, o + 38);
  index.writeUInt32LE(length, o + 40);
  index.writeDoubleLE(createdAt, o + 44);
  index.writeUInt32LE(crc, o + 52);
}

function sameKey(a: Buffer, ao: number, b: Buffer, bo: number): boolean {
  for (let k = 0; k < 32; k += 4) if (a.readUInt32LE(ao + k) !== b.readUInt32LE(bo + k)) return false;
  return true;
}

/** Whether entry (a, i) wins over entry (b, j) of the same key: newer createdAt, then later pack name, then later entry. */
function newer(a: Source, i: number, b: Source, j: number): boolean {
  const ca = recCreatedAt(a, i);
  const cb = recCreatedAt(b, j);
  if (ca !== cb) return ca > cb;
  if (a.pack.name !== b.pack.name) return a.pack.name > b.pack.name;
  return recOffset(a, i) > recOffset(b, j);
}

const OFFER_INSERTED = -1;
const OFFER_REJECTED = -2;

/**
 * Per key, the winning entry among the sources: an open-addressing hash table (linear probing)
 * from a key to (source number, record number), whose keys are compared in place in the sources'
 * index records. ~0.3-1 us per entry to fill here, where a Map of hex strings to objects took 2-3 us.
 */
class KeyTable {
  private src: Int32Array; // source number + 1; 0 = empty slot
  private rec: Int32Array;
  private mask: number;
  size = 0;

  constructor(
    private readonly sources: Source[],
    expected = 0,
  ) {
    let cap = 1024;
    while (cap < 2 * expected) cap *= 2;
    this.src = new Int32Array(cap);
    this.rec = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private static hash(buf: Buffer, at: number): number {
    let h = 0x811c9dc5;
    for (let k = 0; k < 32; k += 4) h = Math.imul(h ^ buf.readUInt32LE(at + k), 0x9e3779b1);
    return (h ^ (h >>> 15)) >>> 0;
  }

  /** The slot holding the key at buf[at..at+32], or the empty slot where it would go. */
  private slot(buf: Buffer, at: number): number {
    let h = KeyTable.hash(buf, at) & this.mask;
    for (;;) {
      const s = this.src[h]!;
      if (s === 0 || sameKey(this.sources[s - 1]!.index, this.rec[h]! * INDEX_ENTRY, buf, at)) return h;
      h = (h + 1) & this.mask;
    }
  }

  /** The slot of the key's winning entry, or -1. */
  find(buf: Buffer, at: number): number {
    const h = this.slot(buf, at);
    return this.src[h] === 0 ? -1 : h;
  }

  sourceAt(slot: number): number {
    return this.src[slot]! - 1;
  }

  recordAt(slot: number): number {
    return this.rec[slot]!;
  }

  /** Whether record `i` of source `n` is its key's winning entry. */
  holds(n: number, i: number): boolean {
    const h = this.find(this.sources[n]!.index, i * INDEX_ENTRY);
    return h >= 0 && this.src[h] === n + 1 && this.rec[h] === i;
  }

  /**
   * Offers record `i` of source `n`: it wins over the key's current entry if newer. Returns OFFER_INSERTED (the key was new), OFFER_REJECTED (the current entry
   * stays) or the number of the source whose entry it replaced.
   */
  offer(n: number, i: number): number {
    if (2 * (this.size + 1) > this.src.length) this.grow();
    const s = this.sources[n]!;
    const h = this.slot(s.index, i * INDEX_ENTRY);
    const cur = this.src[h]! - 1;
    if (cur >= 0 && !newer(s, i, this.sources[cur]!, this.rec[h]!)) return OFFER_REJECTED;
    if (cur < 0) this.size++;
    this.src[h] = n + 1;
    this.rec[h] = i;
    return cur < 0 ? OFFER_INSERTED : cur;
  }

  /** Empties a slot (backward-shift deletion, so no tombstones). */
  remove(slot: number): void {
    let i = slot;
    let j = slot;
    for (;;) {
      j = (j + 1) & this.mask;
      const s = this.src[j]!;
      if (s === 0) break;
      const k = KeyTable.hash(this.sources[s - 1]!.index, this.rec[j]! * INDEX_ENTRY) & this.mask;
      // the entry at j may move to i unless its home k lies cyclically in (i, j]
      if (i <= j ? i < k && k <= j : i < k || k <= j) continue;
      this.src[i] = s;
      this.rec[i] = this.rec[j]!;
      i = j;
    }
    this.src[i] = 0;
    this.size--;
  }

  /** Makes room for `more` keys without growing while they are offered. */
  reserve(more: number): void {
    while (2 * (this.size + more) > this.src.length) this.grow();
  }

  /** Calls `f(source number, record number)` for every key's winning entry. */
  forEach(f: (n: number, i: number) => void): void {
    for (let h = 0; h < this.src.length; h++) if (this.src[h] !== 0) f(this.src[h]! - 1, this.rec[h]!);
  }

  private grow(): void {
    const { src, rec } = this;
    this.src = new Int32Array(src.length * 2);
    this.rec = new Int32Array(src.length * 2);
    this.mask = this.src.length - 1;
    for (let h = 0; h < src.length; h++) {
      if (src[h] === 0) continue;
      const t = this.slot(this.sources[src[h]! - 1]!.index, rec[h]! * INDEX_ENTRY);
      this.src[t] = src[h]!;
      this.rec[t] = rec[h]!;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Packs on disk

function entryCrc(head: Buffer, value: Buffer): number {
  return crc32(value, crc32(head.subarray(4, 48)));
}

function writeEntryHead(buf: Buffer, at: number, key: string, createdAt: number, length: number): void {
  buf.writeUInt32LE(ENTRY_MAGIC, at);
  buf.write(key, at + 4, 32, 'hex');
  buf.writeDoubleLE(createdAt, at + 36);
  buf.writeUInt32LE(length, at + 44);
}

/** Checks an entry's bytes (header + value) against its index record; returns what is wrong, or undefined. */
function checkEntry(entry: Buffer, s: Source, i: number): string | undefined {
  const length = recLength(s, i);
  const crc = recCrc(s, i);
  if (entry.length < ENTRY_HEAD + length) return 'truncated pack (entry ends past the end of its file)';
  if (
    entry.readUInt32LE(0) !== ENTRY_MAGIC ||
    !sameKey(entry, 4, s.index, i * INDEX_ENTRY) ||
    entry.readDoubleLE(36) !== recCreatedAt(s, i) ||
    entry.readUInt32LE(44) !== length ||
    entry.readUInt32LE(48) !== crc
  ) {
    return 'entry header does not match the index';
  }
  if (entryCrc(entry, entry.subarray(ENTRY_HEAD, ENTRY_HEAD + length)) !== crc) return 'checksum mismatch';
  return undefined;
}

/** Reads record `i`'s entry from its (published) pack and checks it; returns what is wrong, or undefined. */
function verifyEntry(s: Source, i: number): string | undefined {
  return checkEntry(pread(s.pack.fd, ENTRY_HEAD + recLength(s, i), recOffset(s, i)), s, i);
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

/** A published pack's index records and count, or why the index cannot be used. */
function readIndex(pack: Pack, size: number): { index: Buffer; count: number } | string {
  if (size < PACK_HEAD.length + FOOT) return 'too short for a pack';
  const foot = pread(pack.fd, FOOT, size - FOOT);
  if (foot.length < FOOT || !foot.subarray(FOOT - 16).equals(FOOT_MAGIC)) return 'no index (truncated or damaged pack)';
  const { at, count } = footer(foot);
  if (at < PACK_HEAD.length || at + count * INDEX_ENTRY + FOOT !== size) return 'index size does not match the file';
  const index = pread(pack.fd, count * INDEX_ENTRY, at);
  if (index.length < count * INDEX_ENTRY || crc32(foot.subarray(0, 28), crc32(index)) !== foot.readUInt32LE(28)) return 'index checksum mismatch';
  for (let o = 0; o < index.length; o += INDEX_ENTRY) {
    const offset = index.readUIntLE(o + 32, 6);
    if (offset < PACK_HEAD.length || offset + ENTRY_HEAD + index.readUInt32LE(o + 40) > at) return 'index points outside the entries';
  }
  return { index, count };
}

/**
 * Reads a published pack's index; when that is damaged, walks its entries from the start instead:
 * each carries its key, time, length and checksum, so complete entries are still usable, an entry
 * cut short is known by key and marked bad, and the walk stops at the first bytes that are no entry.
 */
function readPack(pack: Pack): Source {
  const size = fstatSync(pack.fd).size;
  const got = readIndex(pack, size);
  if (typeof got !== 'string') return { pack, index: got.index, count: got.count, unreadableTail: false };
  const s: Source = { pack, index: Buffer.alloc(64 * INDEX_ENTRY), count: 0, bad: new Map(), damaged: got, unreadableTail: false };
  let pos = PACK_HEAD.length;
  if (!pread(pack.fd, PACK_HEAD.length, 0).equals(PACK_HEAD)) pos = size + 1;
  while (pos < size) {
    const h = pread(pack.fd, ENTRY_HEAD, pos);
    if (h.length < ENTRY_HEAD || h.readUInt32LE(0) !== ENTRY_MAGIC) break;
    const i = s.count++;
    if (s.count * INDEX_ENTRY > s.index.length) s.index = Buffer.concat([s.index, Buffer.alloc(s.index.length)]);
    const length = h.readUInt32LE(44);
    writeRecord(s.index, i, h, 4, pos, length, h.readDoubleLE(36), h.readUInt32LE(48));
    if (pos + ENTRY_HEAD + length > size) {
      s.bad!.set(i, 'truncated pack (entry ends past the end of its file)');
      pos = size;
      break;
    }
    const problem = verifyEntry(s, i);
    if (problem) s.bad!.set(i, problem);
    pos += ENTRY_HEAD + length;
  }
  s.unreadableTail = pos !== size;
  return s;
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

/** A pack being written: entries go through `buf`, which holds the file's bytes from `bufStart` on; its index grows in `source`. */
class PackWriter {
  readonly source: Source;
  private readonly tmp: string;
  private readonly finalPath: string;
  private buf = Buffer.allocUnsafe(WRITE_BUFFER);
  private bufLen = 0;
  private bufStart = 0;
  /** The largest createdAt put: the handle's clock for the compaction after its flush. */
  latest = -Infinity;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    const name = newPackName();
    this.finalPath = join(dir, name);
    this.tmp = join(dir, `.${name}.tmp`);
    const pack = { name, path: this.tmp, fd: openSync(this.tmp, 'wx+') };
    this.source = { pack, index: Buffer.alloc(256 * INDEX_ENTRY), count: 0, unreadableTail: false };
    PACK_HEAD.copy(this.buf, 0);
    this.bufLen = PACK_HEAD.length;
  }

  private spill(): void {
    if (this.bufLen === 0) return;
    pwriteAll(this.source.pack.fd, this.buf.subarray(0, this.bufLen), this.bufStart);
    this.bufStart += this.bufLen;
    this.bufLen = 0;
  }

  private record(): number {
    const s = this.source;
    if ((s.count + 1) * INDEX_ENTRY > s.index.length) {
      const bigger = Buffer.alloc(s.index.length * 2);
      s.index.copy(bigger, 0, 0, s.count * INDEX_ENTRY);
      s.index = bigger;
    }
    return s.count++;
  }

  /** Appends an entry from its JSON text; returns its record number. */
  append(key: string, text: string, createdAt: number): number {
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
      pwriteAll(this.source.pack.fd, entry, offset);
      this.bufStart += total;
    }
    const i = this.record();
    writeRecord(this.source.index, i, key, 0, offset, length, createdAt, crc);
    if (createdAt > this.latest) this.latest = createdAt;
    return i;
  }

  /** Appends record `i` of `from` verbatim (its entry's header and value, already read into `entry`). */
  appendRaw(from: Source, i: number, entry: Buffer): void {
    if (this.bufLen + entry.length > this.buf.length) this.spill();
    const offset = this.bufStart + this.bufLen;
    if (entry.length <= this.buf.length) {
      entry.copy(this.buf, this.bufLen);
      this.bufLen += entry.length;
    } else {
      pwriteAll(this.source.pack.fd, entry, offset);
      this.bufStart += entry.length;
    }
    const n = this.record();
    writeRecord(this.source.index, n, from.index, i * INDEX_ENTRY, offset, recLength(from, i), recCreatedAt(from, i), recCrc(from, i));
  }

  /** Record `i`'s entry (header + value), from the buffer when not yet written (valid until the next append), else read into `into`. */
  read(i: number, into: Buffer): Buffer {
    const offset = recOffset(this.source, i);
    const n = ENTRY_HEAD + recLength(this.source, i);
    if (offset >= this.bufStart) return this.buf.subarray(offset - this.bufStart, offset - this.bufStart + n);
    return pread(this.source.pack.fd, n, offset, into);
  }

  /** Writes the index and footer and renames the pack into place. False when the temp file was removed meanwhile (clear/prune). */
  publish(): boolean {
    this.spill();
    const s = this.source;
    const f = s.count * INDEX_ENTRY;
    let oldest = Infinity;
    let newest = -Infinity;
    for (let i = 0; i < s.count; i++) {
      const t = recCreatedAt(s, i);
      if (t < oldest) oldest = t;
      if (t > newest) newest = t;
    }
    const foot = Buffer.alloc(FOOT);
    foot.writeUIntLE(this.bufStart, 0, 6);
    foot.writeDoubleLE(oldest, 8);
    foot.writeDoubleLE(newest, 16);
    foot.writeUInt32LE(s.count, 24);
    foot.writeUInt32LE(crc32(foot.subarray(0, 28), crc32(s.index.subarray(0, f))), 28);
    FOOT_MAGIC.copy(foot, 32);
    pwriteAll(s.pack.fd, s.index.subarray(0, f), this.bufStart);
    pwriteAll(s.pack.fd, foot, this.bufStart + f);
    closeSync(s.pack.fd);
    s.pack.fd = -1;
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
    if (this.source.pack.fd >= 0) closeQuietly(this.source.pack.fd);
    this.source.pack.fd = -1;
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
  source: Source;
  size: number;
  /** Live entries and their bytes (header + value). */
  live: number;
  liveBytes: number;
  /** Dead entries by reason; `corrupt` includes an unreadable tail as one. */
  expired: number;
  corrupt: number;
  superseded: number;
}

interface Survey {
  /** In pack-name order; `packs[n].source` is `sources[n]`. */
  packs: SurveyedPack[];
  sources: Source[];
  /** Per key, the live entry. */
  live: KeyTable;
  oldest: number | null;
  newest: number | null;
}

const dead = (p: SurveyedPack) => p.expired + p.corrupt + p.superseded;

/**
 * Opens every published pack and classifies its entries in one pass: an entry is dead when it is
 * expired (createdAt + ttlMs < now), known bad or (with `verify`, which reads every entry that is
 * not expired) fails its checks, or is superseded by a newer entry of its key; per key the newest
 * remaining entry is live. The caller closes the packs (`closeSurvey`).
 */
function survey(dir: string, now: number, ttlMs: number, verify: boolean): Survey {
  const sources: Source[] = [];
  const s: Survey = { packs: [], sources, live: new KeyTable(sources), oldest: null, newest: null };
  try {
    for (const name of listPacks(dir)) {
      const pack = openPack(dir, name);
      if (!pack) continue;
      let source: Source;
      try {
        source = readPack(pack);
      } catch (err) {
        closeQuietly(pack.fd);
        throw err;
      }
      const n = sources.push(source) - 1;
      const p: SurveyedPack = { source, size: fstatSync(pack.fd).size, live: 0, liveBytes: 0, expired: 0, corrupt: 0, superseded: 0 };
      s.packs.push(p);
      if (source.unreadableTail) p.corrupt++;
      for (let i = 0; i < source.count; i++) {
        if (recCreatedAt(source, i) + ttlMs < now) p.expired++;
        else if (source.bad?.has(i)) p.corrupt++;
        else if (verify && verifyEntry(source, i)) p.corrupt++;
        else {
          const lost = s.live.offer(n, i);
          if (lost === OFFER_REJECTED) p.superseded++;
          else if (lost !== OFFER_INSERTED) s.packs[lost]!.superseded++;
        }
      }
    }
  } catch (err) {
    closeSurvey(s);
    throw err;
  }
  s.live.forEach((n, i) => {
    const p = s.packs[n]!;
    const t = recCreatedAt(p.source, i);
    p.live++;
    p.liveBytes += ENTRY_HEAD + recLength(p.source, i);
    if (s.oldest === null || t < s.oldest) s.oldest = t;
    if (s.newest === null || t > s.newest) s.newest = t;
  });
  return s;
}

function closeSurvey(s: Survey): void {
  for (const source of s.sources) closeQuietly(source.pack.fd);
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
function compact(dir: string, now: number, ttlMs: number, verify: boolean, rewrite: (s: Survey) => Set<SurveyedPack>, r: PruneReport): void {
  const s = survey(dir, now, ttlMs, verify);
  try {
    const chosen = rewrite(s);
    const remove = s.packs.filter((p) => p.live === 0 || chosen.has(p));
    let kept = s.live.size;
    let lost = 0;
    let writer: PackWriter | undefined;
    try {
      for (const p of remove) {
        if (p.live === 0) continue;
        const n = s.sources.indexOf(p.source);
        for (let i = 0; i < p.source.count; i++) {
          if (!s.live.holds(n, i)) continue;
          const entry = pread(p.source.pack.fd, ENTRY_HEAD + recLength(p.source, i), recOffset(p.source, i));
          if (checkEntry(entry, p.source, i)) {
            kept--;
            lost++;
            continue;
          }
          writer ??= new PackWriter(dir);
          writer.appendRaw(p.source, i, entry);
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
      if (!removeQuietly(p.source.pack.path)) continue;
      r.packsRemoved++;
      r.expired += p.expired;
      r.corrupt += p.corrupt;
      r.superseded += p.superseded;
    }
  } finally {
    closeSurvey(s);
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
      const chosen = new Set(s.packs.filter((p) => p.live > 0 && p.source.damaged));
      const healthy = s.packs.filter((p) => p.live > 0 && !p.source.damaged);
      if (healthy.length > maxPacks) {
        healthy.sort((a, b) => a.liveBytes - b.liveBytes);
        for (const p of healthy.slice(0, healthy.length - Math.floor(maxPacks / 2) + 1)) chosen.add(p);
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

  /** The loaded view: the packs loaded at the first get, then this handle's own pack; per key the newest entry. */
  let sources: Source[] = [];
  let table = new KeyTable(sources);
  const loadedNames = new Set<string>();
  let loaded = false;
  let writer: PackWriter | null = null;
  let writerNo = -1;
  /** Reused for every get's read (entries are parsed before the next one is read), grown to the largest entry. */
  let scratch = Buffer.allocUnsafeSlow(16 * 1024);
  const keyBuf = Buffer.alloc(32);

  const load = (): void => {
    loaded = true;
    // a pack deleted between listing and opening was merged into a newer pack: list again for it
    for (let attempt = 0; attempt < 3; attempt++) {
      let vanished = false;
      const first = sources.length;
      for (const name of listPacks(dir)) {
        if (loadedNames.has(name)) continue;
        const pack = openPack(dir, name);
        if (!pack) {
          vanished = true;
          continue;
        }
        try {
          sources.push(readPack(pack));
        } catch (err) {
          closeQuietly(pack.fd);
          throw err;
        }
        loadedNames.add(name);
      }
      table.reserve(sources.slice(first).reduce((k, s) => k + s.count, 0));
      for (let n = first; n < sources.length; n++) for (let i = 0; i < sources[n]!.count; i++) table.offer(n, i);
      if (!vanished) break;
    }
  };

  const release = (): void => {
    for (const s of sources) if (!writer || s !== writer.source) closeQuietly(s.pack.fd);
    sources = [];
    table = new KeyTable(sources);
    loadedNames.clear();
    loaded = false;
    writerNo = -1;
  };

  /** Drops the unflushed pack and its entries from the view. */
  const abandon = (w: PackWriter): void => {
    for (let i = 0; i < w.source.count; i++) {
      const h = table.find(w.source.index, i * INDEX_ENTRY);
      if (h >= 0 && table.sourceAt(h) === writerNo && table.recordAt(h) === i) table.remove(h);
    }
    w.discard();
    if (writer === w) writer = null;
  };

  const cache: ResultCache<T> = {
    dir,
    ttlMs,

    get(key: string, now: number): CacheLookup<T> {
      assertKey(key);
      if (!loaded) load();
      keyBuf.write(key, 0, 32, 'hex');
      const h = table.find(keyBuf, 0);
      if (h < 0) return { status: 'miss' };
      const n = table.sourceAt(h);
      const i = table.recordAt(h);
      const source = sources[n]!;
      let problem = source.bad?.get(i);
      const length = recLength(source, i);
      let entry: Buffer | undefined;
      if (!problem) {
        const size = ENTRY_HEAD + length;
        if (scratch.length < size) scratch = Buffer.allocUnsafeSlow(Math.max(size, 2 * scratch.length));
        const into = scratch.subarray(0, size);
        entry = n === writerNo ? writer!.read(i, into) : pread(source.pack.fd, size, recOffset(source, i), into);
        problem = checkEntry(entry, source, i);
      }
      const createdAt = recCreatedAt(source, i);
      if (!problem && createdAt + ttlMs < now) return { status: 'expired', createdAt };
      if (!problem) {
        try {
          return { status: 'hit', value: JSON.parse(entry!.toString('utf8', ENTRY_HEAD, ENTRY_HEAD + length)) as T, createdAt };
        } catch {
          problem = 'value is not JSON';
        }
      }
      table.remove(h);
      return { status: 'corrupt', reason: problem };
    },

    async put(key: string, value: T, now: number): Promise<void> {
      cache.putSync(key, value, now);
    },

    putSync(key: string, value: T, now: number): void {
      const text = JSON.stringify(value);
      if (text === undefined) throw new TypeError('cache value must be a JSON value');
      cache.putJsonSync(key, text, now);
    },

    putJsonSync(key: string, text: string, now: number): void {
      assertKey(key);
      if (!writer) {
        writer = new PackWriter(dir);
        writerNo = sources.push(writer.source) - 1;
      }
      const w = writer;
      let i: number;
      try {
        i = w.append(key, text, Math.trunc(now));
      } catch (err) {
        abandon(w);
        throw err;
      }
      table.offer(writerNo, i);
    },

    flush(): FlushReport {
      const w = writer;
      const report: FlushReport = { published: 0, compaction: null };
      if (w) {
        try {
          if (w.publish()) report.published = w.source.count;
        } catch (err) {
          abandon(w);
          report.error = `could not publish cache pack: ${(err as Error).message}`;
        }
      }
      writer = null;
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
      closeSurvey(s);
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
      compact(dir, now, pruneTtlMs, true, (s) => new Set(s.packs.filter((p) => dead(p) > 0 || p.source.damaged)), r);
      return r;
    },
  };
  return cache;
}
