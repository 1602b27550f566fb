import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  GetItemCommand,
  BatchWriteItemCommand,
  ScanCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { startFaultProxy } from '../servers/faultProxy.js';
import { startDynamoDbLocal, type DynamoDbLocal } from '../servers/dynamoDbLocal.js';
import { TEST_CREDENTIALS, TEST_REGION } from '../servers/awsTestConfig.js';
import { assertLoopbackEndpoint, guardLoopback } from '../servers/loopbackGuard.js';

let ddb: DynamoDbLocal;
let client: DynamoDBClient & { loopbackHosts: string[] };

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  console.error(`DynamoDB Local ready at ${ddb.endpoint} after ${ddb.startupMs} ms`);
  client = guardLoopback(
    new DynamoDBClient({
      endpoint: assertLoopbackEndpoint(ddb.endpoint),
      region: TEST_REGION,
      credentials: TEST_CREDENTIALS,
    }),
  );
});

afterAll(async () => {
  client?.destroy();
  await ddb?.stop();
});

describe('DynamoDB Local', () => {
  it('creates a table with a GSI, puts items and queries base table and index', async () => {
    await client.send(
      new CreateTableCommand({
        TableName: 'harness',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'gsi1pk', AttributeType: 'S' },
          { AttributeName: 'gsi1sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'gsi1',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    const days = ['2024-01-01', '2024-01-02', '2024-01-03', '2024-02-01'];
    for (const [i, day] of days.entries()) {
      await client.send(
        new PutItemCommand({
          TableName: 'harness',
          Item: {
            pk: { S: 't1#PF1' },
            sk: { S: `VAL#${day}` },
            gsi1pk: { S: 't1#VALDATE' },
            gsi1sk: { S: `${day}#PF1` },
            value: { N: String(100 + i) },
          },
        }),
      );
    }
    const january = await client.send(
      new QueryCommand({
        TableName: 'harness',
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': { S: 't1#PF1' },
          ':from': { S: 'VAL#2024-01-02' },
          ':to': { S: 'VAL#2024-01-31' },
        },
      }),
    );
    expect(january.Items?.map((item) => item.value?.N)).toEqual(['101', '102']);

    const byIndex = await client.send(
      new QueryCommand({
        TableName: 'harness',
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :month)',
        ExpressionAttributeValues: { ':pk': { S: 't1#VALDATE' }, ':month': { S: '2024-02' } },
      }),
    );
    expect(byIndex.Items?.map((item) => item.sk?.S)).toEqual(['VAL#2024-02-01']);
    expect(client.loopbackHosts.every((h) => h === '127.0.0.1')).toBe(true);
  });

  it('TransactWriteItems with a ClientRequestToken is idempotent and honours conditions', async () => {
    const transact = (token: string, status: string) =>
      new TransactWriteItemsCommand({
        ClientRequestToken: token,
        TransactItems: [
          {
            Put: {
              TableName: 'harness',
              Item: { pk: { S: 't1#RUN#r1' }, sk: { S: 'RUN' }, status: { S: status } },
            },
          },
          {
            Update: {
              TableName: 'harness',
              Key: { pk: { S: 't1#RUN#r1' }, sk: { S: 'COUNTER' } },
              UpdateExpression: 'ADD writes :one',
              ExpressionAttributeValues: { ':one': { N: '1' } },
            },
          },
        ],
      });
    await client.send(transact('token-0001', 'running'));
    // Same token and same parameters within the idempotency window: accepted, but not applied a second time.
    await client.send(transact('token-0001', 'running'));
    const counter = await client.send(
      new GetItemCommand({ TableName: 'harness', Key: { pk: { S: 't1#RUN#r1' }, sk: { S: 'COUNTER' } } }),
    );
    expect(counter.Item?.writes?.N).toBe('1'); // 1 application, not 2
    // Same token with different parameters is refused.
    await expect(client.send(transact('token-0001', 'done'))).rejects.toMatchObject({
      name: 'IdempotentParameterMismatchException',
    });
    // A failed condition cancels the whole transaction.
    await expect(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: 'harness',
                Item: { pk: { S: 't1#RUN#r1' }, sk: { S: 'RUN' }, status: { S: 'done' } },
                ConditionExpression: '#s = :expected',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':expected': { S: 'queued' } },
              },
            },
            {
              Update: {
                TableName: 'harness',
                Key: { pk: { S: 't1#RUN#r1' }, sk: { S: 'COUNTER' } },
                UpdateExpression: 'ADD writes :one',
                ExpressionAttributeValues: { ':one': { N: '1' } },
              },
            },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    const after = await client.send(
      new GetItemCommand({ TableName: 'harness', Key: { pk: { S: 't1#RUN#r1' }, sk: { S: 'COUNTER' } } }),
    );
    expect(after.Item?.writes?.N).toBe('1');
  });
});

