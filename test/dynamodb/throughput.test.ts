/**
 * Throughput against DynamoDB Local (figures for docs/dynamodb.md, no timing assertions).
 * Skipped unless PERFCALC_MEASURE=1:  PERFCALC_MEASURE=1 npx vitest run test/dynamodb/throughput.test.ts
 * Data: 100 portfolios x 260 weekday valuations + one flow a month, generated here (seeded).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useDynamoDbLocal } from '../servers/index.js';
import { formatIsoDate, parseIsoDate } from '../../src/engine/calendarDate.js';
import { createTables } from '../../src/storage/dynamodb/tables.js';
import { importCsv } from '../../src/storage/dynamodb/importCsv.js';
import { resolveRunConfig } from '../../src/config.js';
import { run } from '../../src/commands/run.js';
import { tempDir } from '../cli/runCli.js';
import { testEnv, testTarget } from './helpers.js';

describe.skipIf(process.env.PERFCALC_MEASURE !== '1')('DynamoDB Local throughput', () => {
  const ddb = useDynamoDbLocal();

  it('import and run', async () => {
    Object.assign(process.env, testEnv(ddb().endpoint));
    const dir = await tempDir('perfcalc-ddb-measure-');
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const v = ['portfolio_id,date,market_value'];
    const f = ['portfolio_id,date,amount'];
    const start = parseIsoDate('2024-01-01')!;
    for (let p = 0; p < 100; p++) {
      const id = `M-${String(p).padStart(3, '0')}`;
      let value = 1_000_000;
      let n = 0;
      for (let d = start; n < 260; d++) {
        const wd = (d + 4) % 7; // 0 = Sunday
        if (wd === 0 || wd === 6) continue;
        value *= 1 + (rnd() - 0.5) * 0.02;
        v.push(`${id},${formatIsoDate(d)},${value.toFixed(2)}`);
        if (n > 0 && n % 21 === 0) f.push(`${id},${formatIsoDate(d)},${(rnd() * 10000).toFixed(2)}`);
        n++;
      }
    }
    await writeFile(join(dir, 'v.csv'), `${v.join('\n')}\n`);
    await writeFile(join(dir, 'f.csv'), `${f.join('\n')}\n`);
    const t = testTarget(ddb().endpoint, 'perfcalc', 'm');
    await createTables(t.client, 'perfcalc');
    for (const concurrency of [1, 4, 16]) {
      const r = await importCsv({ ...t, tenant: `m${concurrency}` }, { valuations: join(dir, 'v.csv'), cashFlows: join(dir, 'f.csv'), concurrency });
      console.error(`import concurrency ${concurrency}: ${r.items} items, ${r.requests} requests, ${r.elapsed_ms} ms, ${r.items_per_s} items/s`);
    }
    for (const concurrency of [2, 8]) {
      const { config } = await resolveRunConfig({
        flags: { source: 'dynamodb', sinks: ['dynamodb'], tenant: 'm16', runId: `measure-${concurrency}`, metrics: 'twr,mwr', cache: false, quiet: true, concurrency, out: join(dir, `out${concurrency}`), stateDir: join(dir, 'state') },
        env: {},
        cwd: dir,
        readFile: (p) => readFile(p, 'utf8'),
      });
      const t0 = performance.now();
      const rep = await run(config, { argv: [] });
      const ms = performance.now() - t0;
      const read = 100 * (260 + 12 + 1);
      console.error(
        `run concurrency ${concurrency}: ${rep.summary.portfolios.total} portfolios, ~${read} items read, ${rep.summary.results} results written, ${Math.round(ms)} ms: ${Math.round((rep.summary.results / ms) * 1000)} results/s, ${Math.round(((read + rep.summary.results) / ms) * 1000)} items/s read+written`,
      );
      expect(rep.summary.portfolios.failed).toBe(0);
    }
    t.close();
  }, 600_000);
});
