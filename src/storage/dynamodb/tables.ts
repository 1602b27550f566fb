/**
 * `perfcalc tables create`: the table and its two GSIs, on-demand capacity. Idempotent: an
 * existing table (ResourceInUseException) is fine; either way it waits until the table is ACTIVE.
 */
import { CreateTableCommand, DescribeTableCommand, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PerfcalcError } from '../../errors.js';
import { errorName } from './client.js';
import { GSI1, GSI2 } from './keys.js';

export function tableDefinition(table: string): CreateTableCommandInput {
  const gsi = (name: string) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: `${name}PK`, KeyType: 'HASH' as const },
      { AttributeName: `${name}SK`, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  return {
    TableName: table,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: ['PK', 'SK', `${GSI1}PK`, `${GSI1}SK`, `${GSI2}PK`, `${GSI2}SK`].map((a) => ({ AttributeName: a, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [gsi(GSI1), gsi(GSI2)],
  };
}

export interface CreateTablesResult {
  table: string;
  /** 'created' by this call, or 'exists' already. */
  status: 'created' | 'exists';
}

/** Creates the table (if missing) and waits until it and its indexes are ACTIVE (at most `timeoutMs`). */
export async function createTables(
  client: DynamoDBClient,
  table: string,
  opts: { timeoutMs?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<CreateTablesResult> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let status: CreateTablesResult['status'] = 'created';
  try {
    await client.send(new CreateTableCommand(tableDefinition(table)));
  } catch (err) {
    if (errorName(err) !== 'ResourceInUseException') throw err;
    status = 'exists';
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
  for (;;) {
    const d = (await client.send(new DescribeTableCommand({ TableName: table }))).Table;
    const indexes = d?.GlobalSecondaryIndexes ?? [];
    if (d?.TableStatus === 'ACTIVE' && indexes.every((i) => i.IndexStatus === 'ACTIVE')) break;
    if (Date.now() > deadline) throw new PerfcalcError(`table ${table} is not ACTIVE after ${opts.timeoutMs ?? 300_000} ms (status ${d?.TableStatus})`);
    await sleep(1000);
  }
  return { table, status };
}
