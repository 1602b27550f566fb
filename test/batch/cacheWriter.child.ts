/**
 * Child process for the cache's multi-process tests (bundled with esbuild by the test):
 *   argv: <cacheDir> write <writerId> <rounds> <flushEvery> <maxPacks> <key>...
 *     Each round puts this writer's value under every key and reads every key back through the
 *     same handle (its own puts are visible before its flush), then through a fresh handle (which
 *     sees whatever packs are published: any writer's complete value, or a miss). Every
 *     `flushEvery` rounds it flushes, so packs are published, and merged by the flush's
 *     compaction (maxPacks), while the other writers read and write. Prints one JSON line:
 *     {"hits": n, "misses": n, "corrupt": [...reasons], "foreign": n, "freshHits": n, "flushErrors": [...]}.
 *   argv: <cacheDir> kill <writerId> <count> <key>...
 *     Puts `count` rounds of every key, writes "ready\n" and SIGKILLs itself without flushing.
 */
import { openCache } from '../../src/batch/cache.js';

type Value = { writer: string; payload: number[] };
const [dir, mode, writer, roundsText, ...rest] = process.argv.slice(2);
const payloadOf = (w: string) => Array.from({ length: 200 }, (_, i) => i * (w === 'A' ? 1 : w === 'B' ? -1 : 2));
const payload = payloadOf(writer!);

if (mode === 'kill') {
  const cache = openCache<Value>({ dir: dir!, ttlMs: 3_600_000 });
  for (let r = 0; r < Number(roundsText); r++) for (const k of rest) cache.putSync(k, { writer: writer!, payload }, Date.now());
  process.stdout.write('ready\n', () => process.kill(process.pid, 'SIGKILL'));
} else {
  const [flushEveryText, maxPacksText, ...keys] = rest;
  const opts = { dir: dir!, ttlMs: 3_600_000, maxPacks: Number(maxPacksText) };
  const cache = openCache<Value>(opts);
  let hits = 0;
  let misses = 0;
  let foreign = 0;
  let freshHits = 0;
  const corrupt: string[] = [];
  const flushErrors: string[] = [];
  // a hit is always one writer's complete value
  const check = (got: ReturnType<typeof cache.get>): boolean => {
    if (got.status === 'corrupt') corrupt.push(got.reason);
    if (got.status !== 'hit') return false;
    if (JSON.stringify(got.value.payload) !== JSON.stringify(payloadOf(got.value.writer))) corrupt.push('mixed value');
    return true;
  };
  for (let r = 1; r <= Number(roundsText); r++) {
    for (const k of keys) await cache.put(k, { writer: writer!, payload }, Date.now());
    for (const k of keys) {
      const got = cache.get(k, Date.now());
      if (check(got)) {
        hits++;
        if (got.status === 'hit' && got.value.writer !== writer) foreign++;
      } else misses++;
    }
    const fresh = openCache<Value>(opts);
    for (const k of keys) if (check(fresh.get(k, Date.now()))) freshHits++;
    fresh.flush();
    if (r % Number(flushEveryText) === 0) {
      const f = cache.flush();
      if (f.error) flushErrors.push(f.error);
    }
  }
  const f = cache.flush();
  if (f.error) flushErrors.push(f.error);
  process.stdout.write(`${JSON.stringify({ hits, misses, corrupt, foreign, freshHits, flushErrors })}\n`);
}
