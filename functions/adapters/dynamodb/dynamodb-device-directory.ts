import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeviceDirectory, DeviceRecord } from '../../ports/device-directory';
import type { Item } from './batch';
import { isConditionFailed, keys } from './keys';
import { queryAll } from './query-all';

/** Devices as items under their user; registration and revocation are conditional writes. */
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
          UpdateExpression: 'SET revokedAt = :now',
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
