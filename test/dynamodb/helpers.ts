/** DynamoDB targets for tests: loopback only (asserted), dummy credentials, every client guarded. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { assertLoopbackEndpoint, guardLoopback, TEST_CREDENTIALS, TEST_REGION } from '../servers/index.js';
import { openDynamo, type DynamoTarget } from '../../src/storage/dynamodb/client.js';

export function testClient(endpoint: string, opts: { maxAttempts?: number } = {}): DynamoDBClient & { loopbackHosts: string[] } {
  return guardLoopback(
    new DynamoDBClient({
      endpoint: assertLoopbackEndpoint(endpoint, 'DynamoDB endpoint'),
      region: TEST_REGION,
      credentials: { ...TEST_CREDENTIALS },
      ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
    }),
  );
}

export function testTarget(endpoint: string, table: string, tenant = 'default', opts: { maxAttempts?: number } = {}): DynamoTarget {
  const client = testClient(endpoint, opts);
  const t = openDynamo({ client, table, tenant });
  return { ...t, close: () => client.destroy() };
}

/** Environment for code that builds its own client from the standard chain (run(), the binary). */
export function testEnv(endpoint: string): NodeJS.ProcessEnv {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: assertLoopbackEndpoint(endpoint, 'AWS_ENDPOINT_URL_DYNAMODB'),
    AWS_REGION: TEST_REGION,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_PROFILE: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}
