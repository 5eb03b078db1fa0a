import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountData, ErasedAccountData } from '../../ports/account-data';
import { batchWriteAll, type TableKey, type WriteRequest } from './batch';
import { releaseClaim } from './claims';
import { deleteFriendEdge } from './friend-count';
import { isConditionFailed, keys, ttlFromMs } from './keys';
import { queryAll } from './query-all';

/** Other users' sides of friend edges deleted at once (each a delete, and a count's update when it was held). */
const FRIEND_SIDES_AT_ONCE = 25;

/**
 * A user's own partitions (`USER#`, `RATE#`, `QUOTA#`) read key by key and deleted in batches of 25, with
 * the other side of each block item; the other side of each friend edge by a delete of its own, giving
 * its user's place back (see `friend-count.ts`); the claims by conditional writes that only touch a claim
 * still naming the user.
 */
export class DynamoDbAccountData implements AccountData {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async eraseOwnItems(
    userId: string,
    claims: { readonly email?: string; readonly username?: string; readonly usernameHeldUntil: number },
  ): Promise<ErasedAccountData> {
    const owned = (
      await Promise.all(
        [keys.userPk(userId), `RATE#${userId}`, `QUOTA#${userId}`].map((pk) => this.keysUnder(pk)),
      )
    ).flat();
    // The claims first: a retry after a failure below may find no profile to name them again.
    if (claims.email) await releaseClaim(this.client, this.tableName, keys.emailClaim(claims.email), userId);
    if (claims.username)
      await this.hold(keys.usernameClaim(claims.username), userId, claims.usernameHeldUntil);
    const presence = keys.presence(userId);
    const deletions: TableKey[] = [];
    const friendIds: string[] = [];
    for (const key of owned) {
      if (key.pk === presence.pk && key.sk === presence.sk) continue;
      deletions.push(key);
      if (key.sk.startsWith(keys.friendPrefix)) friendIds.push(key.sk.slice(keys.friendPrefix.length));
      const reverse = reverseOf(key.sk, userId);
      if (reverse) deletions.push(reverse);
    }
    const requests: WriteRequest[] = deletions.map((key) => ({ DeleteRequest: { Key: key } }));
    await batchWriteAll(this.client, this.tableName, requests);
    // The other user's side of a friend edge is deleted apart, so that their count gives its place back;
    // the user's own count goes with their `QUOTA#` items above.
    for (let start = 0; start < friendIds.length; start += FRIEND_SIDES_AT_ONCE) {
      await Promise.all(
        friendIds
          .slice(start, start + FRIEND_SIDES_AT_ONCE)
          .map((otherId) => deleteFriendEdge(this.client, this.tableName, otherId, userId)),
      );
    }
    return { deletedItems: deletions.length + friendIds.length };
  }

  private async keysUnder(pk: string): Promise<TableKey[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ProjectionExpression: 'pk, sk',
      ConsistentRead: true,
    });
    return items.map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
  }

  /** The claim stays, naming nobody, until DynamoDB's TTL deletes it after `until`. */
  private async hold(key: TableKey, userId: string, until: number): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, userId: 'deleted-account', heldUntil: until, ttl: ttlFromMs(until) },
          ConditionExpression: 'userId = :userId',
          ExpressionAttributeValues: { ':userId': userId },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }
}

/** The other side of one of the user's block items (`sk` under the user), kept under the other user. */
function reverseOf(sk: string, userId: string): TableKey | undefined {
  const other = (prefix: string) => sk.slice(prefix.length);
  // `BLOCKEDBY#` first: `BLOCK#` is the start of it.
  if (sk.startsWith(keys.blockedByPrefix)) return keys.block(other(keys.blockedByPrefix), userId);
  if (sk.startsWith(keys.blockPrefix)) return keys.blockedBy(other(keys.blockPrefix), userId);
  return undefined;
}
