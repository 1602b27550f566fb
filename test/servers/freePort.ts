import { createServer } from 'node:net';

/**
 * Asks the OS for a currently free TCP port on 127.0.0.1 by binding a throwaway server to port 0 and closing it.
 * The port can be taken by someone else before the caller binds it; callers that cannot bind port 0 themselves
 * (DynamoDB Local rejects `-port 0`) must retry on an address-in-use failure.
 */
export function findFreeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the bound port'));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
