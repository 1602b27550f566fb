/**
 * `perfcalc import --to dynamodb`: CSV files into the table through the existing loaders, so bad
 * input is the same InputError (exit 2) as for `perfcalc run`, raised before anything is written.
 *
 * Items (keys in keys.ts): per portfolio a meta item (listed on GSI1), one item per valuation date,
 * one per netted cash flow (date x timing code, as the loader nets them), and for a holdings file
 * one per holding with its numbers as the exact decimal text of the file. Per return series a meta
 * item and one item per date. Valuation values and flow amounts are stored as the shortest
 * round-trip text of the loader's float64 (for input of at most 15 significant digits that is the
 * input's exact decimal value), so the DynamoDB source hands the engine bit-identical arrays.
 * Same rows, same keys: a re-import overwrites and never duplicates. It does not delete items that
 * a later file no longer has.
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { AuditInput } from '../../batch/auditLog.js';
import { sha256File } from '../../batch/digest.js';
import { portfolioDigest } from '../../batch/runBatch.js';
import { digestArrays } from '../../batch/digest.js';
import type { PortfolioData, ReturnSeries } from '../../engine/types.js';
import { UsageError } from '../../errors.js';
import { loadPortfolios, throwIfAnyProblems } from '../csv/loadPortfolios.js';
import { readReturnsCsv, type ReturnsUnit } from '../csv/returns.js';
import { batchWriteAll, type BatchWriteOptions, type Item } from './batchWrite.js';
import { N, NText, S, type DynamoTarget } from './client.js';
import { GSI1, isoDay, keys } from './keys.js';

export interface ImportOptions {
  valuations?: string;
  holdings?: string;
  cashFlows?: string;
  returns?: string[];
  returnsUnit?: ReturnsUnit;
  concurrency?: number;
  /** Called before writing with the number of items, and after each request with the items it wrote. */
  onStart?: (items: number) => void;
  onWritten?: (n: number) => void;
  batch?: Omit<BatchWriteOptions, 'concurrency' | 'onWritten'>;
  now?: () => number;
}

export interface ImportReport {
  table: string;
  tenant: string;
  portfolios: number;
  series: number;
  items: number;
  requests: number;
  retries: number;
  elapsed_ms: number;
  items_per_s: number;
  inputs: AuditInput[];
}

export function portfolioItems(tenant: string, p: PortfolioData, source: 'valuations' | 'holdings'): Item[] {
  const pk = S(keys.portfolio(tenant, p.portfolioId));
  const v = p.valuations;
  const f = p.flows;
  const n = v.dates.length;
  const items: Item[] = [
    {
      PK: pk,
      SK: S(keys.portfolioMeta),
      GSI1PK: S(keys.portfolioList(tenant)),
      GSI1SK: S(`P#${p.portfolioId}`),
      type: S('portfolio'),
      portfolio_id: S(p.portfolioId),
      source: S(source),
      valuations: N(n),
      flows: N(f.dates.length),
      first_date: S(n > 0 ? isoDay(v.dates[0]!) : ''),
      last_date: S(n > 0 ? isoDay(v.dates[n - 1]!) : ''),
      digest: S(portfolioDigest(p)),
    },
  ];
  for (let i = 0; i < n; i++) items.push({ PK: pk, SK: S(keys.valuation(isoDay(v.dates[i]!))), type: S('valuation'), v: N(v.values[i]!) });
  for (let i = 0; i < f.dates.length; i++) {
    items.push({ PK: pk, SK: S(keys.flow(isoDay(f.dates[i]!), f.timing[i]!)), type: S('flow'), a: N(f.amounts[i]!), t: N(f.timing[i]!) });
  }
  return items;
}

