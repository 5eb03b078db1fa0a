import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { DynamoDbConnectionStore } from '../adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbConversationStore } from '../adapters/dynamodb/dynamodb-conversation-store';
import { DynamoDbDeviceDirectory } from '../adapters/dynamodb/dynamodb-device-directory';
import { DynamoDbProfileStore } from '../adapters/dynamodb/dynamodb-profile-store';
import { readVapidKeys } from '../adapters/ssm/ssm-vapid-keys';
import { WebPushService } from '../adapters/webpush/web-push-service';
import type { SendPushesDeps } from '../chat/webpush/send-pushes';
import { pushTopicOf } from '../chat/webpush/topic';
import { ConfigError, Env, loadConfig } from '../config';
import { clientOptions, clock } from './client-options';
import { mainTable } from './dynamodb';
import { pushQueue } from './sqs';

/** The push queue's consumer: reads subscriptions and settings, signs and sends the pushes. */
export function buildPushSenderDeps(): SendPushesDeps {
  const config = loadConfig([
    Env.VapidParameterName,
    Env.VapidSubject,
    Env.SsmEndpoint,
    Env.PushServiceCaFile,
  ]);
  const { client, tableName } = mainTable();
  // Lambda sets the region, as does the local stack.
  const region = process.env.AWS_REGION;
  if (!region) throw new ConfigError('Environment variable AWS_REGION is not set');
  // Local stage only: the push-service stand-in's own certificate.
  const agent = config.PUSH_SERVICE_CA_FILE
    ? new Agent({ ca: readFileSync(config.PUSH_SERVICE_CA_FILE), keepAlive: true })
    : new Agent({ keepAlive: true });
  return {
    conversations: new DynamoDbConversationStore(client, tableName),
    devices: new DynamoDbDeviceDirectory(client, tableName),
    connections: new DynamoDbConnectionStore(client, tableName),
    profiles: new DynamoDbProfileStore(client, tableName),
    pushService: new WebPushService(
      () => readVapidKeys(config.VAPID_PARAMETER_NAME, { region, ...clientOptions(config.SSM_ENDPOINT) }),
      config.VAPID_SUBJECT,
      agent,
    ),
    pushes: pushQueue(),
    topicOf: pushTopicOf,
    clock,
  };
}
