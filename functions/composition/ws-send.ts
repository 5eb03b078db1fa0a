import { DynamoDbConversationStore } from '../adapters/dynamodb/dynamodb-conversation-store';
import { DynamoDbMessageLog } from '../adapters/dynamodb/dynamodb-message-log';
import { DynamoDbProfileStore } from '../adapters/dynamodb/dynamodb-profile-store';
import { DynamoDbRelationshipStore } from '../adapters/dynamodb/dynamodb-relationship-store';
import type { SendMessageDeps } from '../chat/message/send-message';
import { clock } from './client-options';
import { mainTable, rateLimiter } from './dynamodb';
import { fanoutQueue } from './sqs';

/** `send` over the WebSocket: the table's stores and the fan-out queue. */
export function buildSendDeps(): SendMessageDeps {
  const { client, tableName } = mainTable();
  return {
    conversations: new DynamoDbConversationStore(client, tableName),
    messages: new DynamoDbMessageLog(client, tableName),
    profiles: new DynamoDbProfileStore(client, tableName),
    relationships: new DynamoDbRelationshipStore(client, tableName),
    fanout: fanoutQueue(),
    rateLimiter: rateLimiter(),
    clock,
  };
}
