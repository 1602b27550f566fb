/**
 * `perfcalc tables create` and `perfcalc import --to dynamodb` against DynamoDB Local, and the
 * BatchWriteItem retry path through the fault proxy (UnprocessedItems, exhaustion, throttling).
 */
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeTableCommand, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { startFaultProxy, useDynamoDbLocal, type FaultProxy } from '../servers/index.js';
import { main } from '../../src/cli.js';
import { PerfcalcError } from '../../src/errors.js';
import { createTables, tableDefinition } from '../../src/storage/dynamodb/tables.js';
import { batchWriteAll, type Item } from '../../src/storage/dynamodb/batchWrite.js';
import { loadPortfolios } from '../../src/storage/csv/loadPortfolios.js';
import { FIXTURES, tempDir } from '../cli/runCli.js';
import { readFile } from 'node:fs/promises';
import { queryAuditDynamo } from '../../src/storage/dynamodb/audit.js';
import { FIXTURE_FILES } from '../storage/conformance.js';
import { testEnv, testTarget } from './helpers.js';

const ddb = useDynamoDbLocal();
let proxy: FaultProxy;
const saved = { ...process.env };

beforeAll(async () => {
  proxy = await startFaultProxy(ddb().endpoint);
  Object.assign(process.env, testEnv(ddb().endpoint), { PERFCALC_STATE_DIR: await tempDir('perfcalc-ddb-state-') });
});
afterAll(async () => {
  await proxy?.stop();
  process.env = saved;
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c) => (stdout += c));
  err.on('data', (c) => (stderr += c));
  const code = await main(['node', 'perfcalc', ...args], { stdout: out, stderr: err });
  return { code, stdout, stderr };
}

async function countItems(table: string): Promise<number> {
  // test-only census of the whole table (product code never scans)
  const t = testTarget(ddb().endpoint, table);
  let n = 0;
  let start: Record<string, never> | undefined;
  do {
    const page = await t.client.send(new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: start }));
    n += page.Count ?? 0;
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  t.close();
  return n;
}

const items = (n: number, tag: string): Item[] => Array.from({ length: n }, (_, i) => ({ PK: { S: `T#test#X#${tag}` }, SK: { S: `I#${String(i).padStart(3, '0')}` }, n: { N: String(i) } }));

