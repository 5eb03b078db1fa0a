import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsDeadLetterQueue } from '../adapters/sqs/sqs-dead-letter-queue';
import { SqsFanoutQueue } from '../adapters/sqs/sqs-fanout-queue';
import { SqsPushQueue } from '../adapters/sqs/sqs-push-queue';
import { Env, loadConfig } from '../config';
import { clientOptions } from './client-options';

let client: SQSClient | undefined;

/** One SQS client per execution environment, whichever queues it writes to. */
function sqsClient(endpoint: string | undefined): SQSClient {
  client ??= new SQSClient(clientOptions(endpoint));
  return client;
}

/** The fan-out queue, its URL taken from the stack. */
export function fanoutQueue(): SqsFanoutQueue {
  const config = loadConfig([Env.FanoutQueueUrl, Env.SqsEndpoint]);
  return new SqsFanoutQueue(sqsClient(config.SQS_ENDPOINT), config.FANOUT_QUEUE_URL);
}

/** The fan-out queue's dead-letter queue, and the receive count at which SQS would move a job there. */
export function fanoutDeadLetters(): { deadLetters: SqsDeadLetterQueue; maxReceiveCount: number } {
  const config = loadConfig([Env.FanoutDeadLetterQueueUrl, Env.FanoutMaxReceiveCount, Env.SqsEndpoint]);
  return {
    deadLetters: new SqsDeadLetterQueue(sqsClient(config.SQS_ENDPOINT), config.FANOUT_DEAD_LETTER_QUEUE_URL),
    maxReceiveCount: config.FANOUT_MAX_RECEIVE_COUNT,
  };
}

/** The Web Push queue, its URL taken from the stack. */
export function pushQueue(): SqsPushQueue {
  const config = loadConfig([Env.PushQueueUrl, Env.SqsEndpoint]);
  return new SqsPushQueue(sqsClient(config.SQS_ENDPOINT), config.PUSH_QUEUE_URL);
}
