import { DynamoDbAttachmentStore } from '../adapters/dynamodb/dynamodb-attachment-store';
import { DynamoDbConversationStore } from '../adapters/dynamodb/dynamodb-conversation-store';
import { DynamoDbMessageLog } from '../adapters/dynamodb/dynamodb-message-log';
import { DynamoDbProfileStore } from '../adapters/dynamodb/dynamodb-profile-store';
import { DynamoDbRelationshipStore } from '../adapters/dynamodb/dynamodb-relationship-store';
import type { ConversationsDeps } from '../chat/conversation/conversations';
import type { DeleteMessageDeps } from '../chat/message/delete-message';
import type { SendMessageDeps } from '../chat/message/send-message';
import type { AdvanceReceiptsDeps } from '../chat/receipt/advance-receipts';
import type { HttpHandlerDeps } from '../edge/http-handler';
import { clock } from './client-options';
import { mainTable, rateLimiter, sessionMarks } from './dynamodb';
import { caps } from './limits';
import { fanoutQueue } from './sqs';

/** Conversations, sending, deleting and receipts. */
export function buildChatDeps(): ConversationsDeps &
  Omit<SendMessageDeps, 'metrics'> &
  DeleteMessageDeps &
  AdvanceReceiptsDeps &
  HttpHandlerDeps {
  const { client, tableName } = mainTable();
  return {
    attachments: new DynamoDbAttachmentStore(client, tableName),
    conversations: new DynamoDbConversationStore(client, tableName),
    messages: new DynamoDbMessageLog(client, tableName),
    profiles: new DynamoDbProfileStore(client, tableName),
    relationships: new DynamoDbRelationshipStore(client, tableName),
    fanout: fanoutQueue(),
    rateLimiter: rateLimiter(),
    sessions: sessionMarks(),
    caps: caps(),
    clock,
  };
}
