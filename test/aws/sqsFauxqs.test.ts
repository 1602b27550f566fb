import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateQueueCommand,
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
