/**
 * Digests for provenance and cache keys (hex, lower case).
 *
 * - `sha256File` streams a file (constant memory) and returns its digest and size: the audit
 *   log's input digests.
 * - `canonicalJson` / `digestJson` give the same text and digest for equal JSON values whatever
 *   their object key order: the digest of the options that determine a result.
 * - `digestArrays` fingerprints typed-array columns (a portfolio's dates, values, flows) without
 *   copying them to text, with XXH3-128 rather than sha256: it runs once per portfolio on the
 *   nightly batch's hot path, where sha256 over 10,000 portfolios' columns cost ~0.9 s of CPU per
 *   worker thread here (no SHA extensions on this CPU) and XXH3-128 costs ~0.1 s. A 128-bit
 *   fingerprint identifies content (a chance collision among 10^9 portfolios is ~10^-21) but does
 *   not resist deliberate forgery; the audit log names the input files by sha256.
 */
import { createHash } from 'node:crypto';
import { createXXHash128 } from 'hash-wasm';
import { open, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../output/atomicWrite.js';

/** Lower-case hex sha256 of a string (UTF-8) or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A file's sha256 (hex) and length in bytes, read in 1 MiB blocks into one reused buffer (the
 * file is never held in memory, and hashing 700 MB leaves no 700 MB of spent chunks for the GC).
 */
export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fh = await open(path, 'r');
  let bytes = 0;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, bytes);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      bytes += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * JSON text with object keys sorted (by UTF-16 code unit order, i.e. Array.prototype.sort) at
 * every depth, no whitespace; arrays keep their order. Object properties whose value is
 * `undefined` are left out (as JSON.stringify does). Throws TypeError for values JSON cannot
 * represent faithfully: non-finite numbers, bigint, functions, symbols, and `undefined` outside an
 * object property, so two different option sets can never share a digest by both becoming null.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

function write(v: unknown, path: string): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return JSON.stringify(v);
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`canonicalJson: ${path} is ${v}, which JSON cannot represent`);
      return JSON.stringify(v);
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x, i) => write(x, `${path}[${i}]`)).join(',')}]`;
      const obj = v as Record<string, unknown>;
      if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') return write((obj as { toJSON(): unknown }).toJSON(), path);
      const parts: string[] = [];
      for (const k of Object.keys(obj).sort()) {
        const x = obj[k];
        if (x === undefined) continue;
        parts.push(`${JSON.stringify(k)}:${write(x, `${path}.${k}`)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: ${path} is a ${typeof v}, which JSON cannot represent`);
  }
}

/** sha256 (hex) of `canonicalJson(value)`. */
export function digestJson(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

// hash-wasm's XXH3-128 (WebAssembly; instantiated once per module instance, i.e. per thread)
const xxh128 = await createXXHash128();

/** Lower-case hex XXH3-128 (seed 0) of a string (UTF-8) or bytes: the same digits as `xxhsum -H2`. */
export function xxh128Hex(data: string | Uint8Array): string {
  xxh128.init();
  xxh128.update(data);
  return xxh128.digest('hex');
}

/**
 * XXH3-128 (hex, 32 digits) over typed arrays, each preceded by its element type name and byte
 * length, so ([1,2],[3]) and ([1],[2,3]) differ. Bytes are hashed in the platform's byte order
 * (little-endian on every platform Node supports in practice), so digests are comparable between
 * machines. Synchronous; see the module comment for why not sha256.
 */
export function digestArrays(arrays: readonly ArrayBufferView[]): string {
  xxh128.init();
  for (const a of arrays) {
    xxh128.update(`${a.constructor.name}:${a.byteLength};`);
    xxh128.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return xxh128.digest('hex');
}

/** A file's identity for the digest memo: device, inode, size, mtime and ctime (ns). */
export interface FileIdentity {
  id: string;
  mtimeMs: number;
}

export async function fileIdentity(path: string): Promise<FileIdentity> {
  const st = await stat(path, { bigint: true });
  return { id: `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`, mtimeMs: Number(st.mtimeNs / 1_000_000n) };
}

/**
 * A file modified within this long before it was hashed is not memoised: file systems stamp
 * times from a coarse clock, so a write landing in the same tick as the hash could leave size
 * and times unchanged (git's "racy" index entries, handled the same way).
 */
export const RACY_MS = 2000;

export interface DigestMemo {
  /** The file's sha256 and size: the recorded digest when the file's identity is unchanged, else hashed (and recorded). */
  digest(path: string): Promise<{ sha256: string; bytes: number }>;
  /** The recorded digest and identity if the file's identity is unchanged since it was hashed; never reads the file. */
  peek(path: string): Promise<{ sha256: string; bytes: number; id: string } | undefined>;
}

/** The JSON object in `path`, or {} when it is missing or damaged (a damaged memo is only a lost shortcut). */
async function readJsonObject(path: string): Promise<Record<string, { id: string; sha256: string; bytes: number }>> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

/**
 * sha256File with a memo in the state directory (`digests.json`): a file whose device, inode,
 * size, modification and change times (ns) are unchanged since it was last hashed gets the
 * recorded digest (the trust make, rsync and git's index place in a file's metadata; the change
 * time cannot be set back by a user, so touching a file back to its old mtime is caught); anything
 * else is hashed again. Saves the nightly rerun from re-reading a 700 MB input just to name it in
 * the audit record, and lets the batch recognise an input it has already scanned (scanMemo.ts).
 * A file modified less than RACY_MS before it was hashed, or changed while it was hashed, gets its
 * digest but no memo entry.
 */
export function openDigestMemo(stateDir: string, now: () => number = Date.now): DigestMemo {
  const memoPath = join(stateDir, 'digests.json');
  let memo: Promise<Record<string, { id: string; sha256: string; bytes: number }>> | undefined;
  const load = () => (memo ??= readJsonObject(memoPath));
  const mine: Record<string, { id: string; sha256: string; bytes: number }> = {};
  return {
    async peek(path) {
      const abs = resolve(path);
      const [ident, entries] = await Promise.all([fileIdentity(abs), load()]);
      const hit = entries[abs];
      return hit && hit.id === ident.id ? { sha256: hit.sha256, bytes: hit.bytes, id: hit.id } : undefined;
    },
    async digest(path) {
      const abs = resolve(path);
      const before = await fileIdentity(abs);
      const entries = await load();
      const hit = entries[abs];
      if (hit && hit.id === before.id) return { sha256: hit.sha256, bytes: hit.bytes };
      const d = await sha256File(abs);
      const after = await fileIdentity(abs);
      if (after.id === before.id && now() - before.mtimeMs >= RACY_MS) {
        entries[abs] = mine[abs] = { id: before.id, ...d };
        // this process's entries merged into the file as it is now, so runs hashing other files meanwhile keep theirs
        const onDisk = await readJsonObject(memoPath);
        await writeFileAtomic(memoPath, `${JSON.stringify({ ...onDisk, ...mine })}\n`, { fsync: false }).catch(() => undefined);
      }
      return d;
    },
  };
}

/** `openDigestMemo(stateDir).digest`: the digest function the CSV source takes. */
export function memoizedFileDigest(stateDir: string): (path: string) => Promise<{ sha256: string; bytes: number }> {
  return openDigestMemo(stateDir).digest;
}
