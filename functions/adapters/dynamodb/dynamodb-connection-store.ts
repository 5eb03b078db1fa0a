import {
  type DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ParleyError, SessionEndedError } from '../../errors';
import type {
  Connection,
  ConnectionRemoval,
  ConnectionStore,
  DeletionMarks,
  PresenceChange,
  Reach,
} from '../../ports/connection-store';
import { batchGetAll, type Item } from './batch';
import { isConditionFailed, keys, ttlFromMs } from './keys';

/** Expired entries removed by one `put`, to keep the update expression small. */
const MAX_PRUNED_PER_PUT = 25;

interface Entry {
  readonly connectionId: string;
  readonly connectedAt: number;
  readonly expiresAt: number;
  readonly deviceId?: string;
}

/**
 * Open connections as one presence item per user, a map of connection id to
 * `{ connectedAt, expiresAt }`: fan-out reaches a hundred members' devices with
 * one BatchGetItem, and every change returns the user's count at once.
 *
 * An entry whose `$disconnect` was missed stays until it expires; readers skip
 * it, and the user's next `put` removes it.
 */
export class DynamoDbConnectionStore implements ConnectionStore, DeletionMarks {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(
    connection: Connection,
    expiresAt: number,
    options: { tokenIssuedAt?: number } = {},
  ): Promise<PresenceChange> {
    const entry = {
      connectedAt: connection.connectedAt,
      expiresAt,
      ...(connection.deviceId === undefined ? {} : { deviceId: connection.deviceId }),
    };
    const key = keys.presence(connection.userId);
    const issuedAt = options.tokenIssuedAt;
    // Decided in the same write as the store: a sign-out either sees this connection or refuses it.
    const current =
      issuedAt === undefined ? '' : ' AND (attribute_not_exists(signedOutAt) OR signedOutAt <= :iat)';
    const iat = issuedAt === undefined ? {} : { ':iat': issuedAt };
    // SET on a path inside a missing map fails: the map is made by the first connection, and
    // a second one racing it sees the map on its next turn (the map is never removed).
    for (let turn = 0; turn < 2; turn += 1) {
      const added = await this.updateIfAllowed({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'SET connections.#id = :entry, userId = :userId',
        ConditionExpression: `attribute_exists(connections)${current}`,
        ExpressionAttributeNames: { '#id': connection.connectionId },
        ExpressionAttributeValues: { ':entry': entry, ':userId': connection.userId, ...iat },
        ReturnValues: 'ALL_NEW',
      });
      const stored =
        added ??
        (await this.updateIfAllowed({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET connections = :connections, userId = :userId',
          ConditionExpression: `attribute_not_exists(connections)${current}`,
          ExpressionAttributeValues: {
            ':connections': { [connection.connectionId]: entry },
            ':userId': connection.userId,
            ...iat,
          },
          ReturnValues: 'ALL_NEW',
        }));
      if (stored) {
        await this.prune(connection.userId, entriesOf(stored), connection.connectedAt);
        return presenceOf(stored, connection.connectedAt);
      }
      // Both conditions failed: a racing first connection, or a sign-out after the token was issued.
      if (issuedAt !== undefined) {
        const mark = await this.signedOutAt(connection.userId);
        if (mark !== undefined && issuedAt < mark) throw new SessionEndedError();
      }
    }
    throw new ParleyError('The presence item kept changing while a connection was stored');
  }