export function seriesItems(tenant: string, s: ReturnSeries): Item[] {
  const pk = S(keys.series(tenant, s.seriesId));
  const items: Item[] = [
    {
      PK: pk,
      SK: S(keys.portfolioMeta),
      GSI1PK: S(keys.seriesList(tenant)),
      GSI1SK: S(`S#${s.seriesId}`),
      type: S('series'),
      series_id: S(s.seriesId),
      points: N(s.dates.length),
      digest: S(digestArrays([s.dates, s.returns])),
    },
  ];
  for (let i = 0; i < s.dates.length; i++) {
    const r = s.returns[i]!;
    if (Number.isFinite(r)) items.push({ PK: pk, SK: S(keys.seriesPoint(isoDay(s.dates[i]!))), type: S('return'), r: N(r) });
  }
  return items;
}

/** Holding items with the file's own decimal text (read after the loader has validated the file). */
async function holdingItems(tenant: string, path: string): Promise<Item[]> {
  const items: Item[] = [];
  const parser = createReadStream(path).pipe(parse({ columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), bom: true, skip_empty_lines: true, trim: true }));
  for await (const row of parser as AsyncIterable<Record<string, string>>) {
    const id = row.portfolio_id!;
    const item: Item = { PK: S(keys.portfolio(tenant, id)), SK: S(keys.holding(row.date!, row.security_id!)), type: S('holding'), security_id: S(row.security_id!) };
    for (const col of ['quantity', 'price', 'market_value'] as const) if (row[col]) item[col] = NText(row[col]!);
    for (const col of ['currency', 'asset_class', 'sector'] as const) if (row[col]) item[col] = S(row[col]!);
    items.push(item);
  }
  return items;
}

/** Loads, validates (InputError before any write) and writes the files' items. */
export async function importCsv(target: DynamoTarget, opts: ImportOptions): Promise<ImportReport> {
  const now = opts.now ?? Date.now;
  if (opts.valuations && opts.holdings) throw new UsageError('give either --valuations or --holdings in one import, not both (import twice for both)');
  const hasPortfolios = Boolean(opts.valuations || opts.holdings);
  if (!hasPortfolios && !(opts.returns && opts.returns.length > 0)) throw new UsageError('nothing to import: give --valuations or --holdings (with --cash-flows), and/or --returns');
  if (opts.cashFlows && !hasPortfolios) throw new UsageError('--cash-flows needs --valuations or --holdings');
  const started = now();
  const items: Item[] = [];
  let portfolios = 0;
  const series = new Map<string, ReturnSeries>();
  if (hasPortfolios) {
    const load = await loadPortfolios({ valuations: opts.valuations, holdings: opts.holdings, cashFlows: opts.cashFlows });
    throwIfAnyProblems(load);
    for (const p of load.portfolios.values()) items.push(...portfolioItems(target.tenant, p, opts.holdings ? 'holdings' : 'valuations'));
    portfolios = load.portfolios.size;
    if (opts.holdings) items.push(...(await holdingItems(target.tenant, opts.holdings)));
  }
  for (const file of opts.returns ?? []) {
    for (const [id, s] of (await readReturnsCsv(file, { unit: opts.returnsUnit })).series) {
      if (series.has(id)) throw new UsageError(`series '${id}' is in more than one --returns file`);
      series.set(id, s);
    }
  }
  for (const s of series.values()) items.push(...seriesItems(target.tenant, s));
  const paths = [opts.valuations ?? opts.holdings, opts.cashFlows, ...(opts.returns ?? [])].filter((p): p is string => typeof p === 'string');
  const inputs = await Promise.all(paths.map(async (path) => ({ path, ...(await sha256File(path)) })));
  opts.onStart?.(items.length);
  const stats = await batchWriteAll(target.client, target.table, items, { ...opts.batch, concurrency: opts.concurrency, onWritten: opts.onWritten });
  const elapsed = Math.max(1, now() - started);
  return {
    table: target.table,
    tenant: target.tenant,
    portfolios,
    series: series.size,
    items: stats.items,
    requests: stats.requests,
    retries: stats.retries,
    elapsed_ms: elapsed,
    items_per_s: Math.round((stats.items / elapsed) * 1000),
    inputs,
  };
}
