import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConversationKindSchema, MemberRoleSchema } from '../../../shared/protocol/resources';
import { groupsFull } from '../../caps';
import { ConflictError, NotFoundError, ParleyError } from '../../errors';
import {
  applyMembershipChange,
  type Conversation,
  type ConversationStore,
  type CreateOptions,
  DELETED_CREATOR,
  type MarkAdvance,
  type Membership,
  type MembershipChange,
  type SettingsChange,
} from '../../ports/conversation-store';
import { batchGetAll, batchWriteAll, type Item } from './batch';
import { isConditionFailed, keys, updateIf } from './keys';
import { queryAll } from './query-all';

/**
 * Conversations as a `META` item holding the member list (the one read
 * fan-out needs) and a `version`, plus one item per member with their role
 * and receipt marks (indexed by user for their conversation list).
 *
 * Without transactions, `META` is written first and is the truth: a change is
 * decided by its conditional write, and the member items follow it. Each
 * follow-up write is idempotent, so a creation cut off half-way is completed
 * by the next `createIfAbsent`.
 *
 * Each user's groups are counted on one item of theirs (`QUOTA#{userId}`, `GROUPS`): a string set of
 * the group ids, so that counting one group again (a retry) changes nothing. A user joins a group by
 * one conditional `ADD` (refused when the set is at the cap and lacks this group) before the
 * conversation's change is decided, and leaves it by a `DELETE` after. Two groups racing for a user's
 * last place cannot both pass: the second `ADD` finds the set full. A change that is refused or loses
 * its race takes its users' places back. A function killed between the two writes leaves a place
 * counted that the user does not hold: the error is on the side of refusing, never of passing the cap.
 */
