import { CachedConnectionStore } from '../adapters/cache/cached-connection-store';
import { DynamoDbConnectionStore } from '../adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbConversationStore } from '../adapters/dynamodb/dynamodb-conversation-store';
import { DynamoDbMessageLog } from '../adapters/dynamodb/dynamodb-message-log';
import { DynamoDbRelationshipStore } from '../adapters/dynamodb/dynamodb-relationship-store';
import type { CheckConnectionDeps } from '../chat/connection/check-connection';
import type { DeliverJobDeps } from '../chat/push/deliver-job';
import { notifier } from './apigateway';
import { clock, sleep } from './client-options';
import { mainTable } from './dynamodb';
import { liveness } from './liveness';
import { fanoutDeadLetters, fanoutQueue, pushQueue } from './sqs';

/** Users whose connections one sender environment keeps at most (a few hundred bytes each). */
const MAX_CACHED_USERS = 10_000;

/**
 * The fan-out queue's consumer: reads who to reach and posts to their connections, checks connections, and
 * parks what it gives up on in the dead-letter queue.
 */
export function buildSenderDeps(): DeliverJobDeps &
  CheckConnectionDeps &
  ReturnType<typeof fanoutDeadLetters> {
  const { client, tableName } = mainTable();
  return {
    connections: new CachedConnectionStore(new DynamoDbConnectionStore(client, tableName), MAX_CACHED_USERS),
    conversations: new DynamoDbConversationStore(client, tableName),
    messages: new DynamoDbMessageLog(client, tableName),
    relationships: new DynamoDbRelationshipStore(client, tableName),
    notifier: notifier(),
    fanout: fanoutQueue(),
    pushes: pushQueue(),
    liveness: liveness(),
    clock,
    sleep,
    ...fanoutDeadLetters(),
  };
}
