/**
 * BatchWriteItem for any number of items: 25 per request, `concurrency` requests in flight
 * (p-limit). UnprocessedItems come back under load and are never retried by the SDK: they are
 * retried here with exponential backoff and full jitter (sleep = random() x min(capMs, baseMs x 2^n)),
 * at most `maxAttempts` requests per batch, then a PerfcalcError naming the table and how many
 * items were left. A throttling error that outlived the SDK's own retries is retried the same way.
 * Duplicate keys inside one request are an error in DynamoDB; the last item of a key wins here.
 */
import { BatchWriteItemCommand, type AttributeValue, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { PerfcalcError } from '../../errors.js';
import { errorName, explainMissingTable } from './client.js';

export type Item = Record<string, AttributeValue>;

export interface BatchWriteOptions {
  concurrency?: number;
  /** Requests per batch, first one included (default 8). */
  maxAttempts?: number;
  baseMs?: number;
  capMs?: number;
  /** Called with the number of items a request wrote for good. */
  onWritten?: (n: number) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface BatchWriteStats {
  items: number;
  requests: number;
  /** Requests that re-sent unprocessed items or retried after throttling. */
  retries: number;
}

const RETRYABLE = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'InternalServerError']);

export const BATCH_SIZE = 25;

function dedupe(items: readonly Item[]): Item[] {
  const byKey = new Map<string, Item>();
  for (const it of items) byKey.set(`${it.PK?.S}\u0000${it.SK?.S}`, it);
  return [...byKey.values()];
}

export async function batchWriteAll(client: DynamoDBClient, table: string, items: readonly Item[], opts: BatchWriteOptions = {}): Promise<BatchWriteStats> {
  const maxAttempts = opts.maxAttempts ?? 8;
  const base = opts.baseMs ?? 50;
  const cap = opts.capMs ?? 5000;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = opts.random ?? Math.random;
  const stats: BatchWriteStats = { items: 0, requests: 0, retries: 0 };
  const unique = dedupe(items);
  const chunks: WriteRequest[][] = [];
  for (let i = 0; i < unique.length; i += BATCH_SIZE) chunks.push(unique.slice(i, i + BATCH_SIZE).map((Item) => ({ PutRequest: { Item } })));
  const limit = pLimit(Math.max(1, opts.concurrency ?? 4));

  const one = async (chunk: WriteRequest[]): Promise<void> => {
    let pending = chunk;
    for (let attempt = 0; ; attempt++) {
      if (attempt >= maxAttempts) {
        throw new PerfcalcError(
          `DynamoDB table ${table}: ${pending.length} of ${chunk.length} items still unprocessed after ${maxAttempts} BatchWriteItem attempts (throttled or over capacity); rerunning is safe, the writes are idempotent`,
        );
      }
      if (attempt > 0) {
        stats.retries++;
        await sleep(random() * Math.min(cap, base * 2 ** (attempt - 1)));
      }
      stats.requests++;
      let left: WriteRequest[];
      try {
        const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
        left = out.UnprocessedItems?.[table] ?? [];
      } catch (err) {
        if (!RETRYABLE.has(errorName(err))) throw explainMissingTable(err, table);
        continue;
      }
      const done = pending.length - left.length;
      stats.items += done;
      if (done > 0) opts.onWritten?.(done);
      if (left.length === 0) return;
      pending = left;
    }
  };
  await Promise.all(chunks.map((c) => limit(() => one(c))));
  return stats;
}
