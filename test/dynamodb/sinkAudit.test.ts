/**
 * The DynamoDB sink's run record protocol, the `perfcalc audit` DynamoDB branch, and the SDK's
 * own handling of AWS_ENDPOINT_URL_DYNAMODB, against DynamoDB Local.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient, GetItemCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { guardLoopback, TEST_CREDENTIALS, TEST_REGION, useDynamoDbLocal } from '../servers/index.js';
import { createTables } from '../../src/storage/dynamodb/tables.js';
import { openDynamoSink, finishToken } from '../../src/storage/dynamodb/dynamoSink.js';
import { writeAuditRecord } from '../../src/storage/dynamodb/audit.js';
import { openDynamoSource } from '../../src/storage/dynamodb/dynamoSource.js';
import { batchWriteAll } from '../../src/storage/dynamodb/batchWrite.js';
import { maybeDynamoAudit } from '../../src/cliAws.js';
import type { RunRecord } from '../../src/storage/types.js';
import type { RunResultRow } from '../../src/batch/runBatch.js';
import { testEnv, testTarget } from './helpers.js';

const ddb = useDynamoDbLocal();
const TABLE = 'sinktest';
const saved = { ...process.env };

beforeAll(async () => {
  Object.assign(process.env, testEnv(ddb().endpoint));
  const t = testTarget(ddb().endpoint, TABLE);
  await createTables(t.client, TABLE);
  t.close();
});
afterAll(() => {
  process.env = saved;
});

const record = (over: Partial<RunRecord> = {}): RunRecord => ({
  run_id: 'sink-1',
  tenant: 'default',
  status: 'running',
  started_at: '2026-11-22T01:00:00.000Z',
  finished_at: null,
  perfcalc_version: '0.1.0',
  options: {},
  inputs: [],
  counts: {},
  ...over,
});

const row = (portfolio: string, value: number | null): RunResultRow =>
  ({ run_id: 'sink-1', portfolio_id: portfolio, period: 'ITD', start_date: '2024-01-01', end_date: '2024-12-31', metric: 'twr', value, method: 'daily', status: value === null ? 'no_data' : 'ok', note: '', input_digest: 'd', perfcalc_version: '0.1.0' }) as unknown as RunResultRow;

async function get(sk: string) {
  const t = testTarget(ddb().endpoint, TABLE);
  const r = await t.client.send(new GetItemCommand({ TableName: TABLE, Key: { PK: { S: 'T#default#R#sink-1' }, SK: { S: sk } }, ConsistentRead: true }));
  t.close();
  return r.Item;
}

describe('DynamoDB sink', () => {
  it('results overwrite by key; finish is one transaction whose replay with the same token is a no-op', async () => {
    const sink = openDynamoSink(testTarget(ddb().endpoint, TABLE));
    await sink.begin(record());
    await sink.writeResults([row('A', 0.5), row('B', null)]);
    // a retry writes the same keys: still one item per key, the last value wins
    expect(await sink.writeResults([row('A', 0.25)])).toEqual({ written: 1, rejected: [] });
    expect((await get('P#A#ITD#twr'))!.value!.N).toBe('0.25');
    expect((await get('P#B#ITD#twr'))!.value!.NULL).toBe(true);
    const final = record({ status: 'partial', finished_at: '2026-11-22T01:05:00.000Z', counts: { portfolios: 3, failed: 1 } });
    const errors = [{ portfolio_id: 'C', stage: 'load' as const, message: 'bad row' }];
    expect(await sink.finish(final, errors, { results: 2 })).toEqual({ written: 3, rejected: [] });
    // the same finish again (say, a timeout and a retry): DynamoDB replays the token instead of failing the condition
    expect(await sink.finish(final, errors, { results: 2 })).toEqual({ written: 3, rejected: [] });
    expect(finishToken('default', final)).toMatch(/^[0-9a-f]{36}$/);
    const rec = await get('#RUN');
    expect([rec!.status!.S, rec!.finished_at!.S, rec!.errors!.N]).toEqual(['partial', '2026-11-22T01:05:00.000Z', '1']);
    expect(JSON.parse((await get('#SUMMARY'))!.summary!.S!)).toEqual({ results: 2 });
    expect((await get('E#C'))!.message!.S).toBe('bad row');
  });

  it('many errors: batch-written before the transaction, which carries their count', async () => {
    const sink = openDynamoSink(testTarget(ddb().endpoint, TABLE));
    const r = record({ run_id: 'sink-2' });
    await sink.begin(r);
    const errors = Array.from({ length: 30 }, (_, i) => ({ portfolio_id: `P${i}`, stage: 'compute' as const, message: `e${i}` }));
    // 30 error items by BatchWriteItem, then the run record update and the summary in the transaction
    expect(await sink.finish({ ...r, status: 'partial', finished_at: '2026-11-22T02:00:00.000Z' }, errors, {})).toEqual({ written: 32, rejected: [] });
  });
});

describe('perfcalc audit with the DynamoDB store', () => {
  it('does nothing without --audit dynamodb; with it, prints the records and the next-page token', async () => {
    const t = testTarget(ddb().endpoint, TABLE, 'acme');
    for (const i of [1, 2]) {
      await writeAuditRecord(t, { run_id: `a${i}`, user: 'carol', command: 'run', argv: ['run'], inputs: [], counts: { portfolios: i }, outcome: 'ok', started_at: `2026-11-1${i}T08:00:00.000Z`, finished_at: `2026-11-1${i}T08:00:09.000Z` });
    }
    t.close();
    const io = () => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const text = { out: '', err: '' };
      stdout.on('data', (c) => (text.out += c));
      stderr.on('data', (c) => (text.err += c));
      return { io: { stdout, stderr }, text };
    };
    const a = io();
    expect(await maybeDynamoAudit({ user: 'carol' }, a.io)).toBe(false);
    const b = io();
    expect(await maybeDynamoAudit({ audit: 'dynamodb', table: TABLE, tenant: 'acme', user: 'carol', limit: 1, format: 'json' }, b.io)).toBe(true);
    const page = JSON.parse(b.text.out) as Array<{ run_id: string; portfolios: number }>;
    expect(page.map((r) => [r.run_id, r.portfolios])).toEqual([['a2', 2]]);
    const token = /--next-token (\S+)/.exec(b.text.err)![1]!;
    const c = io();
    expect(await maybeDynamoAudit({ audit: 'dynamodb', table: TABLE, tenant: 'acme', user: 'carol', limit: 1, format: 'json', nextToken: token }, c.io)).toBe(true);
    expect((JSON.parse(c.text.out) as Array<{ run_id: string }>).map((r) => r.run_id)).toEqual(['a1']);
  });
});

describe('a missing table', () => {
  it('is a usage error that says how to create it (sink, source and import alike)', async () => {
    const msg = "DynamoDB table nosuch does not exist (or is not visible to these credentials and region): create it with 'perfcalc tables create --table nosuch'";
    const t = testTarget(ddb().endpoint, 'nosuch');
    await expect(openDynamoSink(t).begin(record())).rejects.toThrow(msg);
    await expect(openDynamoSource(t).listPortfolios()).rejects.toThrow(msg);
    await expect(batchWriteAll(t.client, 'nosuch', [{ PK: { S: 'T#x#P#a' }, SK: { S: '#META' } }])).rejects.toThrow(msg);
    t.close();
  });
});

describe('endpoint from the environment', () => {
  it('the SDK itself sends to AWS_ENDPOINT_URL_DYNAMODB when the client has no endpoint', async () => {
    const client = guardLoopback(new DynamoDBClient({ region: TEST_REGION, credentials: { ...TEST_CREDENTIALS } }));
    const out = await client.send(new ListTablesCommand({}));
    expect(out.TableNames).toContain(TABLE);
    expect(new Set(client.loopbackHosts)).toEqual(new Set(['127.0.0.1']));
    client.destroy();
  });
});
