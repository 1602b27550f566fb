import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A small, in-memory implementation of the Amazon Timestream (LiveAnalytics) *write* API over its JSON 1.0 protocol
 * (X-Amz-Target: Timestream_20181101.<Operation>), for tests. No emulator exists for it.
 *
 * Limits come from the Timestream developer guide, "Quotas" (ts-limits: service limits, naming constraints,
 * system identifiers), the API reference (Record, Dimension, MeasureValue, RejectedRecord, WriteRecords) and
 * "Supported data types" (NaN/Infinity cannot be written). See docs/testing-aws.md for the list and sources.
 *
 * Split between the two kinds of failure (a judgment modelled on the service):
 * - constraints of the API model (required members, enum values, list and string lengths such as the 100-record
 *   maximum) fail the whole request with ValidationException, as AWS's request validation does;
 * - data problems of individual records (byte-size limits, names, values, timestamps, duplicates) reject just those
 *   records: the others are stored and the response is RejectedRecordsException (HTTP 419) listing
 *   {RecordIndex, Reason, ExistingVersion?}. Reason texts are this server's own (the service's are not documented);
 *   they are exported as TIMESTREAM_REJECTION so tests can compare exactly.
 */

export const TIMESTREAM_LIMITS = {
  recordsPerRequest: 100,
  dimensionsPerRecord: 128,
  dimensionsPerTable: 128,
  measureNamesPerTable: 8192,
  multiMeasureNamesPerTable: 1024,
  measuresPerMultiMeasureRecord: 256,
  multiMeasureValueBytes: 2048,
  measureValueLength: 2048,
  dimensionNameBytes: 60,
  measureNameBytes: 256,
  resourceNameLength: { min: 3, max: 256 },
  dimensionPairBytesPerSeries: 2048,
  recordBytes: 2048,
  futureIngestionMinutes: 15,
  memoryRetentionHours: { min: 1, max: 8766, default: 6 },
  magneticRetentionDays: { min: 1, max: 73000, default: 73000 },
} as const;

export const TIMESTREAM_REJECTION = {
  missingMeasureName: 'MeasureName is required.',
  missingTime: 'Time is required.',
  badTime: 'Time must be a non-negative integer count of TimeUnit since the Unix epoch.',
  timeOutsideWindow:
    'The record timestamp is outside the ingestion window: older than the memory store retention ' +
    '(magnetic store retention when magnetic store writes are enabled) or more than 15 minutes in the future.',
  dimensionNameTooLong: 'Dimension name exceeds 60 bytes.',
  measureNameTooLong: 'Measure name exceeds 256 bytes.',
  systemIdentifier:
    'Dimension and measure names may not be the system identifiers measure_value, ts_non_existent_col or time, ' +
    'nor start with ts_ or measure_name.',
  duplicateDimension: 'Dimension names must be unique within a record.',
  nameCollision: 'A name cannot be both a dimension and a measure.',
  dimensionsTooLarge: 'Dimension names and values of the series exceed 2 KB.',
  recordTooLarge: 'The record exceeds the maximum record size of 2 KB.',
  missingMeasureValue: 'MeasureValue is required unless MeasureValueType is MULTI.',
  multiNeedsMeasureValues: 'A MULTI record needs MeasureValues and no MeasureValue.',
  measureValuesNeedMulti: 'MeasureValues are only allowed when MeasureValueType is MULTI.',
  tooManyMeasures: 'A multi-measure record can have at most 256 measures.',
  multiValuesTooLarge: 'The measure values of a multi-measure record exceed 2048 bytes.',
  duplicateMeasure: 'Measure names must be unique within a multi-measure record.',
  nestedMulti: 'A measure inside MeasureValues cannot have type MULTI.',
  typeConflict: 'The measure already exists in this table with a different data type.',
  tooManyTableDimensions: 'The table would exceed 128 dimensions.',
  tooManyTableMeasures: 'The table would exceed 8192 measure names.',
  tooManyTableMultiMeasures: 'The table would exceed 1024 unique measures across multi-measure records.',
  duplicateWithDifferentValue:
    'A record with the same dimensions, timestamp and measure name exists with a different measure value and ' +
    'an equal or higher version.',
  invalidValue: (type: string) => `The measure value is not a valid ${type}.`,
} as const;

