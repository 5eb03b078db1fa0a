import { DynamoDbAttachmentStore } from '../adapters/dynamodb/dynamodb-attachment-store';
import { DynamoDbConnectionStore } from '../adapters/dynamodb/dynamodb-connection-store';
import { DynamoDbConversationStore } from '../adapters/dynamodb/dynamodb-conversation-store';
import { DynamoDbMessageLog } from '../adapters/dynamodb/dynamodb-message-log';
import { DynamoDbRelationshipStore } from '../adapters/dynamodb/dynamodb-relationship-store';
import type { DeleteMessageDeps } from '../chat/message/delete-message';
import type { RelayTypingDeps } from '../chat/presence/relay-typing';
import type { AdvanceReceiptsDeps } from '../chat/receipt/advance-receipts';
import { notifier } from './apigateway';
import { clock } from './client-options';
import { mainTable, rateLimiter } from './dynamodb';
import { fanoutQueue } from './sqs';

/** `delete`, `receipt` and `typing`: typing is posted to connections at once, the rest fan out. */
export function buildActionDeps(): DeleteMessageDeps & AdvanceReceiptsDeps & RelayTypingDeps {
  const { client, tableName } = mainTable();
  return {
    connections: new DynamoDbConnectionStore(client, tableName),
    attachments: new DynamoDbAttachmentStore(client, tableName),
    conversations: new DynamoDbConversationStore(client, tableName),
    messages: new DynamoDbMessageLog(client, tableName),
    relationships: new DynamoDbRelationshipStore(client, tableName),
    fanout: fanoutQueue(),
    rateLimiter: rateLimiter(),
    notifier: notifier(),
    clock,
  };
}
