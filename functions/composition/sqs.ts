import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsFanoutQueue } from '../adapters/sqs/sqs-fanout-queue';
import { Env, loadConfig } from '../config';
import { clientOptions } from './client-options';

/** The fan-out queue, its URL taken from the stack. */
export function fanoutQueue(): SqsFanoutQueue {
  const config = loadConfig([Env.FanoutQueueUrl, Env.SqsEndpoint]);
  return new SqsFanoutQueue(new SQSClient(clientOptions(config.SQS_ENDPOINT)), config.FANOUT_QUEUE_URL);
}