describe('tables create', () => {
  it('--dry-run prints the definition and creates nothing', async () => {
    const r = await cli(['tables', 'create', '--table', 'dry', '--dry-run']);
    expect(r.code).toBe(0);
    const def = JSON.parse(r.stdout).dynamodb;
    expect(def).toEqual(tableDefinition('dry'));
    expect(def.KeySchema).toEqual([
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ]);
    expect(def.GlobalSecondaryIndexes.map((g: { IndexName: string }) => g.IndexName)).toEqual(['GSI1', 'GSI2']);
    const t = testTarget(ddb().endpoint, 'dry');
    await expect(t.client.send(new DescribeTableCommand({ TableName: 'dry' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    t.close();
  });

  it('is idempotent: created, then already exists; both GSIs ACTIVE', async () => {
    const first = await cli(['tables', 'create', '--table', 'perfcalc']);
    expect([first.code, first.stdout]).toEqual([0, 'table perfcalc: created, ACTIVE\n']);
    const second = await cli(['tables', 'create', '--table', 'perfcalc']);
    expect([second.code, second.stdout]).toEqual([0, 'table perfcalc: already exists, ACTIVE\n']);
    const t = testTarget(ddb().endpoint, 'perfcalc');
    const d = (await t.client.send(new DescribeTableCommand({ TableName: 'perfcalc' }))).Table!;
    expect(d.GlobalSecondaryIndexes!.map((g) => [g.IndexName, g.IndexStatus]).sort()).toEqual([
      ['GSI1', 'ACTIVE'],
      ['GSI2', 'ACTIVE'],
    ]);
    t.close();
  });
});

describe('import --to dynamodb', () => {
  it('bad input is exit 2 with the loader message, and nothing is written', async () => {
    const t = testTarget(ddb().endpoint, 'badin');
    await createTables(t.client, 'badin');
    t.close();
    const bad = join(FIXTURES, 'bad', 'non_positive_value.csv');
    const r = await cli(['import', '--to', 'dynamodb', '--table', 'badin', '--valuations', bad, '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('non_positive_value.csv:');
    expect(r.stderr).toContain("column 'market_value'");
    // no data item: only the failed import's audit record (event + system + resource items)
    const t2 = testTarget(ddb().endpoint, 'badin');
    const all = (await t2.client.send(new ScanCommand({ TableName: 'badin' }))).Items!;
    t2.close();
    expect(new Set(all.map((i) => i.type!.S))).toEqual(new Set(['audit']));
    expect(all.length).toBe(3);
    const rec = JSON.parse(all[0]!.record!.S!);
    expect([rec.command, rec.outcome, rec.tenant]).toEqual(['import', 'failed', 'default']);
    expect(rec.error).toContain('non_positive_value.csv:');
  });

  it('writes every fixture row once, and a re-import gives the same item count', async () => {
    const load = await loadPortfolios({ valuations: FIXTURE_FILES.valuations, cashFlows: FIXTURE_FILES.cashFlows });
    const flows = [...load.portfolios.values()].reduce((n, p) => n + p.flows.dates.length, 0);
    // 10 portfolio meta items + 6864 valuation rows + netted flows + 2 series meta items + 1610 benchmark/RF rows
    const expected = 10 + 6864 + flows + 2 + 1610;
    const args = ['import', '--to', 'dynamodb', '--table', 'perfcalc', '--tenant', 'acme', '--valuations', FIXTURE_FILES.valuations, '--cash-flows', FIXTURE_FILES.cashFlows, '--returns', FIXTURE_FILES.returns, '--concurrency', '8', '--quiet'];
    const first = await cli(args);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout);
    expect([report.portfolios, report.series, report.items]).toEqual([10, 2, expected]);
    expect(report.requests).toBe(Math.ceil(expected / 25));
    expect(await countItems('perfcalc')).toBe(expected + 7);
    const again = await cli(args);
    expect(again.code).toBe(0);
    // the same data items; each import added its audit record (event, csv system, 3 files, dynamodb system, the table = 7 items)
    expect(await countItems('perfcalc')).toBe(expected + 2 * 7);
    const audit = await queryAuditDynamo(testTarget(ddb().endpoint, 'perfcalc', 'acme'), { system: 'csv', resource: FIXTURE_FILES.valuations });
    expect(audit.records.map((x) => [x.command, x.outcome, x.counts.items])).toEqual([
      ['import', 'ok', expected],
      ['import', 'ok', expected],
    ]);
    const local = (await readFile(join(process.env.PERFCALC_STATE_DIR!, 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(local.filter((x) => x.command === 'import' && x.outcome === 'ok').length).toBe(2);
    console.error(`import throughput (fixtures, DynamoDB Local, concurrency 8): ${report.items} items in ${report.elapsed_ms} ms = ${report.items_per_s} items/s`);
  });

  it('holdings: a valuation per day from the exact holdings sum, and the holdings with the file text', async () => {
    const r = await cli(['import', '--to', 'dynamodb', '--table', 'perfcalc', '--tenant', 'hold', '--holdings', join(FIXTURES, 'holdings.csv'), '--quiet']);
    expect(r.code).toBe(0);
    const t = testTarget(ddb().endpoint, 'perfcalc');
    // fixtures/holdings.csv: H-001,2025-10-31,MSFT,122,410.0000,50020.0000 (122 x 410 = 50020)
    const h = await t.client.send(new GetItemCommand({ TableName: 'perfcalc', Key: { PK: { S: 'T#hold#P#H-001' }, SK: { S: 'H#2025-10-31#MSFT' } } }));
    // the N type keeps the decimal value exactly but not its text: DynamoDB returns 410.0000 as 410
    expect([h.Item!.quantity!.N, h.Item!.price!.N, h.Item!.market_value!.N]).toEqual(['122', '410', '50020']);
    const want = (await loadPortfolios({ holdings: join(FIXTURES, 'holdings.csv') })).portfolios.get('H-001')!;
    const v = await t.client.send(new GetItemCommand({ TableName: 'perfcalc', Key: { PK: { S: 'T#hold#P#H-001' }, SK: { S: 'V#2025-10-31' } } }));
    expect(Number(v.Item!.v!.N)).toBe(want.valuations.values[0]);
    t.close();
  });
});

describe('BatchWriteItem retries (fault proxy)', () => {
  beforeAll(async () => {
    const t = testTarget(ddb().endpoint, 'faults');
    await createTables(t.client, 'faults');
    t.close();
  });

  it('re-sends UnprocessedItems with full-jitter exponential backoff until all are written', async () => {
    const t = testTarget(proxy.endpoint, 'faults');
    const delays: number[] = [];
    const before = proxy.requests.length;
    proxy.inject({ kind: 'unprocessed', count: 10, times: 3 });
    const stats = await batchWriteAll(t.client, 'faults', items(60, 'u'), { concurrency: 1, sleep: async (ms) => void delays.push(ms), random: () => 0.5, baseMs: 50 });
    // chunks 25, 25, 10; the first chunk loses 10 items three times: sleeps 0.5 x 50, 0.5 x 100, 0.5 x 200
    expect(delays).toEqual([25, 50, 100]);
    expect(stats).toEqual({ items: 60, requests: 6, retries: 3 });
    expect(proxy.requests.slice(before).map((r) => r.withheld ?? 0)).toEqual([10, 10, 10, 0, 0, 0]);
    const d = testTarget(ddb().endpoint, 'faults');
    for (const i of [0, 14, 15, 24, 59]) {
      const got = await d.client.send(new GetItemCommand({ TableName: 'faults', Key: { PK: { S: 'T#test#X#u' }, SK: { S: `I#${String(i).padStart(3, '0')}` } } }));
      expect(got.Item!.n!.N).toBe(String(i));
    }
    t.close();
    d.close();
  });

  it('gives up after maxAttempts with a clear error naming the table and the items left', async () => {
    const t = testTarget(proxy.endpoint, 'faults');
    proxy.inject({ kind: 'unprocessed', count: 5, times: 4 });
    const err = await batchWriteAll(t.client, 'faults', items(5, 'x'), { maxAttempts: 4, sleep: async () => undefined }).catch((e) => e);
    expect(err).toBeInstanceOf(PerfcalcError);
    expect(err.message).toBe(
      'DynamoDB table faults: 5 of 5 items still unprocessed after 4 BatchWriteItem attempts (throttled or over capacity); rerunning is safe, the writes are idempotent',
    );
    expect(proxy.pending()).toBe(0);
    t.close();
  });

  it('throttling: the SDK retries it; past the SDK attempts, the batch writer retries it', async () => {
    const sdk = testTarget(proxy.endpoint, 'faults', 'default', { maxAttempts: 3 });
    proxy.inject({ kind: 'throttling', operation: 'BatchWriteItem', times: 2 });
    const a = await batchWriteAll(sdk.client, 'faults', items(3, 't1'), { sleep: async () => undefined });
    expect(a).toEqual({ items: 3, requests: 1, retries: 0 });
    sdk.close();
    const bare = testTarget(proxy.endpoint, 'faults', 'default', { maxAttempts: 1 });
    const before = proxy.requests.length;
    proxy.inject({ kind: 'provisioned-throughput-exceeded', operation: 'BatchWriteItem', times: 2 });
    const b = await batchWriteAll(bare.client, 'faults', items(3, 't2'), { sleep: async () => undefined });
    expect(b).toEqual({ items: 3, requests: 3, retries: 2 });
    expect(proxy.requests.slice(before).map((r) => r.fault ?? 'ok')).toEqual(['provisioned-throughput-exceeded', 'provisioned-throughput-exceeded', 'ok']);
    bare.close();
  });
});
