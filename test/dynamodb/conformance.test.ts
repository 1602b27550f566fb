/**
 * The shared source conformance suite against DynamoDB Local: the fixtures imported with
 * `importCsv`, read back through the DynamoDB source with DynamoDB's own page size and with
 * 50-item pages (806 valuations of a portfolio take 17 pages), and a 7-item page count check.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { useDynamoDbLocal } from '../servers/index.js';
import { createTables } from '../../src/storage/dynamodb/tables.js';
import { importCsv } from '../../src/storage/dynamodb/importCsv.js';
import { openDynamoSource } from '../../src/storage/dynamodb/dynamoSource.js';
import { parseIsoDate } from '../../src/engine/calendarDate.js';
import { FIXTURE_FILES, sourceConformance } from '../storage/conformance.js';
import { testTarget } from './helpers.js';

const ddb = useDynamoDbLocal();
const TABLE = 'conformance';

beforeAll(async () => {
  const t = testTarget(ddb().endpoint, TABLE, 'acme');
  await createTables(t.client, TABLE);
  await importCsv(t, { valuations: FIXTURE_FILES.valuations, cashFlows: FIXTURE_FILES.cashFlows, returns: [FIXTURE_FILES.returns], concurrency: 8 });
  t.close();
});

sourceConformance('dynamodb', async () => openDynamoSource(testTarget(ddb().endpoint, TABLE, 'acme')));
sourceConformance('dynamodb, 50-item pages', async () => openDynamoSource(testTarget(ddb().endpoint, TABLE, 'acme'), { pageSize: 50 }));

describe('DynamoDB source reads', () => {
  it('pages: 10 portfolios in 7-item pages is 2 queries; a 63-day range reads only its 45 valuations', async () => {
    const s = openDynamoSource(testTarget(ddb().endpoint, TABLE, 'acme'), { pageSize: 7 });
    await s.listPortfolios();
    expect(s.reads()).toEqual({ queries: 2, items: 10 });
    const w = await s.loadPortfolio('P-002', { from: parseIsoDate('2024-01-01'), to: parseIsoDate('2024-03-03') });
    // 2024-01-01 .. 2024-03-03: 9 weeks of weekdays = 45 valuations; flows of P-002 in that window come from the same partition
    expect(w.data!.valuations.dates.length).toBe(45);
    const flows = w.data!.flows.dates.length;
    // a Query with Limit 7 returns a LastEvaluatedKey after every full page: k items take floor(k/7) + 1 requests
    const pages = (k: number) => Math.floor(k / 7) + 1;
    expect(s.reads().items).toBe(10 + 45 + flows);
    expect(s.reads().queries).toBe(pages(10) + pages(45) + pages(flows));
    expect(pages(45)).toBe(7);
    await s.close();
  });

  it('another tenant sees nothing of acme: no portfolios, unknown ids, no series', async () => {
    const other = openDynamoSource(testTarget(ddb().endpoint, TABLE, 'globex'));
    expect(await other.listPortfolios()).toEqual([]);
    const w = await other.loadPortfolio('P-001');
    expect(w.data).toBeUndefined();
    expect(w.problems![0]!.message).toBe("portfolio 'P-001' is not in DynamoDB table conformance (tenant globex)");
    await expect(other.loadSeries(['BENCH'])).rejects.toThrow("series 'BENCH' is not in DynamoDB table conformance (tenant globex)");
    await other.close();
    // every key of acme's items starts with its tenant prefix
    const t = testTarget(ddb().endpoint, TABLE, 'acme');
    const page = await t.client.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': { S: 'T#acme#P#P-001' } }, Limit: 3 }));
    expect(page.Items!.map((i) => i.SK!.S)).toEqual(['#META', 'F#2023-11-15#1', 'F#2023-12-15#2']);
    t.close();
  });
});