  async signedOutAt(userId: string): Promise<number | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.presence(userId),
        ProjectionExpression: 'signedOutAt',
        ConsistentRead: true,
      }),
    );
    return typeof Item?.signedOutAt === 'number' ? Item.signedOutAt : undefined;
  }

  async signOut(userId: string, signedOutAt: number, now: number): Promise<Connection[]> {
    const stored = await this.updateIfAllowed({
      TableName: this.tableName,
      Key: keys.presence(userId),
      UpdateExpression: 'SET signedOutAt = :at, userId = :userId',
      // A later mark stays: the mark only moves forward.
      ConditionExpression: 'attribute_not_exists(signedOutAt) OR signedOutAt < :at',
      ExpressionAttributeValues: { ':at': signedOutAt, ':userId': userId },
      ReturnValues: 'ALL_NEW',
    });
    if (stored) return openConnectionsOf(stored, now);
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.presence(userId), ConsistentRead: true }),
    );
    return Item ? openConnectionsOf(Item, now) : [];
  }

  async delete(userId: string, connectionId: string, now: number): Promise<ConnectionRemoval> {
    const stored = await this.updateIfAllowed({
      TableName: this.tableName,
      Key: keys.presence(userId),
      UpdateExpression: 'REMOVE connections.#id SET lastSeenAt = :now',
      // Only the call that removes the connection writes, and learns it did: whoever removes a user's last
      // connection announces them offline, once (no item, no connection: an update would create one).
      ConditionExpression: 'attribute_exists(connections.#id)',
      ExpressionAttributeNames: { '#id': connectionId },
      ExpressionAttributeValues: { ':now': now },
      ReturnValues: 'ALL_NEW',
    });
    return stored ? { removed: true, ...presenceOf(stored, now) } : { removed: false };
  }

  async listByUser(userId: string, now: number): Promise<Connection[]> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.presence(userId) }),
    );
    return Item ? openConnectionsOf(Item, now) : [];
  }

  async listByUsers(userIds: readonly string[], now: number): Promise<Connection[]> {
    return (await this.reachOf(userIds, now)).flatMap((reach) => reach.connections);
  }

  async reachOf(userIds: readonly string[], now: number): Promise<Reach[]> {
    const unique = [...new Set(userIds)];
    const items = await batchGetAll(this.client, this.tableName, unique.map(keys.presence));
    const byUser = new Map(items.map((item) => [String(item.userId), item]));
    return unique.map((userId) => {
      const item = byUser.get(userId);
      return {
        userId,
        connections: item ? openConnectionsOf(item, now) : [],
        pushDevices: item?.pushDevices instanceof Set ? [...item.pushDevices].map(String).sort() : [],
      };
    });
  }

  async setPushDevice(userId: string, deviceId: string, subscribed: boolean): Promise<void> {
    if (subscribed) {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.presence(userId),
          UpdateExpression: 'ADD pushDevices :device SET userId = :userId',
          ExpressionAttributeValues: { ':device': new Set([deviceId]), ':userId': userId },
        }),
      );
      return;
    }
    // Only an item that has the device: a removal never creates a presence item.
    await this.updateIfAllowed({
      TableName: this.tableName,
      Key: keys.presence(userId),
      UpdateExpression: 'DELETE pushDevices :device',
      ConditionExpression: 'contains(pushDevices, :id)',
      ExpressionAttributeValues: { ':device': new Set([deviceId]), ':id': deviceId },
    });
  }

  async clearPushDevices(userId: string): Promise<void> {
    await this.updateIfAllowed({
      TableName: this.tableName,
      Key: keys.presence(userId),
      UpdateExpression: 'REMOVE pushDevices',
      ConditionExpression: 'attribute_exists(pushDevices)',
    });
  }

  async markDeleting(userId: string, now: number): Promise<number> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.presence(userId),
        UpdateExpression: 'SET deletingAt = if_not_exists(deletingAt, :now), userId = :userId',
        ExpressionAttributeValues: { ':now': now, ':userId': userId },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Number(Attributes?.deletingAt ?? now);
  }

  async deletingAt(userId: string): Promise<number | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.presence(userId),
        ProjectionExpression: 'deletingAt',
        ConsistentRead: true,
      }),
    );
    return typeof Item?.deletingAt === 'number' ? Item.deletingAt : undefined;
  }

  async entomb(userId: string, until: number): Promise<void> {
    await this.updateIfAllowed({
      TableName: this.tableName,
      Key: keys.presence(userId),
      UpdateExpression: 'REMOVE connections, pushDevices, lastSeenAt SET #ttl = :ttl',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':ttl': ttlFromMs(until) },
    });
  }

  async presenceOf(userIds: readonly string[], now: number): Promise<Map<string, PresenceChange>> {
    const items = await batchGetAll(this.client, this.tableName, userIds.map(keys.presence));
    return new Map(items.map((item) => [String(item.userId), presenceOf(item, now)]));
  }

  /** The item after the update, or undefined when its condition did not hold. */
  private async updateIfAllowed(input: UpdateCommandInput): Promise<Item | undefined> {
    try {
      return (await this.client.send(new UpdateCommand(input))).Attributes;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  /** Removes entries whose `$disconnect` was missed, unless a reconnect under the same id renewed them. */
  private async prune(userId: string, entries: readonly Entry[], now: number) {
    const expired = entries.filter((entry) => entry.expiresAt <= now).slice(0, MAX_PRUNED_PER_PUT);
    if (expired.length === 0) return;
    const names: Record<string, string> = {};
    const values: Record<string, number> = {};
    expired.forEach((entry, index) => {
      names[`#e${index}`] = entry.connectionId;
      values[`:e${index}`] = entry.expiresAt;
    });
    await this.updateIfAllowed({
      TableName: this.tableName,
      Key: keys.presence(userId),
      UpdateExpression: `REMOVE ${expired.map((_, index) => `connections.#e${index}`).join(', ')}`,
      ConditionExpression: expired
        .map((_, index) => `connections.#e${index}.expiresAt = :e${index}`)
        .join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }
}

function entriesOf(item: Item): Entry[] {
  const connections: unknown = item.connections;
  if (typeof connections !== 'object' || connections === null) return [];
  return Object.entries(connections).flatMap(([connectionId, entry]: [string, unknown]) =>
    typeof entry === 'object' && entry !== null && 'connectedAt' in entry && 'expiresAt' in entry
      ? [
          {
            connectionId,
            connectedAt: Number(entry.connectedAt),
            expiresAt: Number(entry.expiresAt),
            ...('deviceId' in entry && typeof entry.deviceId === 'string'
              ? { deviceId: entry.deviceId }
              : {}),
          },
        ]
      : [],
  );
}

function openConnectionsOf(item: Item, now: number): Connection[] {
  const userId = String(item.userId);
  return entriesOf(item)
    .filter((entry) => entry.expiresAt > now)
    .sort((a, b) => a.connectedAt - b.connectedAt || byCodeUnit(a.connectionId, b.connectionId))
    .map((entry) => ({
      connectionId: entry.connectionId,
      userId,
      connectedAt: entry.connectedAt,
      ...(entry.deviceId === undefined ? {} : { deviceId: entry.deviceId }),
    }));
}

function presenceOf(item: Item, now: number): PresenceChange {
  const openConnections = entriesOf(item).filter((entry) => entry.expiresAt > now).length;
  return openConnections === 0 && item.lastSeenAt !== undefined
    ? { openConnections, lastSeenAt: Number(item.lastSeenAt) }
    : { openConnections };
}

function byCodeUnit(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
