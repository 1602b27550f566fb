/**
 * The Timestream write client and table setup. Region from AWS_REGION (default us-east-1), credentials from the
 * standard Node provider chain (env, AWS_PROFILE / shared files, SSO, IMDS/ECS), endpoint: an explicit option, else
 * the SDK's own handling of AWS_ENDPOINT_URL_TIMESTREAM_WRITE (it calls DescribeEndpoints there and keeps the port),
 * else AWS endpoint discovery. Nothing here logs; errors never carry credentials.
 */
import {
  ConflictException,
  CreateDatabaseCommand,
  CreateTableCommand,
  DescribeTableCommand,
  TimestreamWriteClient,
  type CreateDatabaseCommandInput,
  type CreateTableCommandInput,
} from '@aws-sdk/client-timestream-write';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';

export interface TimestreamClientOptions {
  /** e.g. http://127.0.0.1:8080; when given, no endpoint discovery happens. */
  endpoint?: string;
  /** Default AWS_REGION, then us-east-1. */
  region?: string;
  /** Default: the Node provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** SDK-level attempts per request (default 1: the sink retries throttling and 5xx itself, with jitter). */
  maxAttempts?: number;
}

export function createTimestreamClient(opts: TimestreamClientOptions = {}): TimestreamWriteClient {
  const region = opts.region ?? (process.env.AWS_REGION || undefined) ?? 'us-east-1';
  return new TimestreamWriteClient({
    region,
    credentials: opts.credentials ?? fromNodeProviderChain(),
    maxAttempts: opts.maxAttempts ?? 1,
    ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
  });
}

/**
 * Memory store: 24 hours (recent records; the sink mostly writes history). Magnetic store: 73000 days (the
 * maximum, 200 years), with magnetic store writes enabled: without them, records older than the memory store
 * retention are rejected, and daily series go back years.
 */
export const TIMESTREAM_RETENTION = { memoryHours: 24, magneticDays: 73000 } as const;

export interface TimestreamTableNames {
  database: string;
  table: string;
}

/** The CreateDatabase and CreateTable inputs (for `perfcalc tables create --dry-run`). */
export function timestreamTableDefinitions(names: TimestreamTableNames): { database: CreateDatabaseCommandInput; table: CreateTableCommandInput } {
  return {
    database: { DatabaseName: names.database },
    table: {
      DatabaseName: names.database,
      TableName: names.table,
      RetentionProperties: {
        MemoryStoreRetentionPeriodInHours: TIMESTREAM_RETENTION.memoryHours,
        MagneticStoreRetentionPeriodInDays: TIMESTREAM_RETENTION.magneticDays,
      },
      MagneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
    },
  };
}

export interface CreateTimestreamTablesResult {
  database: 'created' | 'exists';
  table: 'created' | 'exists';
  /** Problems with an existing table (magnetic store writes off, short magnetic retention). */
  warnings: string[];
}

function isConflict(err: unknown): boolean {
  return err instanceof ConflictException || (err as { name?: string } | null)?.name === 'ConflictException';
}

/**
 * Creates the database and table if missing (idempotent: ConflictException means it exists). An existing table is
 * described and its settings checked; it is never altered.
 */
export async function createTimestreamTables(
  names: TimestreamTableNames,
  opts: TimestreamClientOptions & { client?: TimestreamWriteClient } = {},
): Promise<CreateTimestreamTablesResult> {
  const client = opts.client ?? createTimestreamClient({ ...opts, maxAttempts: opts.maxAttempts ?? 3 });
  try {
    const defs = timestreamTableDefinitions(names);
    const result: CreateTimestreamTablesResult = { database: 'created', table: 'created', warnings: [] };
    try {
      await client.send(new CreateDatabaseCommand(defs.database));
    } catch (err) {
      if (!isConflict(err)) throw err;
      result.database = 'exists';
    }
    try {
      await client.send(new CreateTableCommand(defs.table));
    } catch (err) {
      if (!isConflict(err)) throw err;
      result.table = 'exists';
      const { Table } = await client.send(new DescribeTableCommand({ DatabaseName: names.database, TableName: names.table }));
      if (Table?.MagneticStoreWriteProperties?.EnableMagneticStoreWrites !== true) {
        result.warnings.push(
          `Timestream table ${names.database}.${names.table} has magnetic store writes disabled: daily records older than ` +
            `the memory store retention will be rejected (enable MagneticStoreWriteProperties.EnableMagneticStoreWrites)`,
        );
      }
      const days = Table?.RetentionProperties?.MagneticStoreRetentionPeriodInDays;
      if (days !== undefined && days < 36500) {
        result.warnings.push(
          `Timestream table ${names.database}.${names.table} keeps the magnetic store ${days} days: older daily records will be rejected`,
        );
      }
    }
    return result;
  } finally {
    if (!opts.client) client.destroy();
  }
}