export class DynamoDbConversationStore implements ConversationStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(conversationId: string): Promise<Conversation | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.conversation(conversationId),
        ConsistentRead: true,
      }),
    );
    return Item ? toConversation(Item) : undefined;
  }

  async getMany(conversationIds: readonly string[]): Promise<Conversation[]> {
    const items = await batchGetAll(this.client, this.tableName, conversationIds.map(keys.conversation));
    return items.map(toConversation);
  }

  async getMembership(conversationId: string, userId: string): Promise<Membership | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.member(conversationId, userId),
        ConsistentRead: true,
      }),
    );
    return Item ? toMembership(Item) : undefined;
  }

  async createIfAbsent(
    conversation: Conversation,
    members: readonly Membership[],
    options: CreateOptions = {},
  ): Promise<Conversation & { readonly created?: true }> {
    const joining = conversation.kind === 'group' ? conversation.memberIds : [];
    await this.joinGroups(conversation.conversationId, joining, options.groupsPerUser);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: conversationItem(conversation),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) {
        await this.leaveGroups(conversation.conversationId, joining);
        throw error;
      }
      const stored = await this.get(conversation.conversationId);
      if (!stored) throw error;
      await this.completeMembers(stored, conversation.version, members);
      return stored;
    }
    // A fresh conversation has no member items yet: plain puts, 25 to a request.
    await batchWriteAll(
      this.client,
      this.tableName,
      members.map((member) => ({
        PutRequest: { Item: memberItem({ ...member, conversationId: conversation.conversationId }) },
      })),
    );
    return { ...conversation, created: true };
  }

  /**
   * Removed members' items go first (access is checked on them), then the new
   * member list is written only if no other change came in between (the
   * version check), then added members' items. Without transactions a
   * function killed half-way errs on the safe side: a removed member may
   * still be listed for pushes until the caller's retry, but can no longer
   * read or post; an added member's item may be missing until then.
   */
  async change(
    conversationId: string,
    expectedVersion: number,
    change: MembershipChange,
  ): Promise<Conversation> {
    const stored = await this.get(conversationId);
    if (!stored) throw new NotFoundError('No such conversation');
    if (stored.version !== expectedVersion) throw new ConflictError('The conversation changed meanwhile');

    const { removed, added, memberIds, membersChanged } = applyMembershipChange(stored.memberIds, change);
    const group = stored.kind === 'group';
    // Counted before anything is written, so that a refusal leaves the conversation as it was.
    const joining = group ? added.map((member) => member.userId) : [];
    await this.joinGroups(conversationId, joining, change.groupsPerUser);

    // Access is cut first: a member whose item is gone can neither read nor post, even if the
    // update below loses a race (the caller retries) or the function dies before it.
    const readded = new Set(added.map((member) => member.userId));
    await batchWriteAll(
      this.client,
      this.tableName,
      [...removed]
        .filter((userId) => !readded.has(userId))
        .map((userId) => ({ DeleteRequest: { Key: keys.member(conversationId, userId) } })),
    );

    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = {
      ':memberIds': memberIds,
      ':expected': expectedVersion,
      ':next': expectedVersion + 1,
    };
    const sets = ['memberIds = :memberIds', '#version = :next'];
    if (membersChanged) {
      // Read under the same version condition, so +1 here is exact.
      sets.push('membersVersion = :membersVersion');
      values[':membersVersion'] = stored.membersVersion + 1;
    }
    if (change.name !== undefined) {
      sets.push('#name = :name');
      names['#name'] = 'name';
      values[':name'] = change.name;
    }
    let updated: Item | undefined;
    try {
      ({ Attributes: updated } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.conversation(conversationId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ));
    } catch (error) {
      // Places taken for users this change did not add; a rival change may have added them meanwhile.
      const current = await this.get(conversationId);
      await this.leaveGroups(
        conversationId,
        joining.filter((userId) => !current?.memberIds.includes(userId)),
      );
      if (!isConditionFailed(error)) throw error;
      throw new ConflictError('The conversation changed meanwhile', { cause: error });
    }
    if (group) {
      await this.leaveGroups(
        conversationId,
        [...removed].filter((userId) => !memberIds.includes(userId)),
      );
    }

    await batchWriteAll(
      this.client,
      this.tableName,
      added.map((member) => ({ PutRequest: { Item: memberItem({ ...member, conversationId }) } })),
    );
    await Promise.all(
      Object.entries(change.roles ?? {})
        .filter(([userId]) => memberIds.includes(userId))
        .map(([userId, role]) => this.setRole(conversationId, userId, role)),
    );
    if (!updated) throw new ParleyError('UpdateItem with ALL_NEW returned no conversation');
    return toConversation(updated);
  }

  async listMembers(conversationId: string): Promise<Membership[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': keys.conversationPk(conversationId),
        ':prefix': keys.memberPrefix,
      },
      ConsistentRead: true,
    });
    return items.map(toMembership);
  }

  /** From the index's keys alone: marks are not in the index, so moving them writes no index entry. */
  async listConversationIdsOf(userId: string): Promise<string[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.userPk(userId), ':prefix': keys.memberIndexPrefix },
      ProjectionExpression: 'gsi1sk',
    });
    return items.map((item) => String(item.gsi1sk).slice(keys.memberIndexPrefix.length));
  }

  /**
   * One Query of the index, keys only, for one more entry than asked: whether more follow is known
   * without a last empty page. The start key is rebuilt from the id, as the membership's keys are.
   */
  async pageConversationIdsOf(userId: string, limit: number, after?: string) {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.userPk(userId), ':prefix': keys.memberIndexPrefix },
        ProjectionExpression: 'gsi1sk',
        Limit: limit + 1,
        ...(after === undefined
          ? {}
          : { ExclusiveStartKey: { ...keys.member(after, userId), ...keys.memberIndex(after, userId) } }),
      }),
    );
    const all = Items.map((item) => String(item.gsi1sk).slice(keys.memberIndexPrefix.length));
    const ids = all.slice(0, limit);
    const last = ids.at(-1);
    return all.length > limit && last !== undefined ? { ids, next: last } : { ids };
  }

  async countGroupsOf(userId: string): Promise<number> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.userGroups(userId), ConsistentRead: true }),
    );
    return Item?.groupIds instanceof Set ? Item.groupIds.size : 0;
  }

  async getMemberships(userId: string, conversationIds: readonly string[]): Promise<Membership[]> {
    const items = await batchGetAll(
      this.client,
      this.tableName,
      conversationIds.map((conversationId) => keys.member(conversationId, userId)),
    );
    return items.map(toMembership);
  }

  /**
   * DynamoDB has no `max()`: each mark is set only if it moves forward, by its
   * own conditional update; a refused one was already as far.
   */
  /**
   * A hidden move raises `hiddenDelivered` and `hiddenRead` instead of `delivered` and `read`: the member
   * reads back the higher of each pair, other members see the plain ones (`shown`).
   */
  async advanceMarks(
    conversationId: string,
    userId: string,
    marks: MarkAdvance,
    options: { readonly hidden?: boolean } = {},
  ): Promise<Membership> {
    const hidden = options.hidden === true;
    // What was read reached a device: delivery is raised with it.
    const delivered =
      marks.read === undefined ? marks.delivered : Math.max(marks.delivered ?? marks.read, marks.read);
    const read =
      marks.read === undefined ? undefined : { seq: marks.read, contentCount: marks.readContentCount };
    // Common case, one request: every given mark is ahead of the stored one.
    const together = await this.raiseMarksTogether(conversationId, userId, delivered, read, hidden);
    if (together) return together;
    await Promise.all([
      delivered === undefined
        ? undefined
        : this.raiseMark(conversationId, userId, 'delivered', hidden, delivered),
      read === undefined
        ? undefined
        : this.raiseMark(conversationId, userId, 'read', hidden, read.seq, read.contentCount),
    ]);
    const membership = await this.getMembership(conversationId, userId);
    if (!membership) throw new NotFoundError('Not a member of this conversation');
    return membership;
  }

  /**
   * One conditional update of `read` alone: `delivered` is not written (a second condition on it would
   * refuse the write whenever delivery is ahead), and readers take `delivered` as at least `read`.
   */
  async raiseReadMark(
    conversationId: string,
    userId: string,
    read: number,
    readContentCount: number,
  ): Promise<boolean> {
    return updateIf(this.client, {
      TableName: this.tableName,
      Key: keys.member(conversationId, userId),
      UpdateExpression: 'SET #read = :read, readContentCount = :count',
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#read) OR #read < :read)',
      ExpressionAttributeNames: { '#read': 'read' },
      ExpressionAttributeValues: { ':read': read, ':count': readContentCount },
    });
  }

  /** One conditional update: a setting set to `false` or `null` is removed from the item. */
  async changeSettings(
    conversationId: string,
    userId: string,
    change: SettingsChange,
  ): Promise<Membership | undefined> {
    const sets: string[] = [];
    const removes: string[] = [];
    const values: Record<string, unknown> = {};
    for (const flag of ['archived', 'markedUnread'] as const) {
      const value = change[flag];
      if (value === true) {
        sets.push(`${flag} = :${flag}`);
        values[`:${flag}`] = true;
      } else if (value === false) removes.push(flag);
    }
    if (typeof change.mutedUntil === 'number') {
      sets.push('mutedUntil = :mutedUntil');
      values[':mutedUntil'] = change.mutedUntil;
    } else if (change.mutedUntil === null) removes.push('mutedUntil');
    const expression = [
      ...(sets.length > 0 ? [`SET ${sets.join(', ')}`] : []),
      ...(removes.length > 0 ? [`REMOVE ${removes.join(', ')}`] : []),
    ].join(' ');
    if (expression === '') return this.getMembership(conversationId, userId);
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.member(conversationId, userId),
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(pk)',
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toMembership(Attributes) : undefined;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      return undefined;
    }
  }

  async listPinned(userId: string): Promise<string[]> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.userPins(userId), ConsistentRead: true }),
    );
    return Item?.conversationIds instanceof Set ? [...Item.conversationIds].map(String) : [];
  }

  /** A conditional `ADD` to the user's set, refused when it is full and lacks this conversation. */
  async pin(userId: string, conversationId: string, limit: number): Promise<boolean> {
    return updateIf(this.client, {
      TableName: this.tableName,
      Key: keys.userPins(userId),
      UpdateExpression: 'ADD conversationIds :ids',
      ConditionExpression:
        'attribute_not_exists(conversationIds) OR size(conversationIds) < :limit OR contains(conversationIds, :id)',
      ExpressionAttributeValues: {
        ':ids': new Set([conversationId]),
        ':id': conversationId,
        ':limit': limit,
      },
    });
  }

  async unpin(userId: string, conversationIds: readonly string[]): Promise<void> {
    if (conversationIds.length === 0) return;
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.userPins(userId),
        UpdateExpression: 'DELETE conversationIds :ids',
        ExpressionAttributeValues: { ':ids': new Set(conversationIds) },
      }),
    );
  }

  async forgetCreator(conversationId: string, userId: string): Promise<void> {
    await updateIf(this.client, {
      TableName: this.tableName,
      Key: keys.conversation(conversationId),
      UpdateExpression: 'SET createdBy = :nobody',
      ConditionExpression: 'createdBy = :userId',
      ExpressionAttributeValues: { ':nobody': DELETED_CREATOR, ':userId': userId },
    });
  }

  /**
   * Counts the group in each user's groups, one conditional `ADD` each, at once. When any of them is
   * full (with a cap), the others are taken back and `LimitReachedError` names the full ones.
   */
  private async joinGroups(conversationId: string, userIds: readonly string[], limit: number | undefined) {
    const results = await Promise.allSettled(
      userIds.map(async (userId) => {
        const joined = await updateIf(this.client, {
          TableName: this.tableName,
          Key: keys.userGroups(userId),
          UpdateExpression: 'ADD groupIds :ids',
          ExpressionAttributeValues: {
            ':ids': new Set([conversationId]),
            ...(limit === undefined ? {} : { ':id': conversationId, ':limit': limit }),
          },
          ...(limit === undefined
            ? {}
            : {
                ConditionExpression:
                  'attribute_not_exists(groupIds) OR size(groupIds) < :limit OR contains(groupIds, :id)',
              }),
        });
        return { userId, joined };
      }),
    );
    const full = results.flatMap((result) =>
      result.status === 'fulfilled' && !result.value.joined ? [result.value.userId] : [],
    );
    const failure = results.find((result) => result.status === 'rejected');
    if (full.length === 0 && !failure) return;
    await this.leaveGroups(
      conversationId,
      results.flatMap((result) =>
        result.status === 'fulfilled' && result.value.joined ? [result.value.userId] : [],
      ),
    );
    if (failure) throw failure.reason;
    throw groupsFull(limit ?? 0, full);
  }

  /** Takes the group out of each user's groups; one absent already is no error. */
  private async leaveGroups(conversationId: string, userIds: readonly string[]) {
    await Promise.all(
      userIds.map((userId) =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.userGroups(userId),
            UpdateExpression: 'DELETE groupIds :ids',
            ExpressionAttributeValues: { ':ids': new Set([conversationId]) },
          }),
        ),
      ),
    );
  }

  /** Puts the member items a cut-off creation missed, unless the conversation has changed since. */
  private async completeMembers(stored: Conversation, version: number, members: readonly Membership[]) {
    if (stored.version !== version) return;
    const present = new Set((await this.listMembers(stored.conversationId)).map((member) => member.userId));
    const missing = members.filter(
      (member) => stored.memberIds.includes(member.userId) && !present.has(member.userId),
    );
    await Promise.all(
      missing.map(async (member) => {
        try {
          await this.client.send(
            new PutCommand({
              TableName: this.tableName,
              Item: memberItem({ ...member, conversationId: stored.conversationId }),
              // A racing repeat may have put it, and its marks may have moved since.
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          );
        } catch (error) {
          if (!isConditionFailed(error)) throw error;
        }
      }),
    );
  }

  private async setRole(conversationId: string, userId: string, role: Membership['role']) {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.member(conversationId, userId),
          UpdateExpression: 'SET #role = :role',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#role': 'role' },
          ExpressionAttributeValues: { ':role': role },
        }),
      );
    } catch (error) {
      // The member item is missing (a change cut off earlier): there is no one to give the role.
      if (!isConditionFailed(error)) throw error;
    }
  }

  /**
   * Raises all given marks in one conditional update (the read mark with its
   * content count); undefined when any of them is not behind.
   */
  private async raiseMarksTogether(
    conversationId: string,
    userId: string,
    delivered: number | undefined,
    read: { seq: number; contentCount: number } | undefined,
    hidden: boolean,
  ): Promise<Membership | undefined> {
    const given = Object.entries({ delivered, read: read?.seq }).filter(
      (entry): entry is ['delivered' | 'read', number] => entry[1] !== undefined,
    );
    if (given.length === 0) return undefined;
    const sets = given.map(([mark]) => `${hidden ? `#${mark}H` : `#${mark}`} = :${mark}`);
    const values: Record<string, unknown> = Object.fromEntries(
      given.map(([mark, value]) => [`:${mark}`, value]),
    );
    if (read) {
      sets.push('readContentCount = :readContentCount');
      values[':readContentCount'] = read.contentCount;
    }
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.member(conversationId, userId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: [
            'attribute_exists(pk)',
            ...given.map(([mark]) => `(attribute_not_exists(#${mark}) OR #${mark} < :${mark})`),
            // Ahead of the hidden marks too: a plain move never sets the member's own marks back.
            ...given.map(([mark]) => `(attribute_not_exists(#${mark}H) OR #${mark}H < :${mark})`),
          ].join(' AND '),
          ExpressionAttributeNames: Object.fromEntries(
            given.flatMap(([mark]) => [
              [`#${mark}`, mark],
              [`#${mark}H`, HIDDEN_MARKS[mark]],
            ]),
          ),
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? toMembership(Attributes) : undefined;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      return undefined;
    }
  }

  private async raiseMark(
    conversationId: string,
    userId: string,
    mark: 'delivered' | 'read',
    hidden: boolean,
    value: number,
    contentCount?: number,
  ) {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.member(conversationId, userId),
          UpdateExpression: `SET ${hidden ? '#hidden' : '#mark'} = :value${contentCount === undefined ? '' : ', readContentCount = :count'}`,
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(#mark) OR #mark < :value) AND ' +
            '(attribute_not_exists(#hidden) OR #hidden < :value)',
          ExpressionAttributeNames: { '#mark': mark, '#hidden': HIDDEN_MARKS[mark] },
          ExpressionAttributeValues: {
            ':value': value,
            ...(contentCount === undefined ? {} : { ':count': contentCount }),
          },
        }),
      );
    } catch (error) {
      // Already this far, or not a member: the read that follows tells which.
      if (!isConditionFailed(error)) throw error;
    }
  }
}

