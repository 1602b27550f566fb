/**
 * The DynamoDB client perfcalc uses, and the small attribute mapping it needs (no util-dynamodb).
 *
 * Region: `region` option, else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1. Credentials: the
 * option, else the standard chain (fromNodeProviderChain: env keys, AWS_PROFILE and the shared
 * files, SSO, web identity, container and instance metadata). Endpoint: the option, else
 * AWS_ENDPOINT_URL_DYNAMODB, else AWS_ENDPOINT_URL (the SDK honours both on its own; reading them
 * here too makes the endpoint explicit and lets errors name it). Nothing here logs; error messages
 * name the table, tenant and endpoint, never credentials.
 */
import { DynamoDBClient, type AttributeValue, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { UsageError } from '../../errors.js';
import { checkTable, checkTenant, DEFAULT_TABLE, DEFAULT_TENANT } from './keys.js';

export interface DynamoSettings {
  table?: string;
  tenant?: string;
  region?: string;
  endpoint?: string;
  credentials?: DynamoDBClientConfig['credentials'];
  /** SDK attempts per request (throttling and 5xx are retried by the SDK). Default 5. */
  maxAttempts?: number;
  /** An existing client (tests); the settings above are then not used for the client. */
  client?: DynamoDBClient;
  env?: NodeJS.ProcessEnv;
}

export interface DynamoTarget {
  client: DynamoDBClient;
  table: string;
  tenant: string;
  /** The endpoint in use, for messages ('AWS' for the default). */
  where: string;
  /** Destroys the client if this module created it. */
  close(): void;
}

export function dynamoEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const e = env.AWS_ENDPOINT_URL_DYNAMODB?.trim() || env.AWS_ENDPOINT_URL?.trim();
  return e ? e : undefined;
}

export function openDynamo(s: DynamoSettings = {}): DynamoTarget {
  const env = s.env ?? process.env;
  const table = checkTable(s.table ?? DEFAULT_TABLE);
  const tenant = checkTenant(s.tenant ?? DEFAULT_TENANT);
  const endpoint = s.endpoint ?? dynamoEndpoint(env);
  if (s.client) return { client: s.client, table, tenant, where: endpoint ?? 'the given client', close() {} };
  const client = new DynamoDBClient({
    region: s.region ?? (env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1'),
    credentials: s.credentials ?? fromNodeProviderChain(),
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: s.maxAttempts ?? 5,
  });
  return { client, table, tenant, where: endpoint ?? 'AWS', close: () => client.destroy() };
}

/** A string attribute. */
export const S = (s: string): AttributeValue => ({ S: s });
/** A number attribute from a float64: its shortest round-trip text, so reading it back gives the same float exactly. */
export function N(x: number): AttributeValue {
  if (!Number.isFinite(x)) throw new RangeError(`cannot store ${x} as a DynamoDB number`);
  return { N: String(x) };
}
/** A number attribute from exact decimal text (money as it was given). */
export const NText = (text: string): AttributeValue => ({ N: text });
export const NULL: AttributeValue = { NULL: true };

export function str(item: Record<string, AttributeValue> | undefined, name: string): string | undefined {
  const v = item?.[name];
  return v && 'S' in v ? v.S : undefined;
}
export function num(item: Record<string, AttributeValue> | undefined, name: string): number | undefined {
  const v = item?.[name];
  return v && 'N' in v && v.N !== undefined ? Number(v.N) : undefined;
}
/** A JSON document kept in a string attribute. */
export function json<T>(item: Record<string, AttributeValue> | undefined, name: string): T | undefined {
  const s = str(item, name);
  return s === undefined ? undefined : (JSON.parse(s) as T);
}

/** The error name of an SDK error (ConditionalCheckFailedException, ...). */
export function errorName(err: unknown): string {
  return (err as { name?: string })?.name ?? '';
}

/** A missing table as a usage error that says how to create it; other errors unchanged. */
export function explainMissingTable(err: unknown, table: string): unknown {
  if (errorName(err) === 'ResourceNotFoundException') {
    return new UsageError(`DynamoDB table ${table} does not exist (or is not visible to these credentials and region): create it with 'perfcalc tables create --table ${table}'`);
  }
  return err;
}
