/**
 * The grouped scan's memo: what a scan of a given set of input files found, so that a rerun on
 * the same files (same sha256, same options, same engine) skips reading and parsing them and
 * takes every portfolio's rows straight from the result cache.
 *
 * A memo entry lists each computed portfolio's result-cache key in file order and the errors of
 * the portfolios that failed (the same inputs fail the same way). It lives in the result cache
 * (same directory, TTL, `cache clear` and `prune`) under a key made from the input files' sha256.
 * Those digests come from the state directory's digest memo (digest.ts), which trusts a file whose
 * device, inode, size and times are unchanged, so the rerun never reads the inputs; any change
 * to a file is a new identity, a rehash, a different key and a full scan (which recomputes only
 * the portfolios whose rows changed). If a listed cache entry is missing, expired or damaged, the
 * memo is not used at all and the run scans as if it did not exist.
 */
import { digestJson } from './digest.js';
import type { PortfolioError } from './runBatch.js';

export interface ScanMemoValue {
  /** Every portfolio computed by the scan, in file order, with the cache key of its result. */
  portfolios: Array<{ id: string; key: string }>;
  /** Every portfolio that failed (load or compute), with its message. */
  errors: PortfolioError[];
}

/** The memo key: the input files' sha256 (in the run's file order), the options digest and the engine version. */
export function scanMemoKey(parts: { inputs: readonly string[]; optionsDigest: string; engineVersion: string }): string {
  return digestJson({ kind: 'grouped-scan', inputs: parts.inputs, options: parts.optionsDigest, engineVersion: parts.engineVersion });
}
