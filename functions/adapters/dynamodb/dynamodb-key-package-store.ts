import { randomBytes } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ClaimedPackage, KeyPackageStore } from '../../ports/key-package-store';
import { batchWriteAll } from './batch';
import { isConditionFailed, keys } from './keys';

/** Candidates read per claim round: a few, so concurrent claimers have others to fall back on. */
const CLAIM_CANDIDATES = 5;

/**
 * One item per one-use key package, so a claim is a single conditional
 * DeleteItem that returns what it deleted: of two claimers racing for one
 * package, exactly one gets it, without a transaction. The last-resort
 * package is one item per device, replaced on upload and only ever read.
 */
export class DynamoDbKeyPackageStore implements KeyPackageStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async add(
    userId: string,
    deviceId: string,
    keyPackages: readonly Uint8Array[],
    lastResort: Uint8Array | undefined,
    now: number,
  ): Promise<void> {
    await batchWriteAll(
      this.client,
      this.tableName,
      keyPackages.map((keyPackage) => ({
        PutRequest: {
          Item: {
            ...keys.keyPackage(userId, deviceId, now, randomBytes(8).toString('hex')),
            keyPackage,
            uploadedAt: now,
          },
        },
      })),
    );
    if (lastResort === undefined) return;
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.lastResortKeyPackage(userId, deviceId), keyPackage: lastResort, uploadedAt: now },
      }),
    );
  }

  async count(userId: string, deviceId: string): Promise<{ remaining: number; lastResort: boolean }> {
    let remaining = 0;
    for await (const page of paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.userPk(userId), ':prefix': keys.keyPackagePrefix(deviceId) },
        Select: 'COUNT',
      },
    )) {
      remaining += page.Count ?? 0;
    }
    return { remaining, lastResort: (await this.lastResort(userId, deviceId)) !== undefined };
  }

  async claim(userId: string, deviceId: string): Promise<ClaimedPackage | undefined> {
    for (;;) {
      const { Items = [] } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: {
            ':pk': keys.userPk(userId),
            ':prefix': keys.keyPackagePrefix(deviceId),
          },
          ProjectionExpression: 'pk, sk',
          ConsistentRead: true,
          Limit: CLAIM_CANDIDATES,
        }),
      );
      if (Items.length === 0) break;
      for (const candidate of Items) {
        const taken = await this.take({ pk: String(candidate.pk), sk: String(candidate.sk) });
        if (taken) return { keyPackage: taken, lastResort: false };
      }
      // Every candidate went to another claimer meanwhile: read the next few.
    }
    const lastResort = await this.lastResort(userId, deviceId);
    return lastResort === undefined ? undefined : { keyPackage: lastResort, lastResort: true };
  }

  /** Deletes the package if it is still there, returning it; `undefined` when another claimer won. */
  private async take(key: { pk: string; sk: string }): Promise<Uint8Array | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key,
          ConditionExpression: 'attribute_exists(pk)',
          ReturnValues: 'ALL_OLD',
        }),
      );
      return Attributes?.keyPackage as Uint8Array | undefined;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  private async lastResort(userId: string, deviceId: string): Promise<Uint8Array | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.lastResortKeyPackage(userId, deviceId),
        ConsistentRead: true,
      }),
    );
    return Item?.keyPackage as Uint8Array | undefined;
  }
}
