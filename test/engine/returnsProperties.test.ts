import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mwrPeriodResults, twrPeriodResults, type ReturnMethod } from '../../src/engine/periodReturns.js';
import type { PeriodSpec } from '../../src/engine/periods.js';
import type { PortfolioData } from '../../src/engine/types.js';
import { xirr, xnpv } from '../../src/engine/xirr.js';
import { close, portfolioFromArrays } from './returnsHelpers.js';

const ITD: PeriodSpec[] = [{ label: 'ITD', code: 'ITD' }];
const D0 = 19723; // 2024-01-01

/** Ascending valuation dates from gaps, and values in [lo, hi]. */
const valuationsArb = (minN: number, maxN: number, maxGap: number, lo = 100, hi = 1e6) =>
  fc
    .array(fc.record({ gap: fc.integer({ min: 1, max: maxGap }), v: fc.double({ min: lo, max: hi, noNaN: true }) }), {
      minLength: minN,
      maxLength: maxN,
    })
    .map((rows) => {
      let d = D0;
      return { dates: rows.map((r) => (d += r.gap)), values: rows.map((r) => r.v) };
    });

/** A portfolio with flows of at most 40 in size (values >= 100 keep every denominator positive). */
const portfolioArb = fc
  .tuple(
    valuationsArb(2, 40, 5),
    fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), a: fc.double({ min: -40, max: 40, noNaN: true }), t: fc.integer({ min: 0, max: 2 }) }), {
      maxLength: 12,
    }),
  )
  .map(([v, fl]) => {
    const first = v.dates[0]!;
    const last = v.dates[v.dates.length - 1]!;
    const flows = fl.map((f) => ({ d: first + Math.round(f.at * (last - first)), a: f.a, t: f.t })).sort((x, y) => x.d - y.d);
    return portfolioFromArrays(
      v.dates,
      v.values,
      flows.map((f) => f.d),
      flows.map((f) => f.a),
      flows.map((f) => f.t),
    );
  });

function scaled(p: PortfolioData, k: number): PortfolioData {
  return {
    ...p,
    valuations: { dates: p.valuations.dates, values: p.valuations.values.map((x) => x * k) },
    flows: { ...p.flows, amounts: p.flows.amounts.map((x) => x * k) },
  };
}

