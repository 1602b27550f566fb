/**
 * Child process for the cache's concurrent-writer test (bundled with esbuild by the test):
 * argv: <cacheDir> <writerId> <rounds> <key>...
 * Each round puts this writer's value under every key, then reads every key back; prints one
 * JSON line of what it saw: {"hits": n, "misses": n, "corrupt": [...reasons], "foreign": n}.
 */
import { openCache } from '../../src/batch/cache.js';

const [dir, writer, roundsText, ...keys] = process.argv.slice(2);
const cache = openCache<{ writer: string; payload: number[] }>({ dir: dir!, ttlMs: 3_600_000 });
const payload = Array.from({ length: 200 }, (_, i) => i * Number(writer === 'A' ? 1 : -1));
let hits = 0;
let misses = 0;
let foreign = 0;
const corrupt: string[] = [];
for (let r = 0; r < Number(roundsText); r++) {
  await Promise.all(keys.map((k) => cache.put(k, { writer: writer!, payload }, Date.now())));
  for (const k of keys) {
    const got = cache.get(k, Date.now());
    if (got.status === 'hit') {
      hits++;
      // a hit is always one writer's complete value
      const expected = Array.from({ length: 200 }, (_, i) => i * (got.value.writer === 'A' ? 1 : -1));
      if (JSON.stringify(got.value.payload) !== JSON.stringify(expected)) corrupt.push('mixed value');
      if (got.value.writer !== writer) foreign++;
    } else if (got.status === 'corrupt') corrupt.push(got.reason);
    else misses++;
  }
}
process.stdout.write(`${JSON.stringify({ hits, misses, corrupt, foreign })}\n`);