describe('fault proxy in front of DynamoDB Local', () => {
  const puts = (from: number, count: number): WriteRequest[] =>
    Array.from({ length: count }, (_, i) => ({
      PutRequest: { Item: { pk: { S: 't1#BATCH' }, sk: { S: `ITEM#${String(from + i).padStart(3, '0')}` } } },
    }));

  it('BatchWriteItem: withheld items come back as UnprocessedItems and are only written on retry', async () => {
    const proxy = await startFaultProxy(ddb.endpoint, [{ kind: 'unprocessed', count: 10 }]);
    const viaProxy = guardLoopback(
      new DynamoDBClient({ endpoint: proxy.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS }),
    );
    try {
      const first = await viaProxy.send(new BatchWriteItemCommand({ RequestItems: { harness: puts(0, 25) } }));
      const unprocessed = first.UnprocessedItems?.harness ?? [];
      // 25 sent, the last 10 withheld: ITEM#015 .. ITEM#024
      expect(unprocessed.map((w) => w.PutRequest?.Item?.sk?.S)).toEqual(
        Array.from({ length: 10 }, (_, i) => `ITEM#${String(15 + i).padStart(3, '0')}`),
      );
      const countItems = async () =>
        (
          await client.send(
            new QueryCommand({
              TableName: 'harness',
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': { S: 't1#BATCH' } },
              Select: 'COUNT',
            }),
          )
        ).Count;
      expect(await countItems()).toBe(15); // 25 - 10 really written
      const retry = await viaProxy.send(new BatchWriteItemCommand({ RequestItems: { harness: unprocessed } }));
      expect(retry.UnprocessedItems).toEqual({});
      expect(await countItems()).toBe(25);
      // the counting queries went straight to DynamoDB Local, so the proxy saw only the two batches
      expect(proxy.requests).toEqual([
        { operation: 'BatchWriteItem', fault: 'unprocessed', withheld: 10 },
        { operation: 'BatchWriteItem' },
      ]);
    } finally {
      viaProxy.destroy();
      await proxy.stop();
    }
  });

  it('throttling errors surface with maxAttempts 1 and are retried by the SDK otherwise', async () => {
    const proxy = await startFaultProxy(ddb.endpoint, [
      { kind: 'throttling', operation: 'PutItem' },
      { kind: 'provisioned-throughput-exceeded', operation: 'PutItem' },
    ]);
    const noRetry = new DynamoDBClient({
      endpoint: proxy.endpoint,
      region: TEST_REGION,
      credentials: TEST_CREDENTIALS,
      maxAttempts: 1,
    });
    const withRetry = new DynamoDBClient({
      endpoint: proxy.endpoint,
      region: TEST_REGION,
      credentials: TEST_CREDENTIALS,
      maxAttempts: 3,
    });
    const put = new PutItemCommand({ TableName: 'harness', Item: { pk: { S: 't1#THROTTLE' }, sk: { S: 'A' } } });
    try {
      await expect(noRetry.send(put)).rejects.toMatchObject({ name: 'ThrottlingException' });
      const result = await withRetry.send(put); // 1st attempt: ProvisionedThroughputExceeded, 2nd: forwarded
      expect(result.$metadata.attempts).toBe(2);
      expect(proxy.requests.map((r) => r.fault ?? 'forwarded')).toEqual([
        'throttling',
        'provisioned-throughput-exceeded',
        'forwarded',
      ]);
      expect(proxy.pending()).toBe(0);
      const item = await client.send(
        new GetItemCommand({ TableName: 'harness', Key: { pk: { S: 't1#THROTTLE' }, sk: { S: 'A' } } }),
      );
      expect(item.Item?.sk?.S).toBe('A');
    } finally {
      noRetry.destroy();
      withRetry.destroy();
      await proxy.stop();
    }
  });
});

describe('DynamoDB Local lifecycle', () => {
  it('stop() ends java and its watchdog (no process left in the group) and is idempotent', async () => {
    const group = ddb.processGroup;
    expect(() => process.kill(-group, 0)).not.toThrow(); // signal 0 = existence check
    await ddb.stop();
    expect(() => process.kill(-group, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    await expect(ddb.stop()).resolves.toBeUndefined();
  });
});