const MEASURE_TYPES = ['DOUBLE', 'BIGINT', 'VARCHAR', 'BOOLEAN', 'TIMESTAMP', 'MULTI'] as const;
type MeasureValueType = (typeof MEASURE_TYPES)[number];
const TIME_UNITS = { SECONDS: 1_000_000_000n, MILLISECONDS: 1_000_000n, MICROSECONDS: 1_000n, NANOSECONDS: 1n } as const;
type TimeUnit = keyof typeof TIME_UNITS;

interface WireDimension {
  Name?: unknown;
  Value?: unknown;
  DimensionValueType?: unknown;
}
interface WireMeasureValue {
  Name?: unknown;
  Value?: unknown;
  Type?: unknown;
}
interface WireRecord {
  Dimensions?: WireDimension[];
  MeasureName?: unknown;
  MeasureValue?: unknown;
  MeasureValueType?: unknown;
  MeasureValues?: WireMeasureValue[];
  Time?: unknown;
  TimeUnit?: unknown;
  Version?: unknown;
}

export interface StoredMeasureValue {
  name: string;
  type: Exclude<MeasureValueType, 'MULTI'>;
  value: string;
}

/** A record as stored: CommonAttributes merged in, time normalised to nanoseconds. */
export interface StoredRecord {
  database: string;
  table: string;
  dimensions: Array<{ name: string; value: string }>;
  measureName: string;
  measureValueType: MeasureValueType;
  /** Single-measure records. */
  measureValue?: string;
  /** MULTI records. */
  measureValues?: StoredMeasureValue[];
  time: string;
  timeUnit: TimeUnit;
  timeNs: bigint;
  version: number;
  store: 'memory' | 'magnetic';
}

export interface TimestreamRequestLog {
  operation: string;
  /** Host header the SDK sent (shows which address endpoint discovery made it use). */
  host: string;
  /** Set when an injected fault answered this request. */
  fault?: TimestreamFault['kind'];
}

export interface TimestreamServerOptions {
  /** Clock for the ingestion window, in ms since the epoch. Default Date.now. */
  now?: () => number;
  /** Address answered by DescribeEndpoints. The SDK keeps the port of the configured endpoint. Default 127.0.0.1. */
  discoveryAddress?: string;
}

/**
 * A fault answered instead of running the operation, for the next `times` (default 1) requests to `operation`
 * (default: any operation except DescribeEndpoints). ThrottlingException is HTTP 429 and
 * InternalServerException HTTP 500, both of which the SDK retries.
 */
export interface TimestreamFault {
  kind: 'throttling' | 'internal';
  operation?: string;
  times?: number;
}

export interface TimestreamServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** Stored records of one table (or of all tables), in ingestion order. */
  records(database?: string, table?: string): StoredRecord[];
  /** Every request received, in order. */
  requests: TimestreamRequestLog[];
  /** Queue a fault (see TimestreamFault). */
  inject(fault: TimestreamFault): void;
  stop(): Promise<void>;
}

interface TableState {
  name: string;
  database: string;
  memoryHours: number;
  magneticDays: number;
  magneticWrites: boolean;
  created: number;
  records: Map<string, StoredRecord>;
  order: StoredRecord[];
  dimensionNames: Set<string>;
  measureTypes: Map<string, MeasureValueType>;
  multiMeasureNames: Set<string>;
}

