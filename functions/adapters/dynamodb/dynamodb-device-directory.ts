import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  DeviceDirectory,
  DeviceRecord,
  PushSubscriptionRecord,
  SetPushSubscriptionOutcome,
} from '../../ports/device-directory';
import type { Item } from './batch';
import { isConditionFailed, keys, updateIf } from './keys';
import { queryAll } from './query-all';

/**
 * Devices as items under their user; registration and revocation are conditional writes. A device's push
 * subscription is the `pushSubscription` map of its own item (at most ~3.3 KB: the endpoint is bounded at
 * 1,024 characters), so revoking the device removes it in the same write and no subscription can outlive
 * its device's revocation without a transaction (which the local stand-in lacks).
 */
export class DynamoDbDeviceDirectory implements DeviceDirectory {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async registerIfAbsent(device: DeviceRecord): Promise<DeviceRecord & { readonly created?: true }> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.device(device.userId, device.deviceId),
            userId: device.userId,
            deviceId: device.deviceId,
            signaturePublicKey: device.signaturePublicKey,
            ...(device.name === undefined ? {} : { name: device.name }),
            createdAt: device.createdAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { ...device, created: true };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    const stored = await this.get(device.userId, device.deviceId);
    // Registered, then gone: devices are never deleted, so this is a broken table, not a race.
    if (!stored) throw new Error('A device vanished after its registration was refused');
    return stored;
  }

  async get(userId: string, deviceId: string): Promise<DeviceRecord | undefined> {
    const { Item: item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.device(userId, deviceId), ConsistentRead: true }),
    );
    return item ? toDevice(item) : undefined;
  }

  async list(userId: string): Promise<DeviceRecord[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.userPk(userId), ':prefix': keys.devicePrefix },
    });
    return items.map(toDevice);
  }

  async revoke(
    userId: string,
    deviceId: string,
    now: number,
  ): Promise<(DeviceRecord & { readonly revokedNow?: true }) | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.device(userId, deviceId),
          UpdateExpression: 'SET revokedAt = :now REMOVE pushSubscription',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
          ExpressionAttributeValues: { ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? { ...toDevice(Attributes), revokedNow: true } : undefined;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      // Absent or already revoked: the first revocation's time stands.
      return this.get(userId, deviceId);
    }
  }

  async rename(userId: string, deviceId: string, name: string): Promise<DeviceRecord | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.device(userId, deviceId),
          // `name` is a reserved word in DynamoDB's expressions.
          UpdateExpression: 'SET #name = :name',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#name': 'name' },
          ExpressionAttributeValues: { ':name': name },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toDevice(Attributes) : undefined;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  async setPushSubscription(subscription: PushSubscriptionRecord): Promise<SetPushSubscriptionOutcome> {
    const { userId, deviceId, ...stored } = subscription;
    const written = await updateIf(this.client, {
      TableName: this.tableName,
      Key: keys.device(userId, deviceId),
      UpdateExpression: 'SET pushSubscription = :subscription',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
      ExpressionAttributeValues: { ':subscription': stored },
    });
    if (written) return 'stored';
    return (await this.get(userId, deviceId)) ? 'revoked' : 'absent';
  }

  async getPushSubscription(userId: string, deviceId: string): Promise<PushSubscriptionRecord | undefined> {
    const { Item: item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.device(userId, deviceId),
        ProjectionExpression: 'userId, deviceId, pushSubscription',
        ConsistentRead: true,
      }),
    );
    return item?.pushSubscription ? toPushSubscription(item) : undefined;
  }

  async removePushSubscription(
    userId: string,
    deviceId: string,
    options: { endpoint?: string } = {},
  ): Promise<void> {
    // The condition keeps an update of an absent device from creating a bare item.
    await updateIf(this.client, {
      TableName: this.tableName,
      Key: keys.device(userId, deviceId),
      UpdateExpression: 'REMOVE pushSubscription',
      ...(options.endpoint === undefined
        ? { ConditionExpression: 'attribute_exists(pk)' }
        : {
            ConditionExpression: 'pushSubscription.endpoint = :endpoint',
            ExpressionAttributeValues: { ':endpoint': options.endpoint },
          }),
    });
  }

  async removePushSubscriptions(userId: string): Promise<void> {
    for (const subscription of await this.listPushSubscriptions(userId)) {
      await this.removePushSubscription(userId, subscription.deviceId);
    }
  }

  async listPushSubscriptions(userId: string): Promise<PushSubscriptionRecord[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: 'attribute_exists(pushSubscription)',
      ProjectionExpression: 'userId, deviceId, pushSubscription',
      ExpressionAttributeValues: { ':pk': keys.userPk(userId), ':prefix': keys.devicePrefix },
    });
    return items.map(toPushSubscription);
  }
}

function toPushSubscription(item: Item): PushSubscriptionRecord {
  const stored = item.pushSubscription as Item;
  return {
    userId: String(item.userId),
    deviceId: String(item.deviceId),
    endpoint: String(stored.endpoint),
    p256dh: String(stored.p256dh),
    auth: String(stored.auth),
    preview: stored.preview === 'none' ? 'none' : 'name',
    updatedAt: Number(stored.updatedAt),
  };
}

function toDevice(item: Item): DeviceRecord {
  return {
    userId: String(item.userId),
    deviceId: String(item.deviceId),
    signaturePublicKey: item.signaturePublicKey as Uint8Array,
    ...(typeof item.name === 'string' ? { name: item.name } : {}),
    createdAt: Number(item.createdAt),
    ...(item.revokedAt === undefined ? {} : { revokedAt: Number(item.revokedAt) }),
  };
}
