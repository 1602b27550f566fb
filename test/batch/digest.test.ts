import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, digestArrays, digestJson, sha256File, sha256Hex, xxh128Hex } from '../../src/batch/digest.js';

const root = mkdtempSync(join(tmpdir(), 'perfcalc-digest-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// FIPS 180-2 appendix B test vectors
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const MILLION_A = 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0';

describe('sha256', () => {
  it('known vectors', () => {
    expect(sha256Hex('abc')).toBe(ABC);
    expect(sha256Hex('')).toBe(EMPTY);
    expect(sha256Hex(new Uint8Array([0x61, 0x62, 0x63]))).toBe(ABC);
  });

  it('a file is streamed in chunks and digested whole: one million "a" (FIPS 180-2 B.3)', async () => {
    const p = join(root, 'million.txt');
    writeFileSync(p, 'a'.repeat(1_000_000));
    expect(await sha256File(p)).toEqual({ sha256: MILLION_A, bytes: 1_000_000 });
  });

  it('a file larger than one read chunk (1 MiB) and an empty file', async () => {
    const big = Buffer.alloc(2.5 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    writeFileSync(join(root, 'big.bin'), big);
    expect(await sha256File(join(root, 'big.bin'))).toEqual({ sha256: sha256Hex(big), bytes: 2_621_440 });
    writeFileSync(join(root, 'empty'), '');
    expect(await sha256File(join(root, 'empty'))).toEqual({ sha256: EMPTY, bytes: 0 });
  });

  it('a missing file rejects with ENOENT', async () => {
    await expect(sha256File(join(root, 'nope.csv'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth, keeps array order, drops undefined properties', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson([2, 1])).toBe('[2,1]');
    expect(canonicalJson({ s: 'é"\n', n: -0, t: true, z: null })).toBe('{"n":0,"s":"é\\"\\n","t":true,"z":null}');
  });

  it('equal values in any key order share a digest', () => {
    expect(digestJson({ method: 'daily', periods: ['YTD'] })).toBe(digestJson({ periods: ['YTD'], method: 'daily' }));
    expect(digestJson({ a: 1 })).toBe(sha256Hex('{"a":1}'));
    expect(digestJson({ a: 1 })).not.toBe(digestJson({ a: '1' }));
  });

  it('refuses values JSON cannot hold faithfully', () => {
    expect(() => canonicalJson({ rf: Number.NaN })).toThrow('canonicalJson: $.rf is NaN, which JSON cannot represent');
    expect(() => canonicalJson([1, Infinity])).toThrow('canonicalJson: $[1] is Infinity, which JSON cannot represent');
    expect(() => canonicalJson({ n: 1n })).toThrow('canonicalJson: $.n is a bigint, which JSON cannot represent');
    expect(() => canonicalJson([undefined])).toThrow('canonicalJson: $[0] is a undefined, which JSON cannot represent');
  });

  it('uses toJSON (dates)', () => {
    expect(canonicalJson({ at: new Date(Date.UTC(2026, 0, 2)) })).toBe('{"at":"2026-01-02T00:00:00.000Z"}');
  });
});

describe('digestArrays', () => {
  it('frames each array with its type and byte length', () => {
    const a = digestArrays([new Int32Array([1, 2]), new Int32Array([3])]);
    const b = digestArrays([new Int32Array([1]), new Int32Array([2, 3])]);
    expect(a).not.toBe(b);
    // explicit framing: "Int32Array:8;" + bytes 01 00 00 00 02 00 00 00 + "Int32Array:4;" + 03 00 00 00 (little-endian)
    const framed = Buffer.concat([
      Buffer.from('Int32Array:8;'),
      Buffer.from([1, 0, 0, 0, 2, 0, 0, 0]),
      Buffer.from('Int32Array:4;'),
      Buffer.from([3, 0, 0, 0]),
    ]);
    expect(a).toBe(xxh128Hex(framed));
  });

  it('is XXH3-128 with seed 0 (vectors from Debian xxhash 0.8: printf abc | xxhsum -H2)', () => {
    expect(xxh128Hex('abc')).toBe('06b05ab6733a618578af5f94892f3950');
    expect(xxh128Hex('')).toBe('99aa06d3014798d86001c324468d497f');
    expect(xxh128Hex(new Uint8Array([0x61, 0x62, 0x63]))).toBe('06b05ab6733a618578af5f94892f3950');
    expect(digestArrays([new Int32Array([1])])).toMatch(/^[0-9a-f]{32}$/);
  });

  it('hashes only the view, not the whole buffer', () => {
    const buf = new Float64Array([9, 1.5, 2.5, 9]);
    expect(digestArrays([buf.subarray(1, 3)])).toBe(digestArrays([new Float64Array([1.5, 2.5])]));
    expect(digestArrays([new Float64Array([1.5])])).not.toBe(digestArrays([new Float32Array([1.5, 0])]));
  });
});