function conversationItem(conversation: Conversation): Item {
  return {
    ...keys.conversation(conversation.conversationId),
    conversationId: conversation.conversationId,
    kind: conversation.kind,
    ...(conversation.name === undefined ? {} : { name: conversation.name }),
    memberIds: [...conversation.memberIds],
    createdBy: conversation.createdBy,
    createdAt: conversation.createdAt,
    version: conversation.version,
    membersVersion: conversation.membersVersion,
  };
}

function toConversation(item: Item): Conversation {
  return {
    conversationId: String(item.conversationId),
    kind: ConversationKindSchema.parse(item.kind),
    ...(item.name === undefined ? {} : { name: String(item.name) }),
    memberIds: Array.isArray(item.memberIds) ? item.memberIds.map(String) : [],
    createdBy: String(item.createdBy),
    createdAt: Number(item.createdAt),
    version: Number(item.version),
    // Conversations stored before it was kept: their first member list.
    membersVersion: Number(item.membersVersion ?? 1),
  };
}

function memberItem(member: Membership): Item {
  return {
    ...keys.member(member.conversationId, member.userId),
    ...keys.memberIndex(member.conversationId, member.userId),
    conversationId: member.conversationId,
    userId: member.userId,
    role: member.role,
    joinedAt: member.joinedAt,
    delivered: member.delivered,
    read: member.read,
    readContentCount: member.readContentCount,
    ...(member.archived ? { archived: true } : {}),
    ...(member.mutedUntil === undefined ? {} : { mutedUntil: member.mutedUntil }),
    ...(member.markedUnread ? { markedUnread: true } : {}),
  };
}

