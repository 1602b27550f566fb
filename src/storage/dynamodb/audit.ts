/**
 * The audit trail in DynamoDB, and its queries (no scans).
 *
 * Each audit record (one command run) is written as a few items in partition
 * `T#<tenant>#A#<run_id>`, all carrying the full record as JSON:
 * - the event item: GSI1 `T#<tenant>#AU#<user>` (by user and time) and GSI2 `T#<tenant>#AR#*#*`
 *   (every record of the tenant by time);
 * - one item per system it touched (GSI2 `T#<tenant>#AR#<system>#*`) and one per system and
 *   resource (GSI2 `T#<tenant>#AR#<system>#<resource>`), e.g. `csv` + an input file's path,
 *   `dynamodb` + a table, `files` + an output directory.
 * Every index sort key is `<started_at ISO>#<run_id>#<command>`, so a time window is a key
 * condition and `ScanIndexForward: false` gives newest first. Keys depend only on the record, so
 * writing the same record twice leaves one copy.
 *
 * Queries: --user goes to GSI1 (with --system/--resource as a filter on the record's `touches`
 * set); otherwise GSI2 on (system or '*', resource or '*'). Paginated by --limit and an opaque
 * --next-token (base64url of LastEvaluatedKey, checked to belong to the same tenant and index
 * partition). `AuditQueryCache`: an LRU of identical queries with a 5-minute TTL and an
 * injectable clock, for long-running processes, with hit and miss counters.
 */
import { QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { currentUser, type AuditRecord } from '../../batch/auditLog.js';
import { UsageError } from '../../errors.js';
import { batchWriteAll, type Item } from './batchWrite.js';
import type { RunConfig } from '../../config.js';
import { json, openDynamo, S, type DynamoSettings, type DynamoTarget } from './client.js';
import { GSI1, GSI2, keys } from './keys.js';

export interface AuditResource {
  system: string;
  resource: string;
}

/** The systems and resources a record touched: its inputs, its output directory and any `resources` it lists. */
export function auditResources(r: AuditRecord): AuditResource[] {
  const out = new Map<string, AuditResource>();
  const add = (system: string, resource: string) => out.set(`${system}#${resource}`, { system, resource });
  for (const i of r.inputs ?? []) {
    const m = /^dynamodb:\/\/([^/]+)\//.exec(i.path);
    if (m) add('dynamodb', m[1]!);
    else add('csv', i.path);
  }
  if (typeof r.out === 'string') add('files', r.out);
  if (Array.isArray(r.resources)) for (const x of r.resources as AuditResource[]) add(x.system, x.resource);
  return [...out.values()];
}

export function auditItems(tenant: string, record: AuditRecord): Item[] {
  const r: AuditRecord = { ...record, user: record.user ?? currentUser(), tenant };
  const sort = `${r.started_at}#${r.run_id}#${r.command}`;
  const pk = S(keys.audit(tenant, r.run_id));
  const resources = auditResources(r);
  const touches = [...new Set(resources.flatMap((x) => [x.system, `${x.system}#${x.resource}`]))];
  const common: Item = {
    PK: pk,
    type: S('audit'),
    user: S(r.user),
    command: S(r.command),
    started_at: S(r.started_at),
    record: S(JSON.stringify(r)),
    ...(touches.length > 0 ? { touches: { SS: touches } } : {}),
  };
  const items: Item[] = [
    { ...common, SK: S(`E#${sort}`), GSI1PK: S(keys.auditByUser(tenant, r.user)), GSI1SK: S(sort), GSI2PK: S(keys.auditByResource(tenant, '*', '*')), GSI2SK: S(sort) },
  ];
  for (const system of new Set(resources.map((x) => x.system))) {
    items.push({ ...common, SK: S(`R#${system}#*#${sort}`), GSI2PK: S(keys.auditByResource(tenant, system, '*')), GSI2SK: S(sort) });
  }
  for (const x of resources) {
    items.push({ ...common, SK: S(`R#${x.system}#${x.resource}#${sort}`), GSI2PK: S(keys.auditByResource(tenant, x.system, x.resource)), GSI2SK: S(sort) });
  }
  return items;
}

/** Appends one audit record to the table (idempotent). */
export async function writeAuditRecord(target: DynamoTarget, record: AuditRecord): Promise<void> {
  await batchWriteAll(target.client, target.table, auditItems(target.tenant, record));
}

export interface AuditDynamoQuery {
  user?: string;
  /** Records that started at or after this instant (ISO time or date). */
  from?: string;
  /** Records that started at or before this instant. */
  to?: string;
  system?: string;
  resource?: string;
  limit?: number;
  nextToken?: string;
}

export interface AuditPage {
  records: AuditRecord[];
  /** Pass as --next-token for the next page; absent on the last page. */
  nextToken?: string;
}

function instantIso(x: string | undefined, name: string): string | undefined {
  if (x === undefined) return undefined;
  const t = Date.parse(x);
  if (Number.isNaN(t)) throw new UsageError(`--${name} '${x}' is not a date or time`);
  return new Date(t).toISOString();
}

function encodeToken(partition: string, key: Record<string, AttributeValue>): string {
  const plain = Object.fromEntries(Object.entries(key).map(([k, v]) => [k, v.S ?? '']));
  return Buffer.from(JSON.stringify({ p: partition, k: plain }), 'utf8').toString('base64url');
}

function decodeToken(token: string, partition: string, tenant: string): Record<string, AttributeValue> {
  let parsed: { p?: unknown; k?: Record<string, unknown> };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new UsageError('--next-token is not a token this command gave out');
  }
  const k = parsed?.k;
  const prefix = keys.tenantPrefix(tenant);
  const ok =
    parsed?.p === partition &&
    typeof k === 'object' &&
    k !== null &&
    typeof k.PK === 'string' &&
    k.PK.startsWith(prefix) &&
    Object.values(k).every((v) => typeof v === 'string' && (!v.startsWith('T#') || v.startsWith(prefix)));
  if (!ok) throw new UsageError('--next-token belongs to another query (other filters or another tenant)');
  return Object.fromEntries(Object.entries(k!).map(([n, v]) => [n, { S: v as string }]));
}

