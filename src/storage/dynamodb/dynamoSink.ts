/**
 * DynamoDB as a ResultSink, for one tenant and run. Partition `T#<tenant>#R#<run_id>` holds:
 * - `#RUN`: the run record. `begin` puts it with the condition "absent, or status running" (a
 *   rerun of a crashed run with the same id takes it over; a finished run is never reopened).
 * - `P#<portfolio>#<period>#<metric>`: one item per result row (BatchWriteItem). Same run id,
 *   portfolio, period and metric = same key, so a retry or rerun overwrites and never duplicates.
 * - `E#<portfolio>`: one item per failed portfolio; `#SUMMARY`: the run summary.
 * `finish` is one TransactWriteItems: the run record's update running -> final (conditioned on
 * running), the summary and the error items (up to 20; more are batch-written first and the
 * transaction carries their count), with a ClientRequestToken derived from tenant, run id and
 * the attempt's start time, so a retried finish is replayed, not applied twice.
 * A crash at any point leaves the record `running` and some results: a rerun with the same run
 * id rewrites every result key and closes the record.
 */
import { createHash } from 'node:crypto';
import { PutItemCommand, TransactWriteItemsCommand, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { PortfolioError, RunResultRow } from '../../batch/runBatch.js';
import { UsageError } from '../../errors.js';
import type { ResultSink, RunRecord, SinkReport } from '../types.js';
import { batchWriteAll, type BatchWriteOptions, type Item } from './batchWrite.js';
import { errorName, explainMissingTable, N, NULL, S, type DynamoTarget } from './client.js';
import { GSI1, keys } from './keys.js';

/** Error items carried inside the finishing transaction (the rest are batch-written before it). */
export const ERRORS_IN_TRANSACTION = 20;

export interface DynamoSinkOptions {
  concurrency?: number;
  batch?: Omit<BatchWriteOptions, 'concurrency'>;
}

export function resultItem(tenant: string, r: RunResultRow): Item {
  const item: Item = {
    PK: S(keys.run(tenant, r.run_id)),
    SK: S(keys.result(r.portfolio_id, r.period, r.metric)),
    type: S('result'),
  };
  for (const [k, v] of Object.entries(r)) {
    if (v === null || v === undefined) item[k] = NULL;
    else if (typeof v === 'number') item[k] = Number.isFinite(v) ? N(v) : NULL;
    else if (typeof v === 'boolean') item[k] = { BOOL: v };
    else item[k] = S(typeof v === 'string' ? v : JSON.stringify(v));
  }
  return item;
}

/** The idempotency token of a run's finishing transaction (at most 36 characters). */
export function finishToken(tenant: string, run: RunRecord): string {
  return createHash('sha256').update(`${tenant}\u0000${run.run_id}\u0000${run.started_at}\u0000finish`).digest('hex').slice(0, 36);
}

function runRecordItem(tenant: string, run: RunRecord): Item {
  return {
    PK: S(keys.run(tenant, run.run_id)),
    SK: S(keys.runRecord),
    GSI1PK: S(keys.runList(tenant)),
    GSI1SK: S(`${run.started_at}#${run.run_id}`),
    type: S('run'),
    run_id: S(run.run_id),
    status: S(run.status),
    started_at: S(run.started_at),
    finished_at: run.finished_at === null ? NULL : S(run.finished_at),
    perfcalc_version: S(run.perfcalc_version),
    record: S(JSON.stringify({ ...run, tenant })),
  };
}

export function openDynamoSink(target: DynamoTarget, opts: DynamoSinkOptions = {}): ResultSink {
  const tenant = target.tenant;
  return {
    kind: 'dynamodb',
    wantsDailySeries: false,
    async begin(run) {
      try {
        await target.client.send(
          new PutItemCommand({
            TableName: target.table,
            Item: runRecordItem(tenant, { ...run, status: 'running', finished_at: null }),
            ConditionExpression: 'attribute_not_exists(PK) OR #s = :running',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':running': S('running') },
          }),
        );
      } catch (err) {
        if (errorName(err) === 'ConditionalCheckFailedException') {
          throw new UsageError(`run '${run.run_id}' has already finished in DynamoDB table ${target.table} (tenant ${tenant}); give a new --run-id`);
        }
        throw explainMissingTable(err, target.table);
      }
    },
    async writeResults(rows): Promise<SinkReport> {
      const stats = await batchWriteAll(target.client, target.table, rows.map((r) => resultItem(tenant, r)), { ...opts.batch, concurrency: opts.concurrency ?? 2 });
      return { written: stats.items, rejected: [] };
    },
    async writeDailySeries() {
      return { written: 0, rejected: [] };
    },
    async finish(run, errors: readonly PortfolioError[], summary): Promise<SinkReport> {
      const pk = keys.run(tenant, run.run_id);
      const errorItems: Item[] = errors.map((e) => ({
        PK: S(pk),
        SK: S(keys.runError(e.portfolio_id)),
        type: S('error'),
        portfolio_id: S(e.portfolio_id),
        stage: S(e.stage),
        message: S(e.message),
      }));
      let written = 0;
      const inTransaction = errorItems.length <= ERRORS_IN_TRANSACTION ? errorItems : [];
      if (inTransaction.length === 0 && errorItems.length > 0) {
        written += (await batchWriteAll(target.client, target.table, errorItems, { ...opts.batch, concurrency: opts.concurrency ?? 2 })).items;
      }
      const final = runRecordItem(tenant, run);
      const s = typeof summary === 'function' ? (summary as () => unknown)() : summary;
      const items: TransactWriteItem[] = [
        {
          Update: {
            TableName: target.table,
            Key: { PK: final.PK!, SK: final.SK! },
            UpdateExpression: 'SET #s = :final, finished_at = :fin, #rec = :rec, GSI1PK = :g1pk, GSI1SK = :g1sk, errors = :errors',
            ConditionExpression: '#s = :running',
            ExpressionAttributeNames: { '#s': 'status', '#rec': 'record' },
            ExpressionAttributeValues: {
              ':final': final.status!,
              ':fin': final.finished_at!,
              ':rec': final.record!,
              ':g1pk': final.GSI1PK!,
              ':g1sk': final.GSI1SK!,
              ':errors': N(errors.length),
              ':running': S('running'),
            },
          },
        },
        { Put: { TableName: target.table, Item: { PK: S(pk), SK: S(keys.runSummary), type: S('summary'), run_id: S(run.run_id), errors: N(errors.length), summary: S(JSON.stringify(s ?? null)) } } },
        ...inTransaction.map((Item) => ({ Put: { TableName: target.table, Item } })),
      ];
      try {
        await target.client.send(new TransactWriteItemsCommand({ TransactItems: items, ClientRequestToken: finishToken(tenant, run) }));
      } catch (err) {
        if (errorName(err) === 'TransactionCanceledException') {
          throw new UsageError(`run '${run.run_id}' in DynamoDB table ${target.table} (tenant ${tenant}) is no longer running; another process finished it`);
        }
        throw err;
      }
      written += 2 + inTransaction.length;
      return { written, rejected: [] };
    },
  };
}

/** Not a GSI key here, but exported so docs and tests name the index of the run list. */
export const RUN_LIST_INDEX = GSI1;
