/**
 * Every ResultSink through the shared conformance suite (sinkConformance.ts). A sink joins with one
 * `sinkConformance(harness)` line; its harness opens it on fresh storage and reads back what a run stored.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResultRow } from '../../src/batch/runBatch.js';
import { openFileSink } from '../../src/storage/files/fileSink.js';
import { createTimestreamTables, openTimestreamSink } from '../../src/storage/timestream/index.js';
import { useTimestreamServer } from '../servers/index.js';
import { dims, freshTable, guardedClient, measures, NOW_MS } from '../timestream/tsHelpers.js';
import { sinkConformance, type SinkHarness } from './sinkConformance.js';

/** Files: results.json in a fresh directory; no daily series. */
const filesHarness: SinkHarness = {
  name: 'files',
  async open() {
    const dir = await mkdtemp(join(tmpdir(), 'perfcalc-conformance-'));
    return {
      sink: openFileSink({ out: dir, formats: ['json'] }),
      async read(runId) {
        const rows = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as RunResultRow[];
        return {
          results: rows.filter((x) => x.run_id === runId && x.value !== null).map((x) => ({ portfolio_id: x.portfolio_id, period: x.period, metric: x.metric, value: x.value as number })),
          daily: null,
        };
      },
      close: () => rm(dir, { recursive: true, force: true }),
    };
  },
};

/** Timestream: a fresh table on the local Timestream write server (fixed clock), read back from its store. */
const timestream = useTimestreamServer({ now: () => NOW_MS });
const timestreamHarness: SinkHarness = {
  name: 'timestream',
  async open() {
    const client = guardedClient(timestream().endpoint);
    const table = freshTable('conformance');
    await createTimestreamTables({ database: 'perfcalc', table }, { client });
    const sink = openTimestreamSink({ database: 'perfcalc', table, tenant: 'conformance', client });
    return {
      sink,
      async read(runId) {
        const stored = timestream().records('perfcalc', table).filter((x) => dims(x).run_id === runId);
        return {
          results: stored
            .filter((x) => x.measureName !== 'daily' && x.measureName !== 'run')
            .map((x) => ({ portfolio_id: dims(x).portfolio!, period: dims(x).period!, metric: x.measureName, value: Number(measures(x).metric_value) })),
          daily: stored
            .filter((x) => x.measureName === 'daily')
            .map((x) => {
              const m = measures(x);
              return {
                portfolio_id: dims(x).portfolio!,
                date: new Date(Number(x.time)).toISOString().slice(0, 10),
                daily_return: Number(m.daily_return),
                cumulative_index: Number(m.cumulative_index),
                drawdown: Number(m.drawdown),
              };
            }),
        };
      },
      async close() {
        client.destroy();
      },
    };
  },
};

sinkConformance(filesHarness);
sinkConformance(timestreamHarness);
