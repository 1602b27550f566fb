/**
 * XIRR: the annual rate r with sum a_i (1 + r)^(-(d_i - d_0)/365) = 0 (actual/365 from the
 * earliest date, Excel's XIRR convention). Amounts are from the investor's side (money paid in is
 * negative, money received is positive); several amounts on one date are netted.
 *
 * Method: substitute s = ln(1 + r) x (span / 365), span = last - first date, so the NPV is
 * g(s) = sum a_i exp(-s tau_i) with tau_i in [0, 1] (g -> sign(a_0) as s -> +inf, sign(a_m) as
 * s -> -inf). By Laguerre's rule of signs (Descartes' rule for real exponents, on partial sums),
 * the roots with s > 0 are at most the sign changes of the forward partial sums of the amounts,
 * the roots with s < 0 at most those of the backward partial sums. When both bounds are <= 1
 * (always so with one sign change in the amounts, and for the usual investor pattern of a start
 * value, smaller flows and an end value), the signs of g(0) and of the limits give the exact
 * number of roots on each side: none is 'no_solution', one is solved (bracketed by stepping
 * outward from s = 0), one on each side is 'ambiguous'. Otherwise g is scanned on a grid
 * |s| <= 60 (a growth factor of e^60 over the span) for sign changes (stretches where g provably
 * keeps one sign are not evaluated point by point; see gridSigns): none gives 'no_solution',
 * one is solved, two or more give 'ambiguous' (two roots closer than the grid step could go
 * unseen there). Roots are refined by Brent's method to full float64 precision in s (relative
 * error of 1 + rate ~1e-15). All amounts of one sign (or fewer than two non-zero dated amounts)
 * give 'no_solution'. Never a made-up number: rate is null unless status is 'ok'; for
 * 'ambiguous', the message lists the rates found.
 */

export interface XirrResult {
  status: 'ok' | 'no_solution' | 'ambiguous';
  rate: number | null;
  /** Why there is no rate (for status other than 'ok'). */
  message?: string;
}

/** Net present value at an annual rate, actual/365 from the earliest date (Excel's XNPV at d_0). */
export function xnpv(rate: number, dates: ArrayLike<number>, amounts: ArrayLike<number>): number {
  let d0 = Infinity;
  for (let i = 0; i < dates.length; i++) d0 = Math.min(d0, dates[i]!);
  const l = Math.log1p(rate);
  let s = 0;
  for (let i = 0; i < dates.length; i++) s += amounts[i]! * Math.exp((-(dates[i]! - d0) / 365) * l);
  return s;
}

/** The scan grid of xirr's general case: 2 GRID_HALF + 1 points, |s| <= GRID_LIMIT. */
export const GRID_HALF = 120;
export const GRID_LIMIT = 60;
const BRACKET_LIMIT = 200;

