import { createServer, type Server } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocal } from '../servers/dynamoDbLocal.js';
import { findFreeLoopbackPort } from '../servers/freePort.js';

let squatter: Server | undefined;
let ddb: DynamoDbLocal | undefined;

afterAll(async () => {
  await ddb?.stop();
  await new Promise<void>((resolve) => (squatter ? squatter.close(() => resolve()) : resolve()));
});

it('retries on a new port when the chosen one is already taken (java fails with BindException)', async () => {
  // Our own listener on a port, closing every connection at once so the readiness probe fails fast.
  squatter = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => squatter!.listen({ port: 0, host: '127.0.0.1' }, resolve));
  const taken = (squatter.address() as { port: number }).port;
  const offered: number[] = [];
  ddb = await startDynamoDbLocal({
    pickPort: async () => {
      const port = offered.length === 0 ? taken : await findFreeLoopbackPort();
      offered.push(port);
      return port;
    },
  });
  expect(offered[0]).toBe(taken);
  expect(ddb.startAttempts).toBe(2);
  expect(ddb.port).toBe(offered[1]);
  expect(ddb.port).not.toBe(taken);
});
