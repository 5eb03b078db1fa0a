import { DeleteCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { FriendsFullError } from '../../errors';
import { keys, updateIf } from './keys';

/**
 * Each user's friend edges (friends and requests either way: the `friendsPerUser` cap) are counted by one
 * number on an item of theirs (`QUOTA#{userId}`, `FRIENDS`, attribute `edges`), and each edge the count
 * holds says so (`counted: true` on the edge). Every write of an edge returns the edge it replaced or
 * deleted (`ReturnValues: ALL_OLD`), and the count moves only by what that shows: +1 for a counted edge
 * where there was none or an uncounted one, −1 for a counted edge deleted. DynamoDB applies writes to one
 * item one at a time, so of two racing deletes of an edge only one gets it back and only one counts down;
 * a retried step finds its own work done and moves nothing. A new edge's place is taken by a conditional
 * `ADD` before the edge is written (refused at the cap, so nothing is written), and given back when the
 * write shows the edge was counted already. Edges stored before the count existed carry no mark: they
 * are not counted (`npm run backfill:friends` counts them) and their delete takes nothing away. A function
 * killed between the count and the edge leaves a place counted that holds no edge: the count errs on the
 * side of refusing, never of passing the cap.
 */

/** Whether a stored friend edge is held by its user's count. */
export function isCounted(item: Record<string, unknown> | undefined): boolean {
  return item?.counted === true;
}

/**
 * Takes one place in each user's count, at once. With `limit`, a user holding `limit` is refused: the
 * places taken for the others are given back and `FriendsFullError` names the full ones.
 */
export async function takeFriendPlaces(
  client: DynamoDBDocumentClient,
  tableName: string,
  userIds: readonly string[],
  limit: number | undefined,
): Promise<void> {
  const results = await Promise.allSettled(
    userIds.map(async (userId) => {
      const taken = await updateIf(client, {
        TableName: tableName,
        Key: keys.userFriends(userId),
        UpdateExpression: 'ADD edges :one',
        ExpressionAttributeValues: { ':one': 1, ...(limit === undefined ? {} : { ':limit': limit }) },
        ...(limit === undefined
          ? {}
          : { ConditionExpression: 'attribute_not_exists(edges) OR edges < :limit' }),
      });
      return { userId, taken };
    }),
  );
  const full = results.flatMap((result) =>
    result.status === 'fulfilled' && !result.value.taken ? [result.value.userId] : [],
  );
  const failure = results.find((result) => result.status === 'rejected');
  if (full.length === 0 && !failure) return;
  await Promise.all(
    results.flatMap((result) =>
      result.status === 'fulfilled' && result.value.taken
        ? [giveFriendPlace(client, tableName, result.value.userId)]
        : [],
    ),
  );
  if (failure) throw failure.reason;
  throw new FriendsFullError(limit ?? 0, full);
}

/** Counts one edge more for a user, with no cap: an edge already written that the count did not hold. */
export async function addFriendPlace(
  client: DynamoDBDocumentClient,
  tableName: string,
  userId: string,
): Promise<void> {
  await updateIf(client, {
    TableName: tableName,
    Key: keys.userFriends(userId),
    UpdateExpression: 'ADD edges :one',
    ExpressionAttributeValues: { ':one': 1 },
  });
}

/** Counts one edge less for a user; never below zero, and no item is made for a user with none. */
export async function giveFriendPlace(
  client: DynamoDBDocumentClient,
  tableName: string,
  userId: string,
): Promise<void> {
  await updateIf(client, {
    TableName: tableName,
    Key: keys.userFriends(userId),
    UpdateExpression: 'ADD edges :minusOne',
    ConditionExpression: 'edges > :zero',
    ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
  });
}

/** Deletes one side of a friendship or request, giving its user's place back if the count held it. */
export async function deleteFriendEdge(
  client: DynamoDBDocumentClient,
  tableName: string,
  userId: string,
  otherId: string,
): Promise<void> {
  const { Attributes } = await client.send(
    new DeleteCommand({ TableName: tableName, Key: keys.friend(userId, otherId), ReturnValues: 'ALL_OLD' }),
  );
  if (isCounted(Attributes)) await giveFriendPlace(client, tableName, userId);
}

/**
 * Counts an edge stored before edges were counted, with no cap: its place first, then the mark, only on an
 * edge still there and not counted meanwhile (else the place goes back). `false` when there was nothing to
 * count. Repeatable, and safe beside live requests: each edge is counted once.
 */
export async function countStoredFriendEdge(
  client: DynamoDBDocumentClient,
  tableName: string,
  userId: string,
  otherId: string,
): Promise<boolean> {
  await addFriendPlace(client, tableName, userId);
  const marked = await updateIf(client, {
    TableName: tableName,
    Key: keys.friend(userId, otherId),
    UpdateExpression: 'SET counted = :counted',
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(counted)',
    ExpressionAttributeValues: { ':counted': true },
  });
  if (!marked) await giveFriendPlace(client, tableName, userId);
  return marked;
}

/** The user's counted edges (strongly consistent). */
export async function countFriendEdges(
  client: DynamoDBDocumentClient,
  tableName: string,
  userId: string,
): Promise<number> {
  const { Item } = await client.send(
    new GetCommand({ TableName: tableName, Key: keys.userFriends(userId), ConsistentRead: true }),
  );
  return typeof Item?.edges === 'number' ? Item.edges : 0;
}
