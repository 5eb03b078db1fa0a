import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type FriendState, FriendStateSchema, type Page } from '../../../shared/protocol/resources';
import * as z from '../../../shared/zod';
import { decodeCursor, encodeCursor } from '../../cursor';
import type { BlockEdge, FriendEdge, Relation, RelationshipStore } from '../../ports/relationship-store';
import { batchGetAll, batchWriteAll, type Item } from './batch';
import {
  addFriendPlace,
  countFriendEdges,
  deleteFriendEdge,
  giveFriendPlace,
  isCounted,
  takeFriendPlaces,
} from './friend-count';
import { keys } from './keys';
import { queryAll } from './query-all';

/**
 * Friend edges and blocks as items under each user. The two sides of a
 * friendship are written at once, not atomically: every write puts or
 * deletes whole edges, so repeating a cut-off call completes it. Each
 * user's edges are counted as `friend-count.ts` describes.
 */
export class DynamoDbRelationshipStore implements RelationshipStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async relation(userId: string, otherId: string): Promise<Relation> {
    const friendKey = keys.friend(userId, otherId);
    const blocksKey = keys.block(userId, otherId);
    const blockedByKey = keys.block(otherId, userId);
    const items = await batchGetAll(this.client, this.tableName, [friendKey, blocksKey, blockedByKey], {
      consistentRead: true,
    });
    const has = (key: { pk: string; sk: string }) =>
      items.find((item) => item.pk === key.pk && item.sk === key.sk);
    const friend = has(friendKey);
    return {
      ...(friend ? { friend: toFriendEdge(friend) } : {}),
      blocks: has(blocksKey) !== undefined,
      blockedBy: has(blockedByKey) !== undefined,
    };
  }

  /**
   * Reads both edges first: one the count holds already takes no new place (a request accepted, a repeat).
   * The places of the others are taken (refused at the cap before anything is written), then both edges
   * are put, each returning the one it replaced, which settles the count exactly when a racing write of
   * the same edge came in between.
   */
  async putFriendPair(first: FriendEdge, second: FriendEdge, limit?: number): Promise<void> {
    const edges = [first, second];
    const stored = await batchGetAll(
      this.client,
      this.tableName,
      edges.map((edge) => keys.friend(edge.userId, edge.otherId)),
      { consistentRead: true },
    );
    const storedEdge = (edge: FriendEdge) => {
      const key = keys.friend(edge.userId, edge.otherId);
      return stored.find((item) => item.pk === key.pk && item.sk === key.sk);
    };
    const newcomers = edges.filter((edge) => !isCounted(storedEdge(edge)));
    await takeFriendPlaces(
      this.client,
      this.tableName,
      newcomers.map((edge) => edge.userId),
      limit,
    );
    await Promise.all(
      edges.map(async (edge) => {
        const { Attributes } = await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...keys.friend(edge.userId, edge.otherId),
              userId: edge.userId,
              otherId: edge.otherId,
              state: edge.state,
              since: edge.since,
              counted: true,
            },
            ReturnValues: 'ALL_OLD',
          }),
        );
        const placeTaken = newcomers.includes(edge);
        const wasCounted = isCounted(Attributes);
        // A racing write of the same edge counted it first: this place is one too many.
        if (placeTaken && wasCounted) await giveFriendPlace(this.client, this.tableName, edge.userId);
        // The counted edge read above was deleted (and counted down) before this put wrote it again.
        if (!placeTaken && !wasCounted) await addFriendPlace(this.client, this.tableName, edge.userId);
      }),
    );
  }

  async deleteFriendPair(userId: string, otherId: string): Promise<void> {
    await Promise.all([
      deleteFriendEdge(this.client, this.tableName, userId, otherId),
      deleteFriendEdge(this.client, this.tableName, otherId, userId),
    ]);
  }

  async countFriendsOf(userId: string): Promise<number> {
    return countFriendEdges(this.client, this.tableName, userId);
  }

  async listFriends(userId: string, limit: number, cursor?: string): Promise<Page<FriendEdge>> {
    const page = await this.page(userId, keys.friendPrefix, limit, cursor);
    return { ...page, items: page.items.map(toFriendEdge) };
  }

  async listFriendIds(userId: string): Promise<string[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#state = :friend',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':pk': keys.userPk(userId),
        ':prefix': keys.friendPrefix,
        ':friend': 'friend' satisfies FriendState,
      },
      ProjectionExpression: 'otherId',
    });
    return items.map((item) => String(item.otherId));
  }

  /** Both sides in one BatchWriteItem, not atomically: a repeated block completes a cut-off one. */
  async block(edge: BlockEdge): Promise<void> {
    const fields = { userId: edge.userId, blockedId: edge.blockedId, since: edge.since };
    await batchWriteAll(this.client, this.tableName, [
      { PutRequest: { Item: { ...keys.block(edge.userId, edge.blockedId), ...fields } } },
      { PutRequest: { Item: { ...keys.blockedBy(edge.blockedId, edge.userId), ...fields } } },
    ]);
  }

  async unblock(userId: string, blockedId: string): Promise<void> {
    await batchWriteAll(this.client, this.tableName, [
      { DeleteRequest: { Key: keys.block(userId, blockedId) } },
      { DeleteRequest: { Key: keys.blockedBy(blockedId, userId) } },
    ]);
  }

  async blockedEitherWayOf(userId: string): Promise<Set<string>> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.userPk(userId), ':prefix': keys.eitherWayBlockPrefix },
      ProjectionExpression: 'userId, blockedId',
    });
    return new Set(
      items.map((item) => (item.userId === userId ? String(item.blockedId) : String(item.userId))),
    );
  }

  async listBlocks(userId: string, limit: number, cursor?: string): Promise<Page<BlockEdge>> {
    const page = await this.page(userId, keys.blockPrefix, limit, cursor);
    return { ...page, items: page.items.map(toBlockEdge) };
  }

  async blockedEitherWay(userId: string, otherIds: readonly string[]): Promise<Set<string>> {
    const items = await batchGetAll(
      this.client,
      this.tableName,
      otherIds.flatMap((otherId) => [keys.block(userId, otherId), keys.block(otherId, userId)]),
    );
    return new Set(
      items.map((item) => (item.userId === userId ? String(item.blockedId) : String(item.userId))),
    );
  }

  private async page(userId: string, prefix: string, limit: number, cursor?: string): Promise<Page<Item>> {
    const pk = keys.userPk(userId);
    const startKey =
      cursor === undefined
        ? undefined
        : decodeCursor(
            cursor,
            z.strictObject({ pk: z.literal(pk), sk: z.string().check(z.startsWith(prefix)) }),
          );
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
        Limit: limit,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    return { items: Items, ...(LastEvaluatedKey ? { next: encodeCursor(LastEvaluatedKey) } : {}) };
  }
}

function toFriendEdge(item: Item): FriendEdge {
  return {
    userId: String(item.userId),
    otherId: String(item.otherId),
    state: FriendStateSchema.parse(item.state),
    since: Number(item.since),
  };
}

function toBlockEdge(item: Item): BlockEdge {
  return { userId: String(item.userId), blockedId: String(item.blockedId), since: Number(item.since) };
}
