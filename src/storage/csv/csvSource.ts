/**
 * CSV files as a PortfolioSource: valuations (or holdings) and cash flows for portfolios, return
 * files for named series. The files are read once, on first use, through the streaming loaders.
 */
import type { AuditInput } from '../../batch/auditLog.js';
import { compareIds } from '../../ids.js';
import { sha256File } from '../../batch/digest.js';
import type { PortfolioWork } from '../../batch/runBatch.js';
import type { PortfolioData, ReturnSeries } from '../../engine/types.js';
import { UsageError } from '../../errors.js';
import type { DateRange, PortfolioSource } from '../types.js';
import type { PortfolioLoad } from './loadPortfolios.js';
import { loadPortfoliosFast } from './fastLoad.js';
import { readReturnFiles, type ReturnsUnit } from './returns.js';

export interface CsvSourceOptions {
  valuations?: string;
  holdings?: string;
  cashFlows?: string;
  returns?: string[];
  returnsUnit?: ReturnsUnit;
  /** How input files are digested for the audit record (default: sha256 of the whole file). */
  digest?: (path: string) => Promise<{ sha256: string; bytes: number }>;
}

function lowerBound(dates: Int32Array, day: number): number {
  let lo = 0;
  let hi = dates.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (dates[mid]! < day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The [from, to] slice of sorted dates: start and end indices (end exclusive). */
function sliceBounds(dates: Int32Array, range?: DateRange): [number, number] {
  const a = range?.from === undefined ? 0 : lowerBound(dates, range.from);
  const b = range?.to === undefined ? dates.length : lowerBound(dates, range.to + 1);
  return [a, Math.max(a, b)];
}

/** A portfolio restricted to a date range (views, no copies). */
export function clipPortfolio(p: PortfolioData, range?: DateRange): PortfolioData {
  if (!range || (range.from === undefined && range.to === undefined)) return p;
  const [va, vb] = sliceBounds(p.valuations.dates, range);
  const [fa, fb] = sliceBounds(p.flows.dates, range);
  return {
    portfolioId: p.portfolioId,
    valuations: { dates: p.valuations.dates.subarray(va, vb), values: p.valuations.values.subarray(va, vb) },
    flows: { dates: p.flows.dates.subarray(fa, fb), amounts: p.flows.amounts.subarray(fa, fb), timing: p.flows.timing.subarray(fa, fb) },
  };
}

export function clipSeriesRange(s: ReturnSeries, range?: DateRange): ReturnSeries {
  const [a, b] = sliceBounds(s.dates, range);
  return { seriesId: s.seriesId, dates: s.dates.subarray(a, b), returns: s.returns.subarray(a, b) };
}

export function openCsvSource(opts: CsvSourceOptions): PortfolioSource {
  let load: Promise<PortfolioLoad> | undefined;
  let series: Promise<Map<string, ReturnSeries>> | undefined;
  const portfolios = () => (load ??= loadPortfoliosFast({ valuations: opts.valuations, holdings: opts.holdings, cashFlows: opts.cashFlows }));
  const allSeries = () => (series ??= readReturnFiles(opts.returns ?? [], opts.returnsUnit));
  return {
    kind: 'csv',
    async listPortfolios() {
      const l = await portfolios();
      return [...new Set([...l.portfolios.keys(), ...l.problems.keys()])].sort(compareIds);
    },
    async loadPortfolio(id: string, range?: DateRange): Promise<PortfolioWork> {
      const l = await portfolios();
      const problems = l.problems.get(id);
      if (problems && problems.length > 0) return { portfolioId: id, problems };
      const data = l.portfolios.get(id);
      if (!data) {
        const file = opts.valuations ?? opts.holdings ?? 'the input';
        return { portfolioId: id, problems: [{ file, line: 0, message: `portfolio '${id}' is not in ${file}` }] };
      }
      return { portfolioId: id, data: clipPortfolio(data, range) };
    },
    async loadSeries(ids: string[], range?: DateRange) {
      const all = await allSeries();
      const out = new Map<string, ReturnSeries>();
      for (const id of ids) {
        const s = all.get(id);
        if (!s) throw new UsageError(`series '${id}' is not in ${(opts.returns ?? []).join(', ') || 'any --returns file'}`);
        out.set(id, clipSeriesRange(s, range));
      }
      return out;
    },
    async describeInputs(): Promise<AuditInput[]> {
      const paths = [opts.valuations ?? opts.holdings, opts.cashFlows, ...(opts.returns ?? [])].filter((p): p is string => typeof p === 'string');
      const digest = opts.digest ?? sha256File;
      return Promise.all(paths.map(async (path) => ({ path, ...(await digest(path)) })));
    },
    async close() {},
  };
}
