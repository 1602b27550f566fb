/**
 * Task module for the scanWorkers tests: runs inside each scan worker and returns a small
 * record per portfolio (counts, sums, digest, formatted problems).
 */
import { formatProblem } from '../../src/errors.js';
import type { ValuationGroup } from '../../src/storage/csv/fastGroups.js';

export interface TaskResult {
  id: string;
  tag: string;
  n: number;
  first: number | undefined;
  last: number | undefined;
  sum: number;
  digest: string;
  problems: string[];
  problemTotal: number;
  currency: string | undefined;
  currencyLine: number;
}

export function init(options: { tag: string }): { tag: string } {
  return { tag: options.tag };
}

export function handleGroup(g: ValuationGroup, _options: unknown, context: { tag: string }): TaskResult {
  let sum = 0;
  for (const v of g.values) sum += v;
  return {
    id: g.portfolioId,
    tag: context.tag,
    n: g.dates.length,
    first: g.dates[0],
    last: g.dates[g.dates.length - 1],
    sum,
    digest: g.digest,
    problems: g.problems.map(formatProblem),
    problemTotal: g.problemTotal,
    currency: g.currency,
    currencyLine: g.currency === undefined ? 0 : g.currencyLine,
  };
}
