#!/usr/bin/env python3
"""The issue-4 comparison point: a well-written, vectorised pandas + numpy script doing perfcalc's bench work.

    python3 bench/pandas_baseline.py --valuations V.csv --cash-flows F.csv --out results.csv

Per portfolio, over its whole history (ITD), with every flow invested at the start of its day:
  - daily TWR sub-period returns r_t = V_t / (V_{t-1} + F_t) - 1 (flows on the same day netted; a flow dated on a day
    without a valuation joins the next valuation day; flows on or before the first valuation are part of the base value
    and are not counted), twr = prod(1 + r) - 1, twr_annualized = (1 + twr)^(365/days) - 1 when days >= 365;
  - XIRR (actual/365, investor side: -V_B at the start, -F for each flow, +V_E at the end), vectorised Newton over all
    portfolios at once on y = ln(1 + x), with a vectorised bisection fallback on a bracket; mwr = (1 + xirr)^(days/365) - 1;
  - annualized_volatility = sd(r, ddof=1) * sqrt(252); sharpe_ratio = sqrt(252) * mean(r) / sd(r) (Rf = 0);
    downside_deviation = sqrt(sum(min(r, 0)^2) / n) (all n, per period); sortino_ratio = mean(r) / downside_deviation
    (MAR = 0, per period, not annualised); max_drawdown = -min(W_t / max(1, running max W) - 1), positive.
Rows may come in any order: they are sorted by (portfolio, date) unless already sorted.
No Python loop runs over rows or portfolios: numpy array maths, segment reductions (reduceat) over the sorted,
contiguous portfolios and pandas groupby scans (cumprod, cummax).
Prints wall time, phase times and peak RSS (ru_maxrss) on stderr, one JSON line on stdout.
"""
import argparse
import json
import resource
import sys
import time

import numpy as np
import pandas as pd

SCALE = 252.0


def read_valuations(path):
    # Categories for the id and the date: 10k and 2,520 distinct strings, so parsing the dates is 2,520 conversions
    # instead of 25M, and no 25M-object string column is kept.
    df = pd.read_csv(path, usecols=['portfolio_id', 'date', 'market_value'],
                     dtype={'portfolio_id': 'category', 'date': 'category', 'market_value': 'float64'},
                     engine='c')
    return df


def day_numbers(cat_series):
    """int64 days since 1970-01-01 for a categorical column of ISO dates."""
    cats = pd.to_datetime(cat_series.cat.categories, format='%Y-%m-%d')
    days = cats.values.astype('datetime64[D]').astype(np.int64)
    return days[cat_series.cat.codes.to_numpy()]