interface DatabaseState {
  name: string;
  created: number;
  tables: Map<string, TableState>;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const validation = (message: string) => new ServiceError('ValidationException', 400, message);
const notFound = (message: string) => new ServiceError('ResourceNotFoundException', 404, message);
const conflict = (message: string) => new ServiceError('ConflictException', 409, message);

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const isString = (v: unknown): v is string => typeof v === 'string';

function isSystemIdentifier(name: string): boolean {
  return (
    name === 'measure_value' ||
    name === 'ts_non_existent_col' ||
    name === 'time' ||
    name.startsWith('ts_') ||
    name.startsWith('measure_name')
  );
}

function checkResourceName(value: unknown, member: string): string {
  if (!isString(value)) throw validation(`${member} is required.`);
  const { min, max } = TIMESTREAM_LIMITS.resourceNameLength;
  if (value.length < min || value.length > max || !/^[a-zA-Z0-9_.-]+$/.test(value)) {
    throw validation(`${member} must be ${min} to ${max} characters of [a-zA-Z0-9_.-].`);
  }
  return value;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Whether `value` is a valid write representation of `type` (Timestream "Data types" for writes). */
function validValue(type: Exclude<MeasureValueType, 'MULTI'>, value: string): boolean {
  switch (type) {
    case 'DOUBLE':
      return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) && Number.isFinite(Number(value));
    case 'BIGINT': {
      if (!/^[+-]?\d+$/.test(value)) return false;
      const n = BigInt(value);
      return n >= INT64_MIN && n <= INT64_MAX;
    }
    case 'BOOLEAN':
      return /^(true|false)$/i.test(value);
    case 'VARCHAR':
      return utf8Bytes(value) <= TIMESTREAM_LIMITS.measureValueLength;
    case 'TIMESTAMP':
      return /^\d+$/.test(value);
  }
}

/** Model-level checks on one (merged) record: wrong ones fail the whole request. */
function checkRecordShape(r: WireRecord, where: string): void {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw validation(`${where} must be a structure.`);
  if (r.Dimensions !== undefined) {
    if (!Array.isArray(r.Dimensions)) throw validation(`${where}.Dimensions must be a list.`);
    if (r.Dimensions.length > TIMESTREAM_LIMITS.dimensionsPerRecord) {
      throw validation(`${where}.Dimensions has more than ${TIMESTREAM_LIMITS.dimensionsPerRecord} members.`);
    }
    for (const d of r.Dimensions) {
      if (!isString(d.Name) || d.Name.length < 1 || d.Name.length > 60) {
        throw validation(`${where}: a dimension Name must be 1 to 60 characters.`);
      }
      if (!isString(d.Value)) throw validation(`${where}: dimension ${d.Name} needs a Value.`);
      if (d.DimensionValueType !== undefined && d.DimensionValueType !== 'VARCHAR') {
        throw validation(`${where}: DimensionValueType must be VARCHAR.`);
      }
    }
  }
  if (r.MeasureValueType !== undefined && !MEASURE_TYPES.includes(r.MeasureValueType as MeasureValueType)) {
    throw validation(`${where}.MeasureValueType must be one of ${MEASURE_TYPES.join(', ')}.`);
  }
  if (r.TimeUnit !== undefined && !(isString(r.TimeUnit) && r.TimeUnit in TIME_UNITS)) {
    throw validation(`${where}.TimeUnit must be one of ${Object.keys(TIME_UNITS).join(', ')}.`);
  }
  if (r.MeasureValue !== undefined) {
    if (!isString(r.MeasureValue) || r.MeasureValue.length < 1 || r.MeasureValue.length > 2048) {
      throw validation(`${where}.MeasureValue must be 1 to 2048 characters.`);
    }
  }
  if (r.Time !== undefined && (!isString(r.Time) || r.Time.length < 1 || r.Time.length > 256)) {
    throw validation(`${where}.Time must be a string of 1 to 256 characters.`);
  }
  if (r.Version !== undefined && !Number.isSafeInteger(r.Version)) {
    throw validation(`${where}.Version must be a 64-bit integer.`);
  }
  if (r.MeasureValues !== undefined) {
    if (!Array.isArray(r.MeasureValues)) throw validation(`${where}.MeasureValues must be a list.`);
    for (const m of r.MeasureValues) {
      if (!isString(m.Name) || m.Name.length < 1) throw validation(`${where}: a MeasureValues Name is required.`);
      if (!isString(m.Value) || m.Value.length < 1 || m.Value.length > 2048) {
        throw validation(`${where}: MeasureValues ${m.Name} Value must be 1 to 2048 characters.`);
      }
      if (!MEASURE_TYPES.includes(m.Type as MeasureValueType)) {
        throw validation(`${where}: MeasureValues ${m.Name} Type must be one of ${MEASURE_TYPES.join(', ')}.`);
      }
    }
  }
}

function mergeCommon(common: WireRecord | undefined, record: WireRecord): WireRecord {
  if (common === undefined) return record;
  return {
    ...common,
    ...Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)),
    Dimensions: [...(common.Dimensions ?? []), ...(record.Dimensions ?? [])],
  };
}

type Verdict =
  | { ok: true; record: StoredRecord; key: string }
  | { ok: false; reason: string; existingVersion?: number };

function seriesKey(dimensions: Array<{ name: string; value: string }>, measureName: string, timeNs: bigint): string {
  const dims = [...dimensions].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return JSON.stringify([dims.map((d) => [d.name, d.value]), measureName, timeNs.toString()]);
}

