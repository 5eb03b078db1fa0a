import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Page } from '../../../shared/protocol/resources';
import * as z from '../../../shared/zod';
import { decodeCursor, encodeCursor } from '../../cursor';
import { ConflictError, NotFoundError, ParleyError, ValidationError } from '../../errors';
import type { Profile, ProfilePatch, ProfileStore } from '../../ports/profile-store';
import { batchGetAll, type Item, type TableKey } from './batch';
import { releaseClaim } from './claims';
import { isConditionFailed, keys } from './keys';

/** Search partitions are keyed by the first two characters. */
const MIN_SEARCH_PREFIX_LENGTH = 2;

/** How a claim put went: newly made by this call, already this user's, or another user's. */
type ClaimOutcome = 'claimed' | 'held' | 'taken';

/**
 * Profiles with unique usernames and emails, without transactions (the local
 * stand-in lacks them): a name is claimed by a conditional put of its own item
 * before the profile points at it, and let go only after the profile moved on.
 * A crash between the steps leaves at most a claim the profile does not name,
 * which the finders ignore and the same user can take again.
 */
export class DynamoDbProfileStore implements ProfileStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(userId: string): Promise<Profile | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.profile(userId), ConsistentRead: true }),
    );
    return Item ? toProfile(Item) : undefined;
  }

  async getMany(userIds: readonly string[]): Promise<Profile[]> {
    const items = await batchGetAll(this.client, this.tableName, userIds.map(keys.profile));
    return items.map(toProfile);
  }

  async create(profile: Profile): Promise<'created' | 'username-taken'> {
    const username = await this.claim(keys.usernameClaim(profile.username), profile.userId);
    if (username === 'taken') return 'username-taken';
    const email = await this.claim(keys.emailClaim(profile.email), profile.userId);
    if (email === 'taken') {
      if (username === 'claimed') await this.release(keys.usernameClaim(profile.username), profile.userId);
      throw new ConflictError('The email address belongs to another user');
    }
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.profile(profile.userId),
            ...keys.usernameIndex(profile.username),
            userId: profile.userId,
            username: profile.username,
            displayName: profile.displayName,
            email: profile.email,
            createdAt: profile.createdAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      // A repeat: the stored profile stands, and names this call claimed for nothing are let go.
      const stored = await this.get(profile.userId);
      if (username === 'claimed' && stored?.username !== profile.username) {
        await this.release(keys.usernameClaim(profile.username), profile.userId);
      }
      if (email === 'claimed' && stored?.email !== profile.email) {
        await this.release(keys.emailClaim(profile.email), profile.userId);
      }
    }
    return 'created';
  }

  async update(userId: string, patch: ProfilePatch): Promise<Profile> {
    const current = await this.get(userId);
    if (!current) throw new NotFoundError('No profile for this user');
    const newUsername =
      patch.username !== undefined && patch.username !== current.username ? patch.username : undefined;
    if (newUsername === undefined && patch.displayName === undefined) return current;

    let claim: ClaimOutcome | undefined;
    if (newUsername !== undefined) {
      claim = await this.claim(keys.usernameClaim(newUsername), userId);
      if (claim === 'taken') throw new ConflictError('The username is taken');
    }
    const sets: string[] = [];
    const values: Record<string, unknown> = { ':current': current.username };
    if (patch.displayName !== undefined) {
      sets.push('displayName = :displayName');
      values[':displayName'] = patch.displayName;
    }
    if (newUsername !== undefined) {
      const index = keys.usernameIndex(newUsername);
      sets.push('username = :username', 'gsi1pk = :gsi1pk', 'gsi1sk = :gsi1sk');
      Object.assign(values, { ':username': newUsername, ':gsi1pk': index.gsi1pk, ':gsi1sk': index.gsi1sk });
    }
    let updated: Item | undefined;
    try {
      ({ Attributes: updated } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.profile(userId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          // A rename that raced this one must not be overwritten: its claim would be orphaned.
          ConditionExpression: 'attribute_exists(pk) AND username = :current',
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ));
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      if (newUsername !== undefined && claim === 'claimed') {
        await this.release(keys.usernameClaim(newUsername), userId);
      }
      throw new ConflictError('The profile changed meanwhile; retry', { cause: error });
    }
    if (newUsername !== undefined) await this.release(keys.usernameClaim(current.username), userId);
    if (!updated) throw new ParleyError('UpdateItem with ALL_NEW returned no profile');
    return toProfile(updated);
  }

  async changeEmail(userId: string, email: string): Promise<Profile> {
    const current = await this.get(userId);
    if (!current) throw new NotFoundError('No profile for this user');
    const claim = await this.claim(keys.emailClaim(email), userId);
    if (claim === 'taken') throw new ConflictError('The email address belongs to another user');
    if (current.email === email) return current;
    let updated: Item | undefined;
    try {
      ({ Attributes: updated } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.profile(userId),
          UpdateExpression: 'SET email = :email',
          // A change that raced this one must not be overwritten: the claim it let go would be orphaned.
          ConditionExpression: 'attribute_exists(pk) AND email = :current',
          ExpressionAttributeValues: { ':email': email, ':current': current.email },
          ReturnValues: 'ALL_NEW',
        }),
      ));
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      // The same change, made meanwhile by a repeat of this call, is this call's result too.
      const now = await this.get(userId);
      if (now?.email === email) return now;
      if (claim === 'claimed') await this.release(keys.emailClaim(email), userId);
      throw new ConflictError('The profile changed meanwhile; retry', { cause: error });
    }
    await this.release(keys.emailClaim(current.email), userId);
    if (!updated) throw new ParleyError('UpdateItem with ALL_NEW returned no profile');
    return toProfile(updated);
  }

  async startAvatarUpload(userId: string, avatarId: string): Promise<string | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.profile(userId),
          UpdateExpression: 'SET avatarUpload = :id',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':id': avatarId },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      return typeof Attributes?.avatarUpload === 'string' ? Attributes.avatarUpload : undefined;
    } catch (error) {
      if (isConditionFailed(error)) throw new NotFoundError('No profile for this user', { cause: error });
      throw error;
    }
  }

  async setAvatar(
    userId: string,
    avatarId: string | undefined,
  ): Promise<{ profile: Profile; replaced?: string }> {
    let before: Item | undefined;
    try {
      ({ Attributes: before } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.profile(userId),
          ...(avatarId !== undefined
            ? {
                UpdateExpression: 'SET avatarId = :id REMOVE avatarUpload',
                // Only the newest upload: a slot issued meanwhile wins, and this one's object is deleted by it.
                ConditionExpression: 'attribute_exists(pk) AND avatarUpload = :id',
                ExpressionAttributeValues: { ':id': avatarId },
              }
            : { UpdateExpression: 'REMOVE avatarId', ConditionExpression: 'attribute_exists(pk)' }),
          ReturnValues: 'ALL_OLD',
        }),
      ));
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw new NotFoundError(avatarId === undefined ? 'No profile for this user' : 'No such avatar upload', {
        cause: error,
      });
    }
    if (!before) throw new ParleyError('UpdateItem with ALL_OLD returned no profile');
    const { avatarId: replaced, avatarUpload, ...rest } = toProfile(before);
    const profile: Profile = {
      ...rest,
      ...(avatarId !== undefined ? { avatarId } : avatarUpload !== undefined ? { avatarUpload } : {}),
    };
    return { profile, ...(replaced !== undefined ? { replaced } : {}) };
  }

  async findByEmail(email: string): Promise<Profile | undefined> {
    const profile = await this.findByClaim(keys.emailClaim(email));
    return profile?.email === email ? profile : undefined;
  }

  async findByUsername(username: string): Promise<Profile | undefined> {
    const profile = await this.findByClaim(keys.usernameClaim(username));
    return profile?.username === username ? profile : undefined;
  }

  async searchByUsernamePrefix(prefix: string, limit: number, cursor?: string): Promise<Page<Profile>> {
    if (prefix.length < MIN_SEARCH_PREFIX_LENGTH) {
      throw new ValidationError(`A search prefix needs at least ${MIN_SEARCH_PREFIX_LENGTH} characters`);
    }
    const partition = keys.usernameIndexPk(prefix);
    const startKey =
      cursor === undefined
        ? undefined
        : decodeCursor(
            cursor,
            z.strictObject({
              pk: z.string().check(z.startsWith(keys.userPk(''))),
              sk: z.literal(keys.profile('').sk),
              gsi1pk: z.literal(partition),
              gsi1sk: z.string().check(z.startsWith(prefix)),
            }),
          );
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
        ExpressionAttributeValues: { ':pk': partition, ':prefix': prefix },
        Limit: limit,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    // A page can stop short of `limit` (1 MB read cap) and still have more: only the key tells.
    return {
      items: Items.map(toProfile),
      ...(LastEvaluatedKey ? { next: encodeCursor(LastEvaluatedKey) } : {}),
    };
  }

  private async findByClaim(key: TableKey): Promise<Profile | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    // The claim may lead or trail its profile by a step (a rename in flight): callers check it names them.
    return Item ? this.get(String(Item.userId)) : undefined;
  }

  private async claim(key: TableKey, userId: string): Promise<ClaimOutcome> {
    try {
      const { Attributes } = await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, userId },
          ConditionExpression: 'attribute_not_exists(pk) OR userId = :userId',
          ExpressionAttributeValues: { ':userId': userId },
          ReturnValues: 'ALL_OLD',
        }),
      );
      return Attributes ? 'held' : 'claimed';
    } catch (error) {
      if (isConditionFailed(error)) return 'taken';
      throw error;
    }
  }

  private release(key: TableKey, userId: string): Promise<void> {
    return releaseClaim(this.client, this.tableName, key, userId);
  }
}

function toProfile(item: Item): Profile {
  return {
    userId: String(item.userId),
    username: String(item.username),
    displayName: String(item.displayName),
    email: String(item.email),
    createdAt: Number(item.createdAt),
    ...(typeof item.avatarId === 'string' ? { avatarId: item.avatarId } : {}),
    ...(typeof item.avatarUpload === 'string' ? { avatarUpload: item.avatarUpload } : {}),
  };
}
