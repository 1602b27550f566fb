/**
 * Geometric annualisation over calendar days, actual/365:
 *   annualized = (1 + cumulative)^(365 / days) - 1,   cumulative = (1 + annual)^(days / 365) - 1.
 * Computed as expm1(k * log1p(x)) for precision with small returns. A cumulative return of -100%
 * stays -100%; below -100% (impossible for a valid return) gives NaN.
 */
export function annualize(cumulative: number, days: number): number {
  return Math.expm1((365 / days) * Math.log1p(cumulative));
}

/** The cumulative return over `days` calendar days of an annual rate (inverse of `annualize`). */
export function deannualize(annual: number, days: number): number {
  return Math.expm1((days / 365) * Math.log1p(annual));
}