function sameValue(a: StoredRecord, b: StoredRecord): boolean {
  if (a.measureValueType !== b.measureValueType) return false;
  if (a.measureValueType !== 'MULTI') return a.measureValue === b.measureValue;
  const norm = (r: StoredRecord) =>
    JSON.stringify([...(r.measureValues ?? [])].sort((x, y) => (x.name < y.name ? -1 : 1)));
  return norm(a) === norm(b);
}

function judgeRecord(table: TableState, r: WireRecord, nowMs: number): Verdict {
  const R = TIMESTREAM_REJECTION;
  const reject = (reason: string): Verdict => ({ ok: false, reason });
  if (!isString(r.MeasureName) || r.MeasureName.length === 0) return reject(R.missingMeasureName);
  const measureName = r.MeasureName;
  if (r.Time === undefined) return reject(R.missingTime);
  const time = r.Time as string;
  if (!/^\d+$/.test(time)) return reject(R.badTime);
  const timeUnit = (r.TimeUnit ?? 'MILLISECONDS') as TimeUnit;
  const timeNs = BigInt(time) * TIME_UNITS[timeUnit];

  const dimensions = (r.Dimensions ?? []).map((d) => ({ name: d.Name as string, value: d.Value as string }));
  const dimNames = new Set<string>();
  let dimensionBytes = 0;
  for (const d of dimensions) {
    if (utf8Bytes(d.name) > TIMESTREAM_LIMITS.dimensionNameBytes) return reject(R.dimensionNameTooLong);
    if (isSystemIdentifier(d.name)) return reject(R.systemIdentifier);
    if (dimNames.has(d.name)) return reject(R.duplicateDimension);
    dimNames.add(d.name);
    dimensionBytes += utf8Bytes(d.name) + utf8Bytes(d.value);
  }
  if (dimensionBytes > TIMESTREAM_LIMITS.dimensionPairBytesPerSeries) return reject(R.dimensionsTooLarge);
  if (utf8Bytes(measureName) > TIMESTREAM_LIMITS.measureNameBytes) return reject(R.measureNameTooLong);
  if (isSystemIdentifier(measureName)) return reject(R.systemIdentifier);

  const type = (r.MeasureValueType ?? 'DOUBLE') as MeasureValueType;
  let measureBytes = utf8Bytes(measureName);
  let measureValues: StoredMeasureValue[] | undefined;
  if (type === 'MULTI') {
    if (r.MeasureValue !== undefined || r.MeasureValues === undefined || r.MeasureValues.length === 0) {
      return reject(R.multiNeedsMeasureValues);
    }
    if (r.MeasureValues.length > TIMESTREAM_LIMITS.measuresPerMultiMeasureRecord) return reject(R.tooManyMeasures);
    measureValues = [];
    const names = new Set<string>();
    let valueBytes = 0;
    for (const m of r.MeasureValues) {
      const name = m.Name as string;
      const mType = m.Type as MeasureValueType;
      const value = m.Value as string;
      if (mType === 'MULTI') return reject(R.nestedMulti);
      if (utf8Bytes(name) > TIMESTREAM_LIMITS.measureNameBytes) return reject(R.measureNameTooLong);
      if (isSystemIdentifier(name)) return reject(R.systemIdentifier);
      if (names.has(name)) return reject(R.duplicateMeasure);
      if (dimNames.has(name) || table.dimensionNames.has(name)) return reject(R.nameCollision);
      names.add(name);
      if (!validValue(mType, value)) return reject(R.invalidValue(mType));
      valueBytes += utf8Bytes(value);
      measureBytes += utf8Bytes(name) + utf8Bytes(value);
      measureValues.push({ name, type: mType, value });
    }
    if (valueBytes > TIMESTREAM_LIMITS.multiMeasureValueBytes) return reject(R.multiValuesTooLarge);
  } else {
    if (r.MeasureValues !== undefined) return reject(R.measureValuesNeedMulti);
    if (!isString(r.MeasureValue)) return reject(R.missingMeasureValue);
    if (!validValue(type, r.MeasureValue)) return reject(R.invalidValue(type));
    measureBytes += utf8Bytes(r.MeasureValue);
  }
  for (const d of dimNames) if (table.multiMeasureNames.has(d)) return reject(R.nameCollision);
  // Record size: dimension names and values, measure name(s) and value(s). The service does not document its exact
  // accounting; this is a lower bound of any reasonable one.
  if (dimensionBytes + measureBytes > TIMESTREAM_LIMITS.recordBytes) return reject(R.recordTooLarge);

  const nowNs = BigInt(Math.trunc(nowMs)) * 1_000_000n;
  const memoryStartNs = nowNs - BigInt(table.memoryHours) * 3_600_000_000_000n;
  const magneticStartNs = nowNs - BigInt(table.magneticDays) * 86_400_000_000_000n;
  const endNs = nowNs + BigInt(TIMESTREAM_LIMITS.futureIngestionMinutes) * 60_000_000_000n;
  const startNs = table.magneticWrites ? magneticStartNs : memoryStartNs;
  if (timeNs < startNs || timeNs > endNs) return reject(R.timeOutsideWindow);

  // table-wide schema limits and type consistency
  const newDims = [...dimNames].filter((d) => !table.dimensionNames.has(d));
  if (table.dimensionNames.size + newDims.length > TIMESTREAM_LIMITS.dimensionsPerTable) {
    return reject(R.tooManyTableDimensions);
  }
  const typed: Array<[string, MeasureValueType]> =
    type === 'MULTI' ? (measureValues ?? []).map((m) => [m.name, m.type]) : [[measureName, type]];
  for (const [name, t] of typed) {
    const known = table.measureTypes.get(name);
    if (known !== undefined && known !== t) return reject(R.typeConflict);
  }
  if (type === 'MULTI') {
    const known = table.measureTypes.get(measureName);
    if (known !== undefined && known !== 'MULTI') return reject(R.typeConflict);
  }
  const newMeasureNames = new Set(
    [measureName, ...typed.map(([n]) => n)].filter((n) => !table.measureTypes.has(n)),
  );
  if (table.measureTypes.size + newMeasureNames.size > TIMESTREAM_LIMITS.measureNamesPerTable) {
    return reject(R.tooManyTableMeasures);
  }
  if (type === 'MULTI') {
    const newMulti = (measureValues ?? []).filter((m) => !table.multiMeasureNames.has(m.name)).length;
    if (table.multiMeasureNames.size + newMulti > TIMESTREAM_LIMITS.multiMeasureNamesPerTable) {
      return reject(R.tooManyTableMultiMeasures);
    }
  }

  const record: StoredRecord = {
    database: table.database,
    table: table.name,
    dimensions,
    measureName,
    measureValueType: type,
    ...(type === 'MULTI' ? { measureValues } : { measureValue: r.MeasureValue as string }),
    time,
    timeUnit,
    timeNs,
    version: (r.Version as number | undefined) ?? 1,
    store: timeNs >= memoryStartNs ? 'memory' : 'magnetic',
  };
  const key = seriesKey(dimensions, measureName, timeNs);
  const existing = table.records.get(key);
  if (existing !== undefined && !sameValue(existing, record) && record.version <= existing.version) {
    return { ok: false, reason: R.duplicateWithDifferentValue, existingVersion: existing.version };
  }
  return { ok: true, record, key };
}