describe('return engine properties', () => {
  it('with no flows the daily TWR equals V_E / V_B - 1', () => {
    fc.assert(
      fc.property(valuationsArb(2, 80, 4, 1, 1e9), ({ dates, values }) => {
        const [r] = twrPeriodResults(portfolioFromArrays(dates, values), ITD, undefined, { method: 'daily', flowTiming: 'end' });
        const expected = values[values.length - 1]! / values[0]! - 1;
        expect(r!.status).toBe('ok');
        expect(close(r!.cumulative_return, expected)).toBe(true);
      }),
    );
  });

  it('TWR (every method, both timings) is unchanged when values and flows are scaled by k', () => {
    const methods: ReturnMethod[] = ['daily', 'modified-dietz', 'linked-modified-dietz'];
    fc.assert(
      fc.property(
        portfolioArb,
        fc.double({ min: 1e-3, max: 1e4, noNaN: true }),
        fc.constantFrom(...methods),
        fc.constantFrom<'start' | 'end'>('start', 'end'),
        (p, k, method, flowTiming) => {
          const opts = { method, flowTiming, ...(method === 'linked-modified-dietz' ? { largeFlowThreshold: 0.0001 } : {}) };
          const [a] = twrPeriodResults(p, ITD, undefined, opts);
          const [b] = twrPeriodResults(scaled(p, k), ITD, undefined, opts);
          expect(b!.status).toBe(a!.status);
          if (a!.status === 'ok') expect(close(b!.cumulative_return, a!.cumulative_return!)).toBe(true);
        },
      ),
    );
  });

  it('linking the daily TWR of two adjacent periods equals the return of their union', () => {
    fc.assert(
      fc.property(portfolioArb, fc.double({ min: 0, max: 1, noNaN: true }), (p, cut) => {
        const dates = p.valuations.dates;
        const n = dates.length;
        fc.pre(n >= 3);
        const mid = dates[1 + Math.min(n - 3, Math.floor(cut * (n - 2)))]!; // a valuation strictly inside
        const first = dates[0]!;
        const last = dates[n - 1]!;
        const specs: PeriodSpec[] = [
          { label: 'a', code: 'CUSTOM', from: first + 1, to: mid },
          { label: 'b', code: 'CUSTOM', from: mid + 1, to: last },
          { label: 'ab', code: 'CUSTOM', from: first + 1, to: last },
        ];
        for (const flowTiming of ['end', 'start'] as const) {
          const [a, b, ab] = twrPeriodResults(p, specs, undefined, { method: 'daily', flowTiming });
          expect([a!.status, b!.status, ab!.status]).toEqual(['ok', 'ok', 'ok']);
          const linked = (1 + a!.cumulative_return!) * (1 + b!.cumulative_return!) - 1;
          expect(close(linked, ab!.cumulative_return!)).toBe(true);
        }
      }),
    );
  });

  it('with no interim flows, the annualised TWR over a year or more equals the XIRR', () => {
    fc.assert(
      fc.property(valuationsArb(13, 40, 60, 1, 1e7), fc.double({ min: -1e5, max: 1e5, noNaN: true }), ({ dates, values }, initialFlow) => {
        fc.pre(dates[dates.length - 1]! - dates[0]! >= 366);
        // A flow on the first valuation date is part of the starting value, for both measures.
        const p = portfolioFromArrays(dates, values, [dates[0]!], [initialFlow]);
        const [t] = twrPeriodResults(p, ITD, undefined, { method: 'daily', flowTiming: 'end' });
        const [m] = mwrPeriodResults(p, ITD, undefined, { flowTiming: 'end' });
        expect(t!.annualized).toBe(true);
        expect(m!.status).toBe('ok');
        expect(close(m!.annualized_return, t!.annualized_return!)).toBe(true);
        expect(close(m!.cumulative_return, t!.cumulative_return!)).toBe(true);
      }),
    );
  });

  it('NPV at the XIRR root is ~0 (relative to the discounted flows)', () => {
    // money amounts: whole cents
    const cents = (min: number, max: number) => fc.integer({ min, max }).map((c) => c / 100);
    const flowsArb = fc.array(
      fc.record({ gap: fc.integer({ min: 0, max: 400 }), a: cents(-1e8, 1e8) }),
      { minLength: 1, maxLength: 15 },
    );
    fc.assert(
      fc.property(cents(100, 1e8), flowsArb, (invest, rows) => {
        let d = 0;
        const dates = [0, ...rows.map((r) => (d += r.gap))];
        const amounts = [-invest, ...rows.map((r) => r.a)];
        const r = xirr(dates, amounts);
        if (r.status !== 'ok') {
          expect(r.rate).toBeNull();
          return;
        }
        // Below -99.9% a year, 1 + r itself carries few significant digits in float64, so NPV is
        // not a meaningful check there (the rate is still right to ~1e-16 absolute).
        if (r.rate! < -0.999) return;
        const scale = amounts.reduce((s, a, i) => s + Math.abs(a) * Math.pow(1 + r.rate!, -dates[i]! / 365), 0);
        expect(Math.abs(xnpv(r.rate!, dates, amounts))).toBeLessThanOrEqual(1e-10 * scale);
      }),
    );
  });

  it('one sign change always has a solution, with NPV ~0', () => {
    const cents = (min: number, max: number) => fc.integer({ min, max }).map((c) => c / 100);
    const rowsArb = fc.array(fc.record({ gap: fc.integer({ min: 1, max: 400 }), a: cents(1, 1e8) }), {
      minLength: 1,
      maxLength: 12,
    });
    fc.assert(
      fc.property(cents(100, 1e8), rowsArb, (invest, rows) => {
        let d = 0;
        const dates = [0, ...rows.map((r) => (d += r.gap))];
        const amounts = [-invest, ...rows.map((r) => r.a)];
        const r = xirr(dates, amounts);
        // rates so extreme that (1 + r) underflows are not representable; everything else must solve
        fc.pre(r.status === 'ok' || r.message?.includes('beyond') !== true);
        expect(r.status).toBe('ok');
        if (r.rate! < -0.999) return; // see above
        const scale = amounts.reduce((s, a, i) => s + Math.abs(a) * Math.pow(1 + r.rate!, -dates[i]! / 365), 0);
        expect(Math.abs(xnpv(r.rate!, dates, amounts))).toBeLessThanOrEqual(1e-10 * scale);
      }),
    );
  });
});
