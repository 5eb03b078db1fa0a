import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { QUEUES, type QueueDefinition, type QueueName } from '../topology';
import { LOCAL_CREDENTIALS, LOCAL_HOST } from './listen';
import { type Meter, targetOperation } from './meter';
import type { Trace } from './trace';

export interface LocalQueue {
  readonly url: string;
  readonly arn: string;
  readonly deadLetterUrl: string;
  readonly deadLetterArn: string;
  readonly definition: QueueDefinition;
}

export interface LocalSqs<Q extends string = QueueName> {
  readonly endpoint: string;
  readonly queues: Record<Q, LocalQueue>;
  stop(): Promise<void>;
}

/**
 * SQS stand-in: fauxqs, in process (its S3 is the S3 stand-in, see s3.ts). Its own CLI binds every interface, so the
 * app is built here and bound to loopback. Queues live in memory: messages in
 * flight when the local stack stops are dropped.
 */
export async function startSqs<Q extends string = QueueName>(options: {
  port: number;
  region: string;
  /** @default the topology's queues */
  queues?: Record<Q, QueueDefinition>;
  meter?: Meter;
  trace?: Trace;
  /** Adds to the app before it listens (fauxqs serves S3 too: see `mirrorS3ToDisk`). */
  configure?: (app: ReturnType<typeof buildApp>) => void;
}): Promise<LocalSqs<Q>> {
  const app = buildApp({ logger: false, defaultRegion: options.region });
  options.configure?.(app);
  await app.listen({ host: LOCAL_HOST, port: options.port });
  app.server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    // SQS speaks the JSON protocol (X-Amz-Target); everything else on this endpoint is S3.
    const target = request.headers['x-amz-target'];
    if (!target) {
      options.meter?.count('s3', request.method ?? 'unknown');
      options.trace?.request('s3', request.method ?? 'unknown', request, response);
      return;
    }
    const operation = targetOperation(target);
    options.meter?.count('sqs', operation);
    options.trace?.request('sqs', operation, request, response);
    // Billed by 64 KB chunk of payload; the request's length is the payload and a little JSON around it.
    if (operation === 'SendMessage' || operation === 'SendMessageBatch')
      options.meter?.sqs('send', Number(request.headers['content-length'] ?? 0));
    if (operation === 'DeleteMessage' || operation === 'DeleteMessageBatch') options.meter?.sqs('delete');
  });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const endpoint = `http://${LOCAL_HOST}:${port}`;
  const client = new SQSClient({ endpoint, region: options.region, credentials: LOCAL_CREDENTIALS });
  const queues = {} as Record<Q, LocalQueue>;
  const definitions = options.queues ?? (QUEUES as unknown as Record<Q, QueueDefinition>);
  try {
    for (const [name, definition] of Object.entries(definitions) as [Q, QueueDefinition][]) {
      queues[name] = await ensureQueue(client, name, definition);
    }
  } finally {
    client.destroy();
  }
  return { endpoint, queues, stop: () => app.close() };
}

async function ensureQueue(
  client: SQSClient,
  name: string,
  definition: QueueDefinition,
): Promise<LocalQueue> {
  const deadLetter = await client.send(
    new CreateQueueCommand({
      QueueName: `${name}-dlq`,
      Attributes: { MessageRetentionPeriod: String(definition.deadLetter.retentionPeriodSeconds) },
    }),
  );
  const deadLetterUrl = deadLetter.QueueUrl as string;
  const deadLetterArn = await arnOf(client, deadLetterUrl);
  const attributes = {
    VisibilityTimeout: String(definition.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(definition.retentionPeriodSeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: deadLetterArn,
      maxReceiveCount: definition.deadLetter.maxReceiveCount,
    }),
  };
  const created = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = created.QueueUrl as string;
  // CreateQueue on an existing queue keeps its old attributes: set them, so a topology change applies.
  await client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  return { url, arn: await arnOf(client, url), deadLetterUrl, deadLetterArn, definition };
}

async function arnOf(client: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes?.QueueArn as string;
}
