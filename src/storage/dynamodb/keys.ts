/**
 * The single-table key patterns (docs/dynamodb.md has the whole design). Every partition key, base
 * table and index alike, starts with `T#<tenant>#`, and every query is built from these functions
 * with the source's or sink's own tenant, so no query can reach another tenant's items.
 *
 * Base table: PK (S), SK (S). GSI1: GSI1PK, GSI1SK ("lists": portfolios, series, runs, audit by
 * user). GSI2: GSI2PK, GSI2SK (audit by system and resource). Both project ALL attributes.
 */
import { formatIsoDate, type EpochDay } from '../../engine/calendarDate.js';
import { UsageError } from '../../errors.js';

export const DEFAULT_TABLE = 'perfcalc';
export const DEFAULT_TENANT = 'default';
export const GSI1 = 'GSI1';
export const GSI2 = 'GSI2';

/** Tenant ids: letters, digits, '.', '_' and '-' (no '#', which separates key parts), at most 64. */
export function checkTenant(tenant: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(tenant)) {
    throw new UsageError(`tenant '${tenant}' is not a tenant id (letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64)`);
  }
  return tenant;
}

/** Table names as DynamoDB allows them: 3-255 of [a-zA-Z0-9_.-]. */
export function checkTable(table: string): string {
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(table)) throw new UsageError(`table '${table}' is not a DynamoDB table name (3-255 of letters, digits, '_', '.', '-')`);
  return table;
}

const t = (tenant: string) => `T#${tenant}#`;

/** ISO date of an epoch day; the sort keys compare dates as text, which orders years 0000-9999 correctly. */
export const isoDay = (d: EpochDay): string => formatIsoDate(d);

export const keys = {
  /** Partition of one portfolio: its meta item, valuations, cash flows and holdings. */
  portfolio: (tenant: string, id: string) => `${t(tenant)}P#${id}`,
  portfolioMeta: '#META',
  valuation: (date: string) => `V#${date}`,
  /** One netted flow per date and timing code (0 default, 1 end, 2 start): idempotent on re-import. */
  flow: (date: string, timing: number) => `F#${date}#${timing}`,
  holding: (date: string, security: string) => `H#${date}#${security}`,
  /** GSI1 partition listing a tenant's portfolios (sort key `P#<id>`). */
  portfolioList: (tenant: string) => `${t(tenant)}PORTFOLIOS`,
  series: (tenant: string, id: string) => `${t(tenant)}S#${id}`,
  seriesPoint: (date: string) => `D#${date}`,
  seriesList: (tenant: string) => `${t(tenant)}SERIES`,
  /** Partition of one run: the run record, its results, errors and summary. */
  run: (tenant: string, runId: string) => `${t(tenant)}R#${runId}`,
  runRecord: '#RUN',
  runSummary: '#SUMMARY',
  runErrors: '#ERRORS',
  result: (portfolio: string, period: string, metric: string) => `P#${portfolio}#${period}#${metric}`,
  runError: (portfolio: string) => `E#${portfolio}`,
  runList: (tenant: string) => `${t(tenant)}RUNS`,
  /** Partition of one audit event (a command run): the event item and its resource items. */
  audit: (tenant: string, runId: string) => `${t(tenant)}A#${runId}`,
  /** GSI1 partition: a user's audit events; sort key `<started_at>#<run_id>#<command>`. */
  auditByUser: (tenant: string, user: string) => `${t(tenant)}AU#${user}`,
  /** GSI2 partition: audit events touching a system (and resource); '*' = any. */
  auditByResource: (tenant: string, system: string, resource: string) => `${t(tenant)}AR#${system}#${resource}`,
  tenantPrefix: t,
} as const;

/** Inclusive date bounds of a sort-key prefix: `<prefix><from>` .. `<prefix><to>~` ('~' sorts after '#' and digits). */
export function dateBounds(prefix: string, from?: EpochDay, to?: EpochDay): [string, string] {
  return [`${prefix}${from === undefined ? '0000-01-01' : isoDay(from)}`, `${prefix}${to === undefined ? '9999-12-31' : isoDay(to)}~`];
}
