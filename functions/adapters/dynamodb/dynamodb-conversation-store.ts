import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Conversation, ConversationStore } from '../../ports/conversation-store';
import { isConditionFailed, keys } from './keys';
import { queryAll } from './query-all';

export class DynamoDbConversationStore implements ConversationStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async isMember(conversationId: string, userId: string): Promise<boolean> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.member(conversationId, userId),
        ConsistentRead: true,
        ProjectionExpression: 'pk',
      }),
    );
    return Item !== undefined;
  }

  /**
   * Writes the conversation, then its memberships. Both steps are idempotent,
   * so a creation cut off between them is completed by the next call.
   */
  async createIfAbsent(conversation: Conversation): Promise<Conversation> {
    const stored = await this.putMetaIfAbsent(conversation);
    await this.client.send(
      new BatchWriteCommand({
        RequestItems: {
          [this.tableName]: stored.memberIds.map((userId) => ({
            PutRequest: {
              Item: {
                ...keys.member(stored.conversationId, userId),
                ...keys.memberIndex(stored.conversationId, userId),
                conversationId: stored.conversationId,
                userId,
                joinedAt: stored.createdAt,
              },
            },
          })),
        },
      }),
    );
    return stored;
  }

  async listMemberIds(conversationId: string): Promise<string[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': keys.conversationPk(conversationId),
        ':prefix': keys.memberPrefix,
      },
      ProjectionExpression: 'userId',
      ConsistentRead: true,
    });
    return items.map((item) => String(item.userId));
  }

  private async putMetaIfAbsent(conversation: Conversation): Promise<Conversation> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.conversation(conversation.conversationId),
            conversationId: conversation.conversationId,
            kind: conversation.kind,
            memberIds: [...conversation.memberIds],
            createdAt: conversation.createdAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return conversation;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const { Item } = await this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.conversation(conversation.conversationId),
          ConsistentRead: true,
        }),
      );
      if (!Item) throw error;
      return {
        conversationId: String(Item.conversationId),
        kind: Item.kind as Conversation['kind'],
        memberIds: (Item.memberIds as string[]) ?? [],
        createdAt: Number(Item.createdAt),
      };
    }
  }
}