/** Where a mark moved while only its member may see it is kept (see `advanceMarks`). */
const HIDDEN_MARKS = { delivered: 'hiddenDelivered', read: 'hiddenRead' } as const;

function toMembership(item: Item): Membership {
  // What was read reached a device, though a read mark may be written without delivery's.
  const shown = {
    delivered: Math.max(Number(item.delivered ?? 0), Number(item.read ?? 0)),
    read: Number(item.read ?? 0),
  };
  const read = Math.max(shown.read, Number(item.hiddenRead ?? 0));
  const delivered = Math.max(shown.delivered, Number(item.hiddenDelivered ?? 0), read);
  return {
    conversationId: String(item.conversationId),
    userId: String(item.userId),
    role: MemberRoleSchema.parse(item.role),
    joinedAt: Number(item.joinedAt),
    delivered,
    read,
    // Marks stored before it was kept counted every message as content.
    readContentCount: Number(item.readContentCount ?? item.read ?? 0),
    ...(shown.delivered < delivered || shown.read < read ? { shown } : {}),
    ...(item.archived === true ? { archived: true } : {}),
    ...(typeof item.mutedUntil === 'number' ? { mutedUntil: item.mutedUntil } : {}),
    ...(item.markedUnread === true ? { markedUnread: true } : {}),
  };
}
