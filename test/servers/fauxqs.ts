import type { AddressInfo } from 'node:net';
import { buildApp } from 'fauxqs';

export interface FauxqsServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts the fauxqs SQS emulator in-process on a free 127.0.0.1 port (JSON protocol, any credentials accepted,
 * state in memory). fauxqs's own `startFauxqs()` listens on 0.0.0.0, so this builds its Fastify app with
 * `buildApp()` (documented in its README) and binds loopback only. Queue URLs it returns look like
 * `http://sqs.us-east-1.localhost:<port>/000000000000/<name>`; clients must set an explicit `endpoint`
 * (then @aws-sdk/client-sqs sends to the endpoint, not to the queue URL's host).
 */
export async function startFauxqs(): Promise<FauxqsServer> {
  const app = buildApp({ logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () => (stopped ??= app.close().then(() => undefined)),
  };
}