function commit(table: TableState, record: StoredRecord, key: string): void {
  const existing = table.records.get(key);
  if (existing !== undefined) {
    // same value: only a higher version is kept; different value with a higher version: an update
    if (record.version > existing.version || !sameValue(existing, record)) {
      Object.assign(existing, record);
    }
    return;
  }
  table.records.set(key, record);
  table.order.push(record);
  for (const d of record.dimensions) table.dimensionNames.add(d.name);
  table.measureTypes.set(record.measureName, record.measureValueType);
  for (const m of record.measureValues ?? []) {
    table.measureTypes.set(m.name, m.type);
    table.multiMeasureNames.add(m.name);
  }
}

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

function describeDatabase(db: DatabaseState) {
  return {
    Arn: `arn:aws:timestream:${REGION}:${ACCOUNT}:database/${db.name}`,
    DatabaseName: db.name,
    TableCount: db.tables.size,
    KmsKeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/local`,
    CreationTime: db.created / 1000,
    LastUpdatedTime: db.created / 1000,
  };
}

function describeTable(t: TableState) {
  return {
    Arn: `arn:aws:timestream:${REGION}:${ACCOUNT}:database/${t.database}/table/${t.name}`,
    TableName: t.name,
    DatabaseName: t.database,
    TableStatus: 'ACTIVE',
    RetentionProperties: {
      MemoryStoreRetentionPeriodInHours: t.memoryHours,
      MagneticStoreRetentionPeriodInDays: t.magneticDays,
    },
    MagneticStoreWriteProperties: { EnableMagneticStoreWrites: t.magneticWrites },
    CreationTime: t.created / 1000,
    LastUpdatedTime: t.created / 1000,
  };
}

/**
 * Starts the Timestream write server on a free 127.0.0.1 port. Operations: DescribeEndpoints, CreateDatabase,
 * DescribeDatabase, ListDatabases, CreateTable, DescribeTable, ListTables, WriteRecords.
 */
export async function startTimestreamServer(options: TimestreamServerOptions = {}): Promise<TimestreamServer> {
  const now = options.now ?? (() => Date.now());
  const discoveryAddress = options.discoveryAddress ?? '127.0.0.1';
  const databases = new Map<string, DatabaseState>();
  const requests: TimestreamRequestLog[] = [];
  const faults: Array<{ fault: TimestreamFault; remaining: number }> = [];

  function takeFault(operation: string): TimestreamFault | undefined {
    const entry = faults.find((f) =>
      f.fault.operation === undefined ? operation !== 'DescribeEndpoints' : f.fault.operation === operation,
    );
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) faults.splice(faults.indexOf(entry), 1);
    return entry.fault;
  }

  const getDatabase = (name: unknown): DatabaseState => {
    const db = databases.get(checkResourceName(name, 'DatabaseName'));
    if (db === undefined) throw notFound(`The database ${String(name)} does not exist.`);
    return db;
  };
  const getTable = (dbName: unknown, tableName: unknown): TableState => {
    const db = getDatabase(dbName);
    const table = db.tables.get(checkResourceName(tableName, 'TableName'));
    if (table === undefined) throw notFound(`The table ${String(tableName)} does not exist.`);
    return table;
  };

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    DescribeEndpoints: () => ({ Endpoints: [{ Address: discoveryAddress, CachePeriodInMinutes: 1440 }] }),
    CreateDatabase: (input) => {
      const name = checkResourceName(input.DatabaseName, 'DatabaseName');
      if (databases.has(name)) throw conflict(`The database ${name} already exists.`);
      const db: DatabaseState = { name, created: now(), tables: new Map() };
      databases.set(name, db);
      return { Database: describeDatabase(db) };
    },
    DescribeDatabase: (input) => ({ Database: describeDatabase(getDatabase(input.DatabaseName)) }),
    ListDatabases: () => ({ Databases: [...databases.values()].map(describeDatabase) }),
    CreateTable: (input) => {
      const db = getDatabase(input.DatabaseName);
      const name = checkResourceName(input.TableName, 'TableName');
      if (db.tables.has(name)) throw conflict(`The table ${name} already exists.`);
      const retention = (input.RetentionProperties ?? {}) as Record<string, unknown>;
      const { memoryRetentionHours: mem, magneticRetentionDays: mag } = TIMESTREAM_LIMITS;
      const memoryHours = input.RetentionProperties === undefined ? mem.default : retention.MemoryStoreRetentionPeriodInHours;
      const magneticDays =
        input.RetentionProperties === undefined ? mag.default : retention.MagneticStoreRetentionPeriodInDays;
      if (!Number.isInteger(memoryHours) || (memoryHours as number) < mem.min || (memoryHours as number) > mem.max) {
        throw validation(`MemoryStoreRetentionPeriodInHours must be an integer from ${mem.min} to ${mem.max}.`);
      }
      if (!Number.isInteger(magneticDays) || (magneticDays as number) < mag.min || (magneticDays as number) > mag.max) {
        throw validation(`MagneticStoreRetentionPeriodInDays must be an integer from ${mag.min} to ${mag.max}.`);
      }
      const magneticProps = (input.MagneticStoreWriteProperties ?? {}) as Record<string, unknown>;
      const table: TableState = {
        name,
        database: db.name,
        memoryHours: memoryHours as number,
        magneticDays: magneticDays as number,
        magneticWrites: magneticProps.EnableMagneticStoreWrites === true,
        created: now(),
        records: new Map(),
        order: [],
        dimensionNames: new Set(),
        measureTypes: new Map(),
        multiMeasureNames: new Set(),
      };
      db.tables.set(name, table);
      return { Table: describeTable(table) };
    },
    DescribeTable: (input) => ({ Table: describeTable(getTable(input.DatabaseName, input.TableName)) }),
    ListTables: (input) => {
      const dbs = input.DatabaseName === undefined ? [...databases.values()] : [getDatabase(input.DatabaseName)];
      return { Tables: dbs.flatMap((db) => [...db.tables.values()].map(describeTable)) };
    },
    WriteRecords: (input) => {
      checkResourceName(input.DatabaseName, 'DatabaseName');
      checkResourceName(input.TableName, 'TableName');
      const records = input.Records;
      if (!Array.isArray(records) || records.length < 1) throw validation('Records must contain at least 1 record.');
      if (records.length > TIMESTREAM_LIMITS.recordsPerRequest) {
        throw validation(
          `1 validation error detected: Value at 'records' failed to satisfy constraint: ` +
            `Member must have length less than or equal to ${TIMESTREAM_LIMITS.recordsPerRequest}`,
        );
      }
      const common = input.CommonAttributes as WireRecord | undefined;
      if (common !== undefined) checkRecordShape(common, 'CommonAttributes');
      const merged = (records as WireRecord[]).map((r, i) => {
        checkRecordShape(r, `Records[${i}]`);
        const m = mergeCommon(common, r);
        checkRecordShape(m, `Records[${i}]`);
        return m;
      });
      const table = getTable(input.DatabaseName, input.TableName);
      const nowMs = now();
      const rejected: Array<{ RecordIndex: number; Reason: string; ExistingVersion?: number }> = [];
      let memory = 0;
      let magnetic = 0;
      merged.forEach((r, index) => {
        const verdict = judgeRecord(table, r, nowMs);
        if (!verdict.ok) {
          rejected.push({
            RecordIndex: index,
            Reason: verdict.reason,
            ...(verdict.existingVersion !== undefined ? { ExistingVersion: verdict.existingVersion } : {}),
          });
          return;
        }
        commit(table, verdict.record, verdict.key);
        if (verdict.record.store === 'memory') memory++;
        else magnetic++;
      });
      if (rejected.length > 0) {
        throw new ServiceError(
          'RejectedRecordsException',
          419,
          'One or more records have been rejected. See RejectedRecords for details.',
          { RejectedRecords: rejected },
        );
      }
      return { RecordsIngested: { Total: memory + magnetic, MemoryStore: memory, MagneticStore: magnetic } };
    },
  };

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = Buffer.from(JSON.stringify(body));
    res.writeHead(status, {
      ...headers,
      'content-type': 'application/x-amz-json-1.0',
      'content-length': String(text.length),
      'x-amzn-requestid': `local-${requests.length}`,
    });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const [prefix, operation = ''] = target.split('.');
    const logEntry: TimestreamRequestLog = { operation, host: String(req.headers.host ?? '') };
    requests.push(logEntry);
    try {
      if (req.method !== 'POST' || prefix !== 'Timestream_20181101') {
        throw new ServiceError('UnknownOperationException', 400, `Unsupported target ${target}`);
      }
      const op = operations[operation];
      if (op === undefined) throw new ServiceError('UnknownOperationException', 400, `Unsupported operation ${operation}`);
      const fault = takeFault(operation);
      if (fault !== undefined) logEntry.fault = fault.kind;
      if (fault?.kind === 'throttling') throw new ServiceError('ThrottlingException', 429, 'Rate exceeded.');
      if (fault?.kind === 'internal') throw new ServiceError('InternalServerException', 500, 'Internal failure.');
      let input: Record<string, unknown>;
      try {
        input = chunks.length === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      } catch {
        throw new ServiceError('SerializationException', 400, 'The request body is not valid JSON.');
      }
      send(res, 200, op(input));
    } catch (err) {
      if (err instanceof ServiceError) {
        send(res, err.status, { __type: err.type, message: err.message, Message: err.message, ...err.extra }, {
          'x-amzn-errortype': err.type,
        });
      } else {
        send(res, 500, { __type: 'InternalServerException', message: String(err) });
      }
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, resolve);
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    requests,
    inject: (fault) => faults.push({ fault, remaining: fault.times ?? 1 }),
    records: (database, table) => {
      const out: StoredRecord[] = [];
      for (const db of databases.values()) {
        if (database !== undefined && db.name !== database) continue;
        for (const t of db.tables.values()) if (table === undefined || t.name === table) out.push(...t.order);
      }
      return out;
    },
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
