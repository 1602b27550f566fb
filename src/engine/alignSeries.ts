import type { ReturnSeries } from './types.js';

/** Returns of a series, its benchmark and its risk-free series on their common dates. */
export interface AlignedSeries {
  dates: Int32Array;
  series: Float64Array;
  /** Present when a benchmark was given. */
  benchmark?: Float64Array;
  /** Present when a risk-free series was given. */
  riskFree?: Float64Array;
}

/**
 * Inner join by date: keeps the dates on which the series and (when given) the benchmark and
 * the risk-free series all have a value (not NaN). Missing rows are skipped, never filled.
 * Inputs must be ascending by date (ReturnSeries' contract); the output is ascending too.
 * This is the window PerformanceAnalytics gets from na.omit(merge(Ra, Rb, Rf)).
 */
export function alignSeries(series: ReturnSeries, benchmark?: ReturnSeries, riskFree?: ReturnSeries): AlignedSeries {
  // the common case of a batch: one series with no gaps, nothing to join — no copies
  if (benchmark === undefined && riskFree === undefined && !hasNaN(series.returns)) {
    return { dates: series.dates, series: series.returns };
  }
  const others = [benchmark, riskFree];
  const pos = [0, 0];
  const dates: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  const f: number[] = [];
  for (let i = 0; i < series.dates.length; i++) {
    const d = series.dates[i] as number;
    const r = series.returns[i] as number;
    if (Number.isNaN(r)) continue;
    const vals: number[] = [];
    let ok = true;
    for (let k = 0; k < 2 && ok; k++) {
      const o = others[k];
      if (o === undefined) continue;
      let p = pos[k] as number;
      while (p < o.dates.length && (o.dates[p] as number) < d) p++;
      pos[k] = p;
      if (p >= o.dates.length || (o.dates[p] as number) !== d || Number.isNaN(o.returns[p] as number)) ok = false;
      else vals[k] = o.returns[p] as number;
    }
    if (!ok) continue;
    dates.push(d);
    a.push(r);
    if (benchmark !== undefined) b.push(vals[0] as number);
    if (riskFree !== undefined) f.push(vals[1] as number);
  }
  const out: AlignedSeries = { dates: Int32Array.from(dates), series: Float64Array.from(a) };
  if (benchmark !== undefined) out.benchmark = Float64Array.from(b);
  if (riskFree !== undefined) out.riskFree = Float64Array.from(f);
  return out;
}

/**
 * Whether some value is NaN. First without a branch per value: 0 times each value, in four
 * running products, stays 0 unless a value is NaN or infinite; only then is each value looked at.
 */
function hasNaN(values: Float64Array): boolean {
  const n = values.length;
  let z0 = 0;
  let z1 = 0;
  let z2 = 0;
  let z3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    z0 *= values[i] as number;
    z1 *= values[i + 1] as number;
    z2 *= values[i + 2] as number;
    z3 *= values[i + 3] as number;
  }
  for (; i < n; i++) z0 *= values[i] as number;
  if (z0 + z1 + z2 + z3 === 0) return false;
  for (let k = 0; k < n; k++) if (values[k] !== values[k]) return true;
  return false;
}