export function xirr(dates: ArrayLike<number>, amounts: ArrayLike<number>): XirrResult {
  const n = Math.min(dates.length, amounts.length);
  // Date order (stable), then net per date, dropping zero nets. Input already in date order (the
  // usual case) is read as it is.
  let sortedDates = dates;
  let sortedAmounts = amounts;
  for (let k = 1; k < n; k++) {
    if (dates[k]! < dates[k - 1]!) {
      const order = Array.from({ length: n }, (_, i) => i);
      order.sort((x, y) => dates[x]! - dates[y]! || x - y);
      sortedDates = order.map((i) => dates[i]!);
      sortedAmounts = order.map((i) => amounts[i]!);
      break;
    }
  }
  // plain arrays (small typed arrays would each cost an off-heap allocation), made at their
  // largest size and cut to the dates kept (pushing costs more)
  const ds = new Array<number>(n);
  const as = new Array<number>(n);
  let m = 0;
  let scale = 0;
  for (let k = 0; k < n; ) {
    const day = sortedDates[k]!;
    let net = 0;
    for (; k < n && sortedDates[k] === day; k++) net += sortedAmounts[k]!;
    if (!Number.isFinite(net) || !Number.isInteger(day)) {
      return { status: 'no_solution', rate: null, message: 'a cash flow amount or date is not a finite number' };
    }
    if (net !== 0) {
      ds[m] = day;
      as[m] = net;
      m++;
      scale = Math.max(scale, Math.abs(net));
    }
  }
  ds.length = m;
  as.length = m;
  let k1 = 1; // the first sign change, if any
  while (k1 < m && as[k1]! > 0 === as[k1 - 1]! > 0) k1++;
  if (m < 2 || k1 === m) {
    return { status: 'no_solution', rate: null, message: 'no rate: the cash flows do not include both a payment and a receipt' };
  }
  const d0 = ds[0]!;
  const span = ds[m - 1]! - d0;
  const tau = new Array<number>(m);
  const a = new Array<number>(m);
  for (let k = 0; k < m; k++) {
    tau[k] = (ds[k]! - d0) / span;
    a[k] = as[k]! / scale;
  }
  const g = (s: number): number => {
    let sum = 0;
    // at s = 0 every factor is exp(-0) = 1 exactly: the same sum without the exponentials
    if (s === 0) for (let k = 0; k < m; k++) sum += a[k]!;
    else for (let k = 0; k < m; k++) sum += a[k]! * Math.exp(-s * tau[k]!);
    return sum;
  };
  const toRate = (s: number): number => Math.expm1((s * 365) / span);
  const signFirst = Math.sign(a[0]!); // sign of g(s) as s -> +infinity
  const signLast = Math.sign(a[m - 1]!); // sign of g(s) as s -> -infinity

  // Roots with s > 0 are at most the sign changes of the forward partial sums a_0, a_0 + a_1, ...;
  // roots with s < 0 at most those of the backward partial sums a_m, a_m + a_{m-1}, ... (Laguerre's
  // rule of signs, applied to x = e^-s and to its reflection). When both bounds are <= 1, the
  // signs of g(0) and of the limits decide exactly how many roots each side has.
  const g0 = g(0);
  if (g0 !== 0 && partialSumSignChanges(as, 1) <= 1 && partialSumSignChanges(as, -1) <= 1) {
    const positive = Math.sign(g0) !== signFirst; // a root with s > 0 (rate above 0)
    const negative = Math.sign(g0) !== signLast; // a root with s < 0
    const found: number[] = [];
    for (const dir of [positive ? 1 : 0, negative ? -1 : 0]) {
      if (dir === 0) continue;
      const root = bracketAndSolve(g, g0, dir);
      if (root === null) return { status: 'no_solution', rate: null, message: 'no rate: the root is beyond any plausible growth over the period' };
      found.push(root);
    }
    if (found.length === 1) return okRate(toRate(found[0]!));
    if (found.length === 0) return { status: 'no_solution', rate: null, message: 'no rate solves the cash flows' };
    return ambiguous(found.map(toRate), false);
  }

  // Several sign changes: scan a grid dense near s = 0 (gridSigns skips the stretches where g
  // provably keeps one sign).
  const grid = gridSigns(tau, a);
  const roots: number[] = [];
  let prevS = grid.s[0]!;
  let prevG = grid.g[0]!;
  let outside = 0;
  if (Math.sign(prevG) !== signLast && prevG !== 0) outside++;
  if (prevG === 0) roots.push(prevS);
  for (let k = 1; k < grid.s.length; k++) {
    const s = grid.s[k]!;
    const gs = grid.g[k]!;
    if (gs === 0) roots.push(s);
    else if (prevG !== 0 && Math.sign(gs) !== Math.sign(prevG)) roots.push(brent(g, prevS, s, prevG, gs));
    prevS = s;
    prevG = gs;
  }
  if (prevG !== 0 && Math.sign(prevG) !== signFirst) outside++;
  if (roots.length + outside >= 2) return ambiguous(roots.map(toRate), outside > 0);
  if (roots.length === 1) return okRate(toRate(roots[0]!));
  return { status: 'no_solution', rate: null, message: 'no rate solves the cash flows' };
}

/**
 * The scan grid s_k = sinh(k h), k = -GRID_HALF..GRID_HALF (h = asinh(GRID_LIMIT) / GRID_HALF), and
 * g(s) = sum a_k exp(-s tau_k) at each point, where `g[k]` is g(s_k) exactly as xirr's g computes
 * it (the same terms added in the same order) wherever it is evaluated, and
 * +1 or -1 (its sign) where it is not: only inside a stretch of the grid on which g provably has
 * that sign, so that the caller, which looks only at signs and zeros there and evaluates g afresh
 * at the ends of a sign change, sees what evaluating every point would have shown.
 *
 * The proof: with P(s) = sum of the positive a_k e^(-s tau_k) and N(s) = sum of the |negative|
 * ones, both non-increasing in s (tau_k >= 0), g = P - N lies in [P(s_j) - N(s_i), P(s_i) - N(s_j)]
 * on [s_i, s_j]. When that interval clears 0 by more than the rounding (a relative (m + 100) x 2e-15
 * of P(s_i) + N(s_i), which bounds every term sum on the stretch: over 4 times the worst case of
 * the bound's own rounding plus the computed g's, each at most m + 65 float64 roundings of that
 * sum, counting exp's error and the 60 |s tau| ulps from rounding its argument), every computed
 * g(s_k) there has that sign and is not 0. Otherwise the stretch is halved (bisection over grid
 * indices), so g is evaluated about 2 log2(2 GRID_HALF) times per sign change instead of at all
 * 2 GRID_HALF + 1 points. Exported for its tests.
 */