export interface CacheStats {
  hits: number;
  misses: number;
  size: number;
}

/** An LRU of query results with a time to live (default 5 minutes, at most `max` entries); the clock is injectable. */
export class AuditQueryCache {
  private readonly entries = new Map<string, { expires: number; page: AuditPage }>();
  hits = 0;
  misses = 0;
  constructor(
    readonly opts: { ttlMs?: number; max?: number; now?: () => number } = {},
  ) {}
  get(key: string): AuditPage | undefined {
    const now = (this.opts.now ?? Date.now)();
    const e = this.entries.get(key);
    if (e && e.expires > now) {
      this.entries.delete(key);
      this.entries.set(key, e); // most recently used last
      this.hits++;
      return e.page;
    }
    if (e) this.entries.delete(key);
    this.misses++;
    return undefined;
  }
  set(key: string, page: AuditPage): void {
    const now = (this.opts.now ?? Date.now)();
    this.entries.delete(key);
    this.entries.set(key, { expires: now + (this.opts.ttlMs ?? 5 * 60_000), page });
    const max = this.opts.max ?? 500;
    while (this.entries.size > max) this.entries.delete(this.entries.keys().next().value!);
  }
  stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, size: this.entries.size };
  }
}

/** The process-wide cache a long-running process (worker, Lambda) uses; its counters go into that process's metrics. */
export const auditQueryCache = new AuditQueryCache();

export function auditCacheStats(): CacheStats {
  return auditQueryCache.stats();
}

/** One page of audit records, newest first, through GSI1 or GSI2 (never a Scan). */
export async function queryAuditDynamo(target: DynamoTarget, q: AuditDynamoQuery, cache?: AuditQueryCache): Promise<AuditPage> {
  const tenant = target.tenant;
  if (q.resource !== undefined && q.system === undefined) throw new UsageError('--resource needs --system (e.g. --system csv --resource fixtures/valuations.csv)');
  const limit = q.limit ?? 50;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
  const from = instantIso(q.from, 'from');
  const to = instantIso(q.to, 'to');
  const byUser = q.user !== undefined;
  const index = byUser ? GSI1 : GSI2;
  const partitionKey = byUser ? keys.auditByUser(tenant, q.user!) : keys.auditByResource(tenant, q.system ?? '*', q.resource ?? '*');
  const cacheKey = JSON.stringify([target.table, tenant, index, partitionKey, from, to, q.system, q.resource, limit, q.nextToken]);
  const hit = cache?.get(cacheKey);
  if (hit) return hit;
  const names: Record<string, string> = { '#pk': `${index}PK`, '#sk': `${index}SK` };
  const values: Record<string, AttributeValue> = { ':pk': S(partitionKey), ':lo': S(from ?? '0'), ':hi': S(`${to ?? '9'}~`) };
  let filter: string | undefined;
  if (byUser && q.system !== undefined) {
    values[':touch'] = S(q.resource !== undefined ? `${q.system}#${q.resource}` : q.system);
    filter = 'contains(touches, :touch)';
  }
  let start = q.nextToken !== undefined ? decodeToken(q.nextToken, partitionKey, tenant) : undefined;
  const records: AuditRecord[] = [];
  let next: string | undefined;
  for (;;) {
    const page = await target.client.send(
      new QueryCommand({
        TableName: target.table,
        IndexName: index,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ...(filter ? { FilterExpression: filter } : {}),
        ScanIndexForward: false,
        Limit: limit - records.length,
        ExclusiveStartKey: start,
      }),
    );
    for (const it of page.Items ?? []) records.push(json<AuditRecord>(it, 'record')!);
    start = page.LastEvaluatedKey;
    if (!start) break;
    if (records.length >= limit) {
      next = encodeToken(partitionKey, start);
      break;
    }
  }
  const result: AuditPage = next ? { records, nextToken: next } : { records };
  cache?.set(cacheKey, result);
  return result;
}

/**
 * The run's audit record to the table as well, when the run reads or writes DynamoDB
 * (`--source dynamodb` or `--sink dynamodb`); the local JSONL log gets it either way. The table
 * and tenant are the run's; the DynamoDB sink is listed as a resource.
 */
export async function auditToTable(
  c: Pick<RunConfig, 'source' | 'sinks' | 'table' | 'tenant'>,
  record: Omit<AuditRecord, 'user'> & { user?: string },
  settings: Omit<DynamoSettings, 'table' | 'tenant'> = {},
): Promise<boolean> {
  if (c.source !== 'dynamodb' && !c.sinks.includes('dynamodb')) return false;
  const target = openDynamo({ ...settings, table: c.table, tenant: c.tenant });
  try {
    const resources: AuditResource[] = [...((record.resources as AuditResource[] | undefined) ?? [])];
    if (c.sinks.includes('dynamodb') || c.source === 'dynamodb') resources.push({ system: 'dynamodb', resource: c.table });
    await writeAuditRecord(target, { ...record, user: record.user ?? currentUser(), resources } as unknown as AuditRecord);
  } finally {
    target.close();
  }
  return true;
}
