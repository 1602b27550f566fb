import { accurateGrowth } from './accurateSum.js';

/** Up/down capture, number and percent ratios (NaN where the denominator is 0). */
export interface UpDownRatios {
  up_capture: number;
  down_capture: number;
  up_number_ratio: number;
  down_number_ratio: number;
  up_percent_ratio: number;
  down_percent_ratio: number;
}

/**
 * PerformanceAnalytics' UpDownRatios (geometric = TRUE) on aligned series a (asset) and b
 * (benchmark). Up periods are b > 0. Capture: (prod_{b>0}(1 + a) - 1) / (prod_{b>0}(1 + b) - 1),
 * down capture the same over b <= 0 (a zero benchmark month counts as down). Number: #(a > 0 and
 * b > 0) / #(b > 0), down: #(a < 0 and b < 0) / #(b < 0). Percent: #(a > b and b > 0) / #(b > 0),
 * down: #(a > b and b < 0) / #(b < 0). The number and percent ratios ignore b = 0.
 */
export function upDownRatios(a: ArrayLike<number>, b: ArrayLike<number>): UpDownRatios {
  const upA: number[] = [];
  const upB: number[] = [];
  const dnA: number[] = [];
  const dnB: number[] = [];
  let bUp = 0;
  let bDown = 0;
  let bothUp = 0;
  let bothDown = 0;
  let beatUp = 0;
  let beatDown = 0;
  for (let i = 0; i < a.length; i++) {
    const ai = a[i] as number;
    const bi = b[i] as number;
    if (bi > 0) {
      upA.push(ai);
      upB.push(bi);
      bUp++;
      if (ai > 0) bothUp++;
      if (ai > bi) beatUp++;
    } else {
      dnA.push(ai);
      dnB.push(bi);
    }
    if (bi < 0) {
      bDown++;
      if (ai < 0) bothDown++;
      if (ai > bi) beatDown++;
    }
  }
  return {
    up_capture: (accurateGrowth(upA) - 1) / (accurateGrowth(upB) - 1),
    down_capture: (accurateGrowth(dnA) - 1) / (accurateGrowth(dnB) - 1),
    up_number_ratio: bothUp / bUp,
    down_number_ratio: bothDown / bDown,
    up_percent_ratio: beatUp / bUp,
    down_percent_ratio: beatDown / bDown,
  };
}