export function gridSigns(tau: ArrayLike<number>, a: ArrayLike<number>): { s: Float64Array; g: Float64Array } {
  const m = a.length;
  const size = 2 * GRID_HALF + 1;
  const h = Math.asinh(GRID_LIMIT) / GRID_HALF;
  const s = new Float64Array(size);
  for (let k = 0; k < size; k++) s[k] = Math.sinh((k - GRID_HALF) * h);
  const gv = new Float64Array(size);
  const pos = new Float64Array(size);
  const neg = new Float64Array(size);
  const slack = (m + 100) * 2e-15;
  const evaluate = (k: number): void => {
    // g(s_k) with xirr's g's arithmetic (the same terms, added in the same order), and P and N
    // from the same exponentials
    const x = s[k]!;
    let sum = 0;
    let p = 0;
    let q = 0;
    for (let i = 0; i < m; i++) {
      const ai = a[i]!;
      const e = Math.exp(-x * tau[i]!);
      sum += ai * e;
      if (ai > 0) p += ai * e;
      else q -= ai * e;
    }
    gv[k] = sum;
    pos[k] = p;
    neg[k] = q;
  };
  const fill = (i: number, j: number): void => {
    // s[i] < s[j], both evaluated; decides or evaluates every point strictly between them
    if (j - i < 2) return;
    const margin = (pos[i]! + neg[i]!) * slack;
    const sign = pos[j]! - neg[i]! > margin ? 1 : pos[i]! - neg[j]! < -margin ? -1 : 0;
    if (sign !== 0) {
      gv.fill(sign, i + 1, j);
      return;
    }
    const mid = (i + j) >>> 1;
    evaluate(mid);
    fill(i, mid);
    fill(mid, j);
  };
  evaluate(0);
  evaluate(size - 1);
  fill(0, size - 1);
  return { s, g: gv };
}

function ambiguous(rates: number[], more: boolean): XirrResult {
  const shown = rates.map((r) => r.toPrecision(6)).join(', ');
  return {
    status: 'ambiguous',
    rate: null,
    message: `several rates solve the cash flows${shown ? ` (${shown}${more ? ', ...' : ''})` : ''}; the IRR is ambiguous`,
  };
}

/**
 * Sign changes (zeros skipped) in the partial sums of a, taken forwards (dir 1) or backwards (-1),
 * counted up to 2 (the caller asks only whether there is at most one).
 */
function partialSumSignChanges(a: number[], dir: 1 | -1): number {
  let sum = 0;
  let last = 0;
  let changes = 0;
  for (let k = 0; k < a.length; k++) {
    sum += a[dir === 1 ? k : a.length - 1 - k]!;
    const sg = Math.sign(sum);
    if (sg === 0) continue;
    if (last !== 0 && sg !== last && ++changes === 2) return changes;
    last = sg;
  }
  return changes;
}

/** Steps from s = 0 in direction dir until g changes sign, then refines; null beyond |s| = BRACKET_LIMIT. */
function bracketAndSolve(g: (s: number) => number, g0: number, dir: number): number | null {
  let inner = 0;
  let gInner = g0;
  for (let step = 0.25; step <= BRACKET_LIMIT; step *= 2) {
    const outer = dir * step;
    const gOuter = g(outer);
    if (gOuter === 0) return outer;
    if (Math.sign(gOuter) !== Math.sign(gInner)) return brent(g, inner, outer, gInner, gOuter);
    inner = outer;
    gInner = gOuter;
  }
  return null;
}

function okRate(rate: number): XirrResult {
  return Number.isFinite(rate) && rate > -1
    ? { status: 'ok', rate }
    : { status: 'no_solution', rate: null, message: 'no rate: the root is beyond float range' };
}

/**
 * Brent's root finder (zeroin) on [a, b] with f(a), f(b) of opposite signs; converges to the
 * float64 resolution of the root.
 */
function brent(f: (x: number) => number, a0: number, b0: number, fa0: number, fb0: number): number {
  let a = a0;
  let b = b0;
  let fa = fa0;
  let fb = fb0;
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let iter = 0; iter < 200; iter++) {
    if (Math.sign(fb) === Math.sign(fc)) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol = 2 * Number.EPSILON * Math.abs(b) + 1e-300;
    const m = 0.5 * (c - b);
    if (Math.abs(m) <= tol || fb === 0) return b;
    if (Math.abs(e) >= tol && Math.abs(fa) > Math.abs(fb)) {
      let p: number;
      let q: number;
      const s = fb / fa;
      if (a === c) {
        p = 2 * m * s;
        q = 1 - s;
      } else {
        const qq = fa / fc;
        const r = fb / fc;
        p = s * (2 * m * qq * (qq - r) - (b - a) * (r - 1));
        q = (qq - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < Math.min(3 * m * q - Math.abs(tol * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = m;
        e = m;
      }
    } else {
      d = m;
      e = m;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol ? d : m > 0 ? tol : -tol;
    fb = f(b);
  }
  return b;
}
