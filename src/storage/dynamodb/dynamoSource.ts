/**
 * DynamoDB as a PortfolioSource, for one tenant. No Scan anywhere:
 * - listPortfolios: Query on GSI1 (`T#<tenant>#PORTFOLIOS`), paged through LastEvaluatedKey.
 * - loadPortfolio: the meta item (GetItem) and two Queries on the portfolio's partition with the
 *   date range as the key condition (`V#<from>` .. `V#<to>~`, `F#...`), so it never reads more
 *   than the range, paged through LastEvaluatedKey.
 * - loadSeries: the same on a series' partition.
 * Values come back as the float64 the importer stored (shortest round-trip text), so the arrays
 * equal the CSV source's bit for bit.
 */
import { compareIds } from '../../ids.js';
import { GetItemCommand, QueryCommand, type AttributeValue, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import type { AuditInput } from '../../batch/auditLog.js';
import { sha256Hex } from '../../batch/digest.js';
import type { PortfolioWork } from '../../batch/runBatch.js';
import { parseIsoDate } from '../../engine/calendarDate.js';
import type { ReturnSeries } from '../../engine/types.js';
import { UsageError } from '../../errors.js';
import type { DateRange, PortfolioSource } from '../types.js';
import { explainMissingTable, num, str, type DynamoTarget } from './client.js';
import { dateBounds, GSI1, keys } from './keys.js';

export interface DynamoSourceOptions {
  /** Query page size (Limit); default: DynamoDB's 1 MB pages. */
  pageSize?: number;
}

export interface ReadCounts {
  queries: number;
  items: number;
}

type Row = Record<string, AttributeValue>;

/** Every item of a Query, following LastEvaluatedKey. */
export async function queryAll(target: DynamoTarget, input: Omit<QueryCommandInput, 'TableName'>, counts?: ReadCounts, pageSize?: number): Promise<Row[]> {
  const out: Row[] = [];
  let start: Row | undefined;
  do {
    const page = await target.client
      .send(new QueryCommand({ TableName: target.table, ...input, ...(pageSize ? { Limit: pageSize } : {}), ExclusiveStartKey: start }))
      .catch((err: unknown) => {
        throw explainMissingTable(err, target.table);
      });
    if (counts) counts.queries++;
    for (const it of page.Items ?? []) out.push(it);
    if (counts) counts.items += page.Items?.length ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}



/** The date of a sort key `X#YYYY-MM-DD...`. */
function skDate(sk: string): number {
  const d = parseIsoDate(sk.slice(2, 12));
  if (d === undefined) throw new Error(`malformed sort key '${sk}'`);
  return d;
}

export function openDynamoSource(target: DynamoTarget, opts: DynamoSourceOptions = {}): PortfolioSource & { reads(): ReadCounts } {
  const counts: ReadCounts = { queries: 0, items: 0 };
  const tenant = target.tenant;
  const inRange = (prefix: string, range?: DateRange) => {
    const [lo, hi] = dateBounds(prefix, range?.from, range?.to);
    return {
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :lo AND :hi',
      values: { ':lo': { S: lo }, ':hi': { S: hi } },
    };
  };
  const rangeQuery = (pk: string, prefix: string, range?: DateRange) => {
    const q = inRange(prefix, range);
    return queryAll(target, { KeyConditionExpression: q.KeyConditionExpression, ExpressionAttributeValues: { ':pk': { S: pk }, ...q.values } }, counts, opts.pageSize);
  };
  const listIndex = async (pk: string, attr: string) => {
    const items = await queryAll(target, { IndexName: GSI1, KeyConditionExpression: 'GSI1PK = :pk', ExpressionAttributeValues: { ':pk': { S: pk } } }, counts, opts.pageSize);
    return items.map((it) => ({ id: str(it, attr)!, item: it }));
  };
  const where = `DynamoDB table ${target.table} (tenant ${tenant})`;

  return {
    kind: 'dynamodb',
    reads: () => ({ ...counts }),
    async listPortfolios() {
      return (await listIndex(keys.portfolioList(tenant), 'portfolio_id')).map((x) => x.id).sort(compareIds);
    },
    async loadPortfolio(id: string, range?: DateRange): Promise<PortfolioWork> {
      const pk = keys.portfolio(tenant, id);
      const [meta, vals, flows] = await Promise.all([
        target.client.send(new GetItemCommand({ TableName: target.table, Key: { PK: { S: pk }, SK: { S: keys.portfolioMeta } }, ConsistentRead: true })),
        rangeQuery(pk, 'V#', range),
        rangeQuery(pk, 'F#', range),
      ]);
      if (!meta.Item) return { portfolioId: id, problems: [{ file: where, line: 0, message: `portfolio '${id}' is not in ${where}` }] };
      const v = { dates: new Int32Array(vals.length), values: new Float64Array(vals.length) };
      vals.forEach((it, i) => {
        v.dates[i] = skDate(str(it, 'SK')!);
        v.values[i] = num(it, 'v')!;
      });
      // SK F#<date>#<timing>: date order, then timing code, as the loader nets and sorts them
      const f = { dates: new Int32Array(flows.length), amounts: new Float64Array(flows.length), timing: new Uint8Array(flows.length) };
      flows.forEach((it, i) => {
        f.dates[i] = skDate(str(it, 'SK')!);
        f.amounts[i] = num(it, 'a')!;
        f.timing[i] = num(it, 't')!;
      });
      return { portfolioId: id, data: { portfolioId: id, valuations: v, flows: f } };
    },
    async loadSeries(ids: string[], range?: DateRange) {
      const out = new Map<string, ReturnSeries>();
      // all lookups settle before the first missing id (in the order asked) is reported
      const settled = await Promise.allSettled(
        ids.map(async (id) => {
          const pk = keys.series(tenant, id);
          const [meta, points] = await Promise.all([
            target.client.send(new GetItemCommand({ TableName: target.table, Key: { PK: { S: pk }, SK: { S: keys.portfolioMeta } } })),
            rangeQuery(pk, 'D#', range),
          ]);
          if (!meta.Item) throw new UsageError(`series '${id}' is not in ${where}`);
          const s: ReturnSeries = { seriesId: id, dates: new Int32Array(points.length), returns: new Float64Array(points.length) };
          points.forEach((it, i) => {
            s.dates[i] = skDate(str(it, 'SK')!);
            s.returns[i] = num(it, 'r')!;
          });
          out.set(id, s);
        }),
      );
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      return new Map(ids.map((id) => [id, out.get(id)!]));
    },
    async describeInputs(): Promise<AuditInput[]> {
      // the digests the importer stored per portfolio and series: what the table holds for this tenant
      const describe = async (pk: string, attr: string, count: string, kind: string) => {
        const rows = (await listIndex(pk, attr)).sort((a, b) => compareIds(a.id, b.id));
        const lines = rows.map((r) => `${r.id}\t${str(r.item, 'digest')}\n`).join('');
        const items = rows.reduce((n, r) => n + (num(r.item, count) ?? 0) + (num(r.item, 'flows') ?? 0) + 1, 0);
        const input = { path: `dynamodb://${target.table}/${tenant}/${kind}`, sha256: sha256Hex(lines), bytes: Buffer.byteLength(lines), items, count: rows.length };
        return input as AuditInput;
      };
      const all = await Promise.all([describe(keys.portfolioList(tenant), 'portfolio_id', 'valuations', 'portfolios'), describe(keys.seriesList(tenant), 'series_id', 'points', 'series')]);
      return all.filter((x) => (x as AuditInput & { count: number }).count > 0 || x.path.endsWith('/portfolios'));
    },
    async close() {
      target.close();
    },
  };
}
