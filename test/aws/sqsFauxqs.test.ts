import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateQueueCommand,
  SendMessageCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { useFauxqs } from '../servers/vitestHooks.js';
import { TEST_CREDENTIALS, TEST_REGION } from '../servers/awsTestConfig.js';
import { assertLoopbackEndpoint, guardLoopback } from '../servers/loopbackGuard.js';

const sqsServer = useFauxqs(); // started in beforeAll, stopped in afterAll
let sqs: SQSClient & { loopbackHosts: string[] };

beforeAll(() => {
  sqs = guardLoopback(
    new SQSClient({
      endpoint: assertLoopbackEndpoint(sqsServer().endpoint),
      region: TEST_REGION,
      credentials: TEST_CREDENTIALS,
    }),
  );
});

afterAll(() => {
  sqs?.destroy();
});

describe('fauxqs SQS emulator', () => {
  it('creates a queue, sends, receives and deletes a batch of messages', async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'perfcalc-jobs', Attributes: { VisibilityTimeout: '30' } }),
    );
    expect(QueueUrl).toMatch(/\/000000000000\/perfcalc-jobs$/);
    const bodies = ['{"portfolio":"PF1"}', '{"portfolio":"PF2"}', '{"portfolio":"PF3"}'];
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: bodies.map((MessageBody, i) => ({ Id: `m${i}`, MessageBody })),
      }),
    );
    expect(sent.Successful?.map((s) => s.Id).sort()).toEqual(['m0', 'm1', 'm2']);
    expect(sent.Failed ?? []).toEqual([]);

    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const messages = received.Messages ?? [];
    expect(messages.map((m) => m.Body).sort()).toEqual(bodies);

    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
    expect(deleted.Successful?.length).toBe(3);
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(attrs.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
    // every request went to the explicit loopback endpoint, never to the queue URL's sqs.*.localhost host
    expect(new Set(sqs.loopbackHosts)).toEqual(new Set(['127.0.0.1']));
  });
});

describe('@aws-sdk/client-sqs endpoint selection against fauxqs', () => {
  /** Runs `fn` with only AWS_ENDPOINT_URL_SQS pointing at fauxqs (no explicit endpoint in the client config). */
  async function withSqsEndpointEnv<T>(fn: () => Promise<T>): Promise<T> {
    const saved = process.env.AWS_ENDPOINT_URL_SQS;
    process.env.AWS_ENDPOINT_URL_SQS = assertLoopbackEndpoint(sqsServer().endpoint);
    try {
      return await fn();
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SQS;
      else process.env.AWS_ENDPOINT_URL_SQS = saved;
    }
  }

  it('with only AWS_ENDPOINT_URL_SQS the client sends to the queue URL host (sqs.us-east-1.localhost), not the endpoint', async () => {
    await withSqsEndpointEnv(async () => {
      const onlyIp = (host: string) => host === '127.0.0.1'; // keep the *.localhost name off the resolver
      const envClient = guardLoopback(new SQSClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS }), {
        allow: onlyIp,
      });
      const warnings: string[] = [];
      const warn = console.warn;
      console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
      try {
        const { QueueUrl } = await envClient.send(new CreateQueueCommand({ QueueName: 'env-mode' }));
        const port = sqsServer().port;
        expect(QueueUrl).toBe(`http://sqs.us-east-1.localhost:${port}/000000000000/env-mode`);
        await expect(envClient.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }))).rejects.toMatchObject({
          name: 'LoopbackGuardError',
          message: 'blocked a request to sqs.us-east-1.localhost/: not an allowed loopback host',
        });
        expect(warnings.some((w) => w.includes('using QueueUrl host as endpoint'))).toBe(true);
      } finally {
        console.warn = warn;
        envClient.destroy();
      }
      // The fix for env-configured clients: useQueueUrlAsEndpoint: false keeps requests on the configured endpoint.
      const fixed = guardLoopback(
        new SQSClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS, useQueueUrlAsEndpoint: false }),
        { allow: onlyIp },
      );
      try {
        const { QueueUrl } = await fixed.send(new CreateQueueCommand({ QueueName: 'env-mode' }));
        const sent = await fixed.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' }));
        expect(sent.MessageId).toMatch(/\S/);
        expect(new Set(fixed.loopbackHosts)).toEqual(new Set(['127.0.0.1']));
      } finally {
        fixed.destroy();
      }
    });
  });
});
