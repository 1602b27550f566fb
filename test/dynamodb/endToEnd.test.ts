/**
 * End to end against DynamoDB Local: the fixtures imported, `run --source dynamodb --sink dynamodb`
 * equal to the same run over the CSV files value for value, tenants kept apart, a finished run id
 * refused, a run killed mid-run (SIGKILL of the built binary) repaired by a rerun with the same run
 * id, and the audit records of the runs queried through the indexes.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { useDynamoDbLocal } from '../servers/index.js';
import { resolveRunConfig } from '../../src/config.js';
import { run } from '../../src/commands/run.js';
import { UsageError } from '../../src/errors.js';
import { createTables } from '../../src/storage/dynamodb/tables.js';
import { importCsv } from '../../src/storage/dynamodb/importCsv.js';
import { queryAll } from '../../src/storage/dynamodb/dynamoSource.js';
import { auditQueryCache, queryAuditDynamo } from '../../src/storage/dynamodb/audit.js';
import { BIN, runCli, tempDir } from '../cli/runCli.js';
import { FIXTURE_FILES } from '../storage/conformance.js';
import { testEnv, testTarget } from './helpers.js';

const ddb = useDynamoDbLocal();
const TABLE = 'perfcalc';
const saved = { ...process.env };
let dir: string;

const COMMON = { metrics: 'twr,mwr,risk', benchmark: 'BENCH', rfSeries: 'RF', cache: false, quiet: true, concurrency: 2 };

async function config(flags: Record<string, unknown>) {
  return (await resolveRunConfig({ flags: { stateDir: join(dir, 'state'), ...COMMON, ...flags }, env: {}, cwd: dir, readFile: (p) => readFile(p, 'utf8') })).config;
}

async function resultItems(tenant: string, runId: string) {
  const t = testTarget(ddb().endpoint, TABLE, tenant);
  const items = await queryAll(t, { KeyConditionExpression: 'PK = :pk AND begins_with(SK, :p)', ExpressionAttributeValues: { ':pk': { S: `T#${tenant}#R#${runId}` }, ':p': { S: 'P#' } } });
  t.close();
  return items;
}

async function runRecord(tenant: string, runId: string) {
  const t = testTarget(ddb().endpoint, TABLE, tenant);
  const r = await t.client.send(new GetItemCommand({ TableName: TABLE, Key: { PK: { S: `T#${tenant}#R#${runId}` }, SK: { S: '#RUN' } }, ConsistentRead: true }));
  t.close();
  return r.Item;
}

beforeAll(async () => {
  Object.assign(process.env, testEnv(ddb().endpoint));
  dir = await tempDir('perfcalc-ddb-e2e-');
  const t = testTarget(ddb().endpoint, TABLE, 'acme');
  await createTables(t.client, TABLE);
  await importCsv(t, { valuations: FIXTURE_FILES.valuations, cashFlows: FIXTURE_FILES.cashFlows, returns: [FIXTURE_FILES.returns], concurrency: 8 });
  t.close();
});
afterAll(() => {
  process.env = saved;
});

describe('run --source dynamodb --sink dynamodb', () => {
  let csvRows: Array<Record<string, unknown>>;

  it('gives the same results as the CSV run, in the files and in the table, value for value', async () => {
    const fromCsv = await run(await config({ valuations: FIXTURE_FILES.valuations, cashFlows: FIXTURE_FILES.cashFlows, returns: [FIXTURE_FILES.returns], out: join(dir, 'csv'), runId: 'e2e-1' }), { argv: [] });
    const t0 = performance.now();
    const fromDb = await run(await config({ source: 'dynamodb', sinks: ['dynamodb'], tenant: 'acme', table: TABLE, out: join(dir, 'db'), runId: 'e2e-1' }), { argv: ['run', '--source', 'dynamodb'], user: 'alice' });
    const ms = performance.now() - t0;
    expect(fromDb.summary.portfolios).toEqual({ total: 10, succeeded: 10, failed: 0 });
    expect(fromDb.summary.results).toBe(fromCsv.summary.results);
    // same run id, same arrays (so the same input digests): the files are the same bytes
    expect(await readFile(join(dir, 'db', 'results.csv'), 'utf8')).toBe(await readFile(join(dir, 'csv', 'results.csv'), 'utf8'));
    csvRows = fromCsv.outcome.rows as unknown as Array<Record<string, unknown>>;
    const items = await resultItems('acme', 'e2e-1');
    expect(items.length).toBe(csvRows.length);
    const byKey = new Map(items.map((i) => [i.SK!.S!, i]));
    for (const r of csvRows) {
      const it = byKey.get(`P#${r.portfolio_id}#${r.period}#${r.metric}`)!;
      expect(it.status!.S).toBe(r.status);
      expect(it.value!.NULL ? null : Number(it.value!.N)).toBe(r.value);
      expect(it.start_date!.S).toBe(r.start_date);
      expect(it.input_digest!.S).toBe(r.input_digest);
    }
    const rec = await runRecord('acme', 'e2e-1');
    expect(rec!.status!.S).toBe('succeeded');
    const record = JSON.parse(rec!.record!.S!);
    expect(record.counts).toEqual({ portfolios: 10, succeeded: 10, failed: 0, results: csvRows.length });
    expect(record.inputs.map((i: { path: string }) => i.path)).toEqual(['dynamodb://perfcalc/acme/portfolios', 'dynamodb://perfcalc/acme/series']);
    console.error(`run throughput (fixtures, --source dynamodb --sink dynamodb, DynamoDB Local): ${csvRows.length} results in ${Math.round(ms)} ms = ${Math.round((csvRows.length / ms) * 1000)} results/s`);
  });

  it('refuses to reopen a finished run id', async () => {
    const err = await run(await config({ source: 'dynamodb', sinks: ['dynamodb'], tenant: 'acme', table: TABLE, out: join(dir, 'again'), runId: 'e2e-1' }), { argv: [] }).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe("run 'e2e-1' has already finished in DynamoDB table perfcalc (tenant acme); give a new --run-id");
    expect((await runRecord('acme', 'e2e-1'))!.status!.S).toBe('succeeded');
  });

  it('a tenant cannot read another tenant: globex sees no portfolios and no runs of acme', async () => {
    const r = await run(await config({ source: 'dynamodb', sinks: ['dynamodb'], tenant: 'globex', table: TABLE, out: join(dir, 'globex'), runId: 'e2e-1', benchmark: undefined, rfSeries: undefined }), { argv: [] });
    expect(r.summary.portfolios).toEqual({ total: 0, succeeded: 0, failed: 0 });
    expect(await resultItems('globex', 'e2e-1')).toEqual([]);
    // globex's series lookup fails rather than reading acme's BENCH
    const err = await run(await config({ source: 'dynamodb', tenant: 'globex', table: TABLE, out: join(dir, 'globex2'), runId: 'e2e-2' }), { argv: [] }).catch((e) => e);
    expect(err.message).toBe("series 'BENCH' is not in DynamoDB table perfcalc (tenant globex)");
    // acme's audit records are not visible to globex, and acme's page token is refused there
    const acme = await queryAuditDynamo(testTarget(ddb().endpoint, TABLE, 'acme'), { limit: 1 });
    expect(acme.records[0]!.tenant).toBe('acme');
    const globex = await queryAuditDynamo(testTarget(ddb().endpoint, TABLE, 'globex'), { user: 'alice' });
    expect(globex.records).toEqual([]);
    await expect(queryAuditDynamo(testTarget(ddb().endpoint, TABLE, 'globex'), { nextToken: acme.nextToken })).rejects.toThrow('--next-token belongs to another query');
  });

  it('a run killed mid-run (SIGKILL) is repaired by a rerun with the same run id', async () => {
    const env = { ...process.env, ...testEnv(ddb().endpoint), NO_COLOR: '1' };
    const args = ['run', '--source', 'dynamodb', '--sink', 'dynamodb', '--tenant', 'acme', '--table', TABLE, '--run-id', 'killed-1', '--metrics', 'twr,mwr,risk', '--benchmark', 'BENCH', '--rf-series', 'RF', '--no-cache', '--concurrency', '1', '--quiet', '--state-dir', join(dir, 'state'), '--out', join(dir, 'killed')];
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | number | null>((res) => child.on('exit', (code, signal) => res(signal ?? code)));
    // kill as soon as the first results are in the table
    let seen = 0;
    for (let i = 0; i < 600 && seen === 0; i++) {
      await new Promise((r) => setTimeout(r, 25));
      seen = (await resultItems('acme', 'killed-1')).length;
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const partial = (await resultItems('acme', 'killed-1')).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(csvRows.length);
    expect((await runRecord('acme', 'killed-1'))!.status!.S).toBe('running');
    // the rerun takes over the running record, rewrites every result key and closes the run
    const again = await runCli(args, { env });
    expect(again.code).toBe(0);
    const items = await resultItems('acme', 'killed-1');
    expect(items.length).toBe(csvRows.length);
    expect(new Set(items.map((i) => i.SK!.S)).size).toBe(csvRows.length);
    const rec = await runRecord('acme', 'killed-1');
    expect(rec!.status!.S).toBe('succeeded');
    expect(JSON.parse(rec!.record!.S!).counts.results).toBe(csvRows.length);
    // and the repaired results equal the clean run's
    const clean = new Map((await resultItems('acme', 'e2e-1')).map((i) => [i.SK!.S, i.value]));
    for (const i of items) expect(i.value).toEqual(clean.get(i.SK!.S));
  });
});

describe('audit records in the table', () => {
  it('the runs wrote their audit records: by user, by system and resource, newest first', async () => {
    const t = testTarget(ddb().endpoint, TABLE, 'acme');
    const alice = await queryAuditDynamo(t, { user: 'alice' });
    expect(alice.records.map((r) => [r.run_id, r.command, r.outcome])).toEqual([['e2e-1', 'run', 'ok']]);
    const byTable = await queryAuditDynamo(t, { system: 'dynamodb', resource: TABLE });
    // newest first: the killed run's rerun, then e2e-1 (the refused rerun of e2e-1 failed; the killed attempt wrote nothing)
    expect(byTable.records.map((r) => [r.run_id, r.outcome])).toEqual([
      ['killed-1', 'ok'],
      ['e2e-1', 'failed'],
      ['e2e-1', 'ok'],
    ]);
    const starts = byTable.records.map((r) => r.started_at);
    expect([...starts].sort().reverse()).toEqual(starts);
    t.close();
  });

  it('pages with --limit and --next-token, filters by time, and serves repeated queries from the LRU cache', async () => {
    const t = testTarget(ddb().endpoint, TABLE, 'acme');
    const { writeAuditRecord, AuditQueryCache } = await import('../../src/storage/dynamodb/audit.js');
    for (let i = 1; i <= 5; i++) {
      await writeAuditRecord(t, { run_id: `r${i}`, user: 'bob', command: 'import', argv: [], inputs: [{ path: '/data/v.csv', sha256: 'a'.repeat(64), bytes: 10 }], counts: {}, outcome: 'ok', started_at: `2026-11-0${i}T10:00:00.000Z`, finished_at: `2026-11-0${i}T10:01:00.000Z` });
    }
    const p1 = await queryAuditDynamo(t, { user: 'bob', limit: 2 });
    expect(p1.records.map((r) => r.run_id)).toEqual(['r5', 'r4']);
    const p2 = await queryAuditDynamo(t, { user: 'bob', limit: 2, nextToken: p1.nextToken });
    expect(p2.records.map((r) => r.run_id)).toEqual(['r3', 'r2']);
    const p3 = await queryAuditDynamo(t, { user: 'bob', limit: 2, nextToken: p2.nextToken });
    expect(p3.records.map((r) => r.run_id)).toEqual(['r1']);
    expect(p3.nextToken).toBeUndefined();
    const window = await queryAuditDynamo(t, { system: 'csv', resource: '/data/v.csv', from: '2026-11-02', to: '2026-11-04T10:00:00.000Z' });
    expect(window.records.map((r) => r.run_id)).toEqual(['r4', 'r3', 'r2']);
    const userAndSystem = await queryAuditDynamo(t, { user: 'bob', system: 'dynamodb' });
    expect(userAndSystem.records).toEqual([]);

    let now = 1_000_000;
    const cache = new AuditQueryCache({ now: () => now });
    const q = { user: 'bob', limit: 1 };
    expect((await queryAuditDynamo(t, q, cache)).records[0]!.run_id).toBe('r5');
    await writeAuditRecord(t, { run_id: 'r6', user: 'bob', command: 'import', argv: [], inputs: [], counts: {}, outcome: 'ok', started_at: '2026-11-06T10:00:00.000Z', finished_at: '2026-11-06T10:00:01.000Z' });
    now += 5 * 60_000 - 1; // within the 5-minute TTL: served from the cache, r6 not seen yet
    expect((await queryAuditDynamo(t, q, cache)).records[0]!.run_id).toBe('r5');
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, size: 1 });
    now += 1; // expired
    expect((await queryAuditDynamo(t, q, cache)).records[0]!.run_id).toBe('r6');
    expect(cache.stats()).toEqual({ hits: 1, misses: 2, size: 1 });
    expect(auditQueryCache.stats().size).toBeGreaterThanOrEqual(0);
    t.close();
  });
});