def xirr_vectorised(grp, t, c, n_groups, guess):
    """Solves sum_i c_i * (1 + x)^(-t_i) = 0 per group; returns (x, ok mask).

    Newton on y = ln(1 + x), y kept in [ln 1e-6, ln 100], at most 25 steps, each step computed only over the flows of
    the groups still unsolved; a group counts as solved when the step is below 1e-13 and |f| <= 1e-10 * sum |c e^(-t y)|.
    Groups left over get a vectorised bisection (100 halvings, over their own flows only) on the same bracket when f
    changes sign there; the rest are no_solution.
    """
    LO, HI = np.log(1e-6), np.log(100.0)
    y = np.clip(np.log1p(np.clip(guess, -0.99, 10.0)), LO, HI)
    active = np.ones(n_groups, dtype=bool)
    ok = np.zeros(n_groups, dtype=bool)
    iterations = 0
    sel = np.arange(len(grp))
    for _ in range(25):
        if not active.any():
            break
        iterations += 1
        sel = sel[active[grp[sel]]]
        g, tt = grp[sel], t[sel]
        e = c[sel] * np.exp(-tt * y[g])
        f = np.bincount(g, weights=e, minlength=n_groups)
        fabs = np.bincount(g, weights=np.abs(e), minlength=n_groups)
        fp = np.bincount(g, weights=-tt * e, minlength=n_groups)
        with np.errstate(divide='ignore', invalid='ignore'):
            step = np.where(active, f / fp, 0.0)
        bad = ~np.isfinite(step)
        step[bad] = 0.0
        ny = np.clip(y - step, LO, HI)
        conv = active & (np.abs(ny - y) <= 1e-13) & (np.abs(f) <= 1e-10 * fabs)
        y = np.where(active, ny, y)
        ok |= conv
        active &= ~conv & ~bad
    todo = ~ok
    if todo.any():
        sel = np.flatnonzero(todo[grp])
        g, tt, cc = grp[sel], t[sel], c[sel]

        def npv(yy):
            return np.bincount(g, weights=cc * np.exp(-tt * yy[g]), minlength=n_groups)

        lo = np.full(n_groups, LO)
        hi = np.full(n_groups, HI)
        flo, fhi = npv(lo), npv(hi)
        bracket = todo & (np.sign(flo) != np.sign(fhi)) & (flo != 0) & (fhi != 0)
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            fm = npv(mid)
            left = np.sign(fm) == np.sign(flo)
            lo = np.where(bracket & left, mid, lo)
            flo = np.where(bracket & left, fm, flo)
            hi = np.where(bracket & ~left, mid, hi)
        y = np.where(bracket, 0.5 * (lo + hi), y)
        ok |= bracket
        xirr_vectorised.bisected = int(bracket.sum())
    else:
        xirr_vectorised.bisected = 0
    xirr_vectorised.iterations = iterations
    return np.expm1(y), ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--valuations', required=True)
    ap.add_argument('--cash-flows', required=True)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    t0 = time.perf_counter()
    phases = {}

    val = read_valuations(a.valuations)
    flows = pd.read_csv(a.cash_flows, usecols=['portfolio_id', 'date', 'amount', 'timing'],
                        dtype={'portfolio_id': 'category', 'date': 'category', 'amount': 'float64',
                               'timing': 'category'}, engine='c')
    phases['read'] = time.perf_counter() - t0

    t1 = time.perf_counter()
    ids = val['portfolio_id'].cat.categories
    pid = val['portfolio_id'].cat.codes.to_numpy().astype(np.int64)
    day = day_numbers(val['date'])
    value = val['market_value'].to_numpy()
    del val
    span = np.int64(1 << 20)
    key = pid * span + (day - day.min())
    if not (key[1:] > key[:-1]).all():
        order = np.argsort(key)  # keys are unique (duplicates are rejected below), so no need for a stable sort
        key, pid, day, value = key[order], pid[order], day[order], value[order]
        del order
        if (key[1:] == key[:-1]).any():
            sys.exit('duplicate (portfolio_id, date) rows in the valuations')
    n = len(value)
    first = np.ones(n, dtype=bool)
    first[1:] = pid[1:] != pid[:-1]
    phases['sort'] = time.perf_counter() - t1

    # Flows: same portfolio codes as the valuations; net per valuation row (next valuation day on or after the date).
    t2 = time.perf_counter()
    if (flows['timing'].astype(str) != 'start').any():
        sys.exit('this baseline implements start-of-day flows only')
    fpid = pd.Categorical(flows['portfolio_id'].astype(str), categories=ids).codes.astype(np.int64)
    fday = day_numbers(flows['date'])
    famt = flows['amount'].to_numpy()
    del flows
    known = fpid >= 0
    fkey = fpid * span + (fday - day.min())
    row = np.searchsorted(key, fkey, side='left')
    row_c = np.minimum(row, n - 1)
    inside = known & (row < n) & (pid[row_c] == fpid) & ~first[row_c]
    F = np.bincount(row_c[inside], weights=famt[inside], minlength=n)

    # Daily TWR sub-period returns, start-of-day flows.
    vprev = np.empty(n)
    vprev[1:] = value[:-1]
    vprev[0] = np.nan
    with np.errstate(invalid='ignore', divide='ignore'):
        r = value / (vprev + F) - 1.0
    r[first] = np.nan
    phases['returns'] = time.perf_counter() - t2

    # Risk: rows are contiguous per portfolio after the sort, so per-portfolio sums are segment reductions
    # (np.*.reduceat over the segment starts, the groupby of contiguous groups) and the running products and maxima
    # are pandas groupby scans. The base row of each portfolio carries r = 0 (wealth 1, the first peak).
    t3 = time.perf_counter()
    starts = np.flatnonzero(first)
    nobs = np.diff(np.append(starts, n)) - 1
    r0 = np.where(first, 0.0, r)
    mean = np.add.reduceat(r0, starts) / nobs
    dev = r0 - np.repeat(mean, nobs + 1)
    dev[first] = 0.0
    sd = np.sqrt(np.add.reduceat(dev * dev, starts) / (nobs - 1))
    del dev
    growth = np.multiply.reduceat(1.0 + r0, starts)
    down2 = np.add.reduceat(np.minimum(r0, 0.0) ** 2, starts)
    gb = pd.Series(1.0 + r0).groupby(pid, sort=False)
    wealth = gb.cumprod().to_numpy()
    peak = pd.Series(wealth).groupby(pid, sort=False).cummax().to_numpy()
    mdd = -np.minimum.reduceat(wealth / peak - 1.0, starts)
    del r0, wealth, peak, gb
    phases['risk'] = time.perf_counter() - t3

    # Per-portfolio start/end from the first/last rows.
    t4 = time.perf_counter()
    ends = np.append(starts[1:] - 1, n - 1)
    P = len(starts)
    gcode = pid[starts]
    d0, d1 = day[starts], day[ends]
    vb, ve = value[starts], value[ends]
    days = (d1 - d0).astype(np.float64)
    twr = growth - 1.0
    with np.errstate(divide='ignore', invalid='ignore'):
        twr_ann = np.where(days >= 365, (1.0 + twr) ** (365.0 / days) - 1.0, np.nan)

    # XIRR cash flows: -V_B at d0, -F per flow row (net per day), +V_E at d1; t in years from d0 (actual/365).
    grp_of_row = np.cumsum(first) - 1
    frows = np.flatnonzero(F != 0.0)
    cf_grp = np.concatenate([np.arange(P), grp_of_row[frows], np.arange(P)])
    cf_t = np.concatenate([np.zeros(P), (day[frows] - d0[grp_of_row[frows]]) / 365.0, days / 365.0])
    cf_c = np.concatenate([-vb, -F[frows], ve])
    guess = np.where(days > 0, (1.0 + twr) ** (365.0 / np.maximum(days, 1)) - 1.0, 0.0)
    xirr, ok = xirr_vectorised(cf_grp, cf_t, cf_c, P, np.nan_to_num(guess))
    mwr = np.where(ok, (1.0 + xirr) ** (days / 365.0) - 1.0, np.nan)
    phases['xirr'] = time.perf_counter() - t4

    t5 = time.perf_counter()
    dd = np.sqrt(down2 / nobs)
    with np.errstate(divide='ignore', invalid='ignore'):
        out = pd.DataFrame({
            'portfolio_id': np.asarray(ids)[gcode],
            'start_date': pd.to_datetime(d0, unit='D').strftime('%Y-%m-%d'),
            'end_date': pd.to_datetime(d1, unit='D').strftime('%Y-%m-%d'),
            'observations': nobs,
            'twr': twr,
            'twr_annualized': twr_ann,
            'mwr': mwr,
            'mwr_annualized': np.where(ok, xirr, np.nan),
            'mwr_status': np.where(ok, 'ok', 'no_solution'),
            'annualized_volatility': sd * np.sqrt(SCALE),
            'sharpe_ratio': np.sqrt(SCALE) * mean / sd,
            'downside_deviation': dd,
            'sortino_ratio': mean / dd,
            'max_drawdown': mdd,
        })
    out.sort_values('portfolio_id', kind='stable').to_csv(a.out, index=False, float_format='%.17g')
    phases['write'] = time.perf_counter() - t5

    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f'pandas baseline: {n} valuation rows, {P} portfolios, {wall:.2f} s wall, peak RSS {peak_mb:.0f} MB; '
          + ', '.join(f'{k} {v:.2f} s' for k, v in phases.items())
          + f'; {int((~ok).sum())} XIRR without solution, {xirr_vectorised.bisected} by bisection, '
          f'{xirr_vectorised.iterations} Newton iterations', file=sys.stderr)
    print(json.dumps({'rows': int(n), 'portfolios': int(P), 'wall_s': round(wall, 3), 'peak_rss_mb': round(peak_mb, 1),
                      'phases_s': {k: round(v, 3) for k, v in phases.items()}, 'xirr_no_solution': int((~ok).sum()),
                      'xirr_bisected': xirr_vectorised.bisected, 'newton_iterations': xirr_vectorised.iterations}))


if __name__ == '__main__':
    main()
