import { afterAll, beforeAll } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamoDbLocal.js';
import { startFauxqs, type FauxqsServer } from './fauxqs.js';
import { startTimestreamServer, type TimestreamServer, type TimestreamServerOptions } from './timestreamServer.js';

/*
 * One server per test file: call at the top level of a test file (or inside a describe). The server starts in
 * beforeAll and is stopped in afterAll, which vitest runs even when tests fail; the returned getter throws if used
 * before beforeAll has run.
 */

function useServer<T extends { stop(): Promise<void> }>(start: () => Promise<T>, label: string): () => T {
  let server: T | undefined;
  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => {
    await server?.stop();
    server = undefined;
  });
  return () => {
    if (server === undefined) throw new Error(`${label} is not running (use it inside tests or hooks)`);
    return server;
  };
}

export const useDynamoDbLocal = (): (() => DynamoDbLocal) => useServer(() => startDynamoDbLocal(), 'DynamoDB Local');
export const useFauxqs = (): (() => FauxqsServer) => useServer(() => startFauxqs(), 'fauxqs');
export const useTimestreamServer = (options?: TimestreamServerOptions): (() => TimestreamServer) =>
  useServer(() => startTimestreamServer(options), 'Timestream server');
