import type { AccountExport } from '../../../shared/api/route-responses';
import { ConversationIdSchema } from '../../../shared/protocol/ids';
import {
  EXPORT_BLOCKS_PER_PAGE,
  EXPORT_CONVERSATIONS_PER_PAGE,
  EXPORT_FRIENDS_PER_PAGE,
} from '../../../shared/protocol/limits';
import * as z from '../../../shared/zod';
import { decodeCursor, encodeCursor } from '../../cursor';
import { NotFoundError } from '../../errors';
import type { BackupStore } from '../../ports/backup-store';
import type { ConversationStore } from '../../ports/conversation-store';
import type { DeviceDirectory } from '../../ports/device-directory';
import type { Profile, ProfileStore } from '../../ports/profile-store';
import type { RelationshipStore } from '../../ports/relationship-store';
import type { Caller } from '../access';
import { settingsOf } from '../conversation/settings-view';
import { pushSubscriptionView } from '../device/push-subscription-view';
import { iso, unknownProfile } from '../views';

export interface ExportMyDataDeps {
  readonly profiles: Pick<ProfileStore, 'get' | 'getMany'>;
  readonly relationships: Pick<RelationshipStore, 'listFriends' | 'listBlocks'>;
  readonly conversations: Pick<
    ConversationStore,
    'pageConversationIdsOf' | 'getMany' | 'getMemberships' | 'listPinned'
  >;
  readonly devices: Pick<DeviceDirectory, 'list' | 'listPushSubscriptions'>;
  readonly backups: Pick<BackupStore, 'getHead'>;
  readonly clock: () => number;
}

type Part = 'friends' | 'blocks' | 'conversations';

/** Where the next page starts: the part, and the position in it (a store's cursor, or the last conversation id). */
const ExportCursorSchema = z.union([
  z.tuple([z.enum(['friends', 'blocks']), z.string().check(z.minLength(1), z.maxLength(400))]),
  z.tuple([z.literal('conversations'), ConversationIdSchema]),
]);

type Person = Pick<AccountExport['blocks'][number], 'userId' | 'username' | 'displayName'>;

/** A person by name: never their email, nor their picture. */
function personOf(profile: Pick<Profile, 'userId' | 'username' | 'displayName'>): Person {
  return { userId: profile.userId, username: profile.username, displayName: profile.displayName };
}

/**
 * One page of what the server holds about the caller (`GET /me/export`): the profile and devices on the
 * first, then friends and requests, blocks and conversations (each with the caller's place in it and its
 * members), in that order, each part read in pages of its own. A page stops at the first part with more to
 * read and says where to go on (`next`). Pages are bounded (see `EXPORT_FRIENDS_PER_PAGE`), so the answer
 * stays far below Lambda's 6 MB response limit however much a user has.
 * 1. Read the profile and devices (first page only) beside the part the cursor names.
 * 2. Read that part's page; when it is the last of that part, read the next part from its start.
 * 3. Name everyone by their public profile only.
 */
export function exportMyData(deps: ExportMyDataDeps) {
  const people = async (userIds: readonly string[]) => {
    const found = new Map((await deps.profiles.getMany(userIds)).map((p) => [p.userId, personOf(p)]));
    return (userId: string) => found.get(userId) ?? personOf(unknownProfile(userId));
  };

  async function readProfile(userId: string): Promise<NonNullable<AccountExport['profile']>> {
    const profile = await deps.profiles.get(userId);
    // `GET /me` makes the profile on the first sign-in; nothing else is stored before it.
    if (!profile) throw new NotFoundError('No profile yet: sign in to Parley first');
    return {
      ...personOf(profile),
      email: profile.email,
      createdAt: iso(profile.createdAt),
      hasPicture: profile.avatarId !== undefined,
    };
  }

  async function readDevices(userId: string): Promise<NonNullable<AccountExport['devices']>> {
    const [devices, subscriptions] = await Promise.all([
      deps.devices.list(userId),
      deps.devices.listPushSubscriptions(userId),
    ]);
    const subscriptionOf = new Map(subscriptions.map((s) => [s.deviceId, pushSubscriptionView(s)]));
    return devices.map((device) => {
      const pushSubscription = subscriptionOf.get(device.deviceId);
      return {
        deviceId: device.deviceId,
        ...(device.name === undefined ? {} : { name: device.name }),
        createdAt: iso(device.createdAt),
        ...(device.revokedAt === undefined ? {} : { revokedAt: iso(device.revokedAt) }),
        signaturePublicKey: Buffer.from(device.signaturePublicKey).toString('base64'),
        ...(pushSubscription === undefined ? {} : { pushSubscription }),
      };
    });
  }

  /** The backup's size and date only: its bytes are the caller's ciphertext, read with `GET /me/backup`. */
  async function readBackup(userId: string): Promise<AccountExport['backup']> {
    const head = await deps.backups.getHead(userId);
    if (!head) return undefined;
    return { bytes: head.bytes, chunks: head.chunkIds.length, updatedAt: iso(head.updatedAt) };
  }

  async function readFriends(userId: string, cursor: string | undefined) {
    const page = await deps.relationships.listFriends(userId, EXPORT_FRIENDS_PER_PAGE, cursor);
    const person = await people(page.items.map((edge) => edge.otherId));
    const items = page.items.map((edge) => ({
      ...person(edge.otherId),
      state: edge.state,
      since: iso(edge.since),
    }));
    return { items, next: page.next };
  }

  async function readBlocks(userId: string, cursor: string | undefined) {
    const page = await deps.relationships.listBlocks(userId, EXPORT_BLOCKS_PER_PAGE, cursor);
    const person = await people(page.items.map((block) => block.blockedId));
    const items = page.items.map((block) => ({ ...person(block.blockedId), since: iso(block.since) }));
    return { items, next: page.next };
  }

  async function readConversations(userId: string, after: string | undefined, now: number) {
    const { ids, next } = await deps.conversations.pageConversationIdsOf(
      userId,
      EXPORT_CONVERSATIONS_PER_PAGE,
      after,
    );
    const [stored, memberships, pins] = await Promise.all([
      deps.conversations.getMany(ids),
      deps.conversations.getMemberships(userId, ids),
      deps.conversations.listPinned(userId),
    ]);
    const conversationOf = new Map(stored.map((c) => [c.conversationId, c]));
    const membershipOf = new Map(memberships.map((m) => [m.conversationId, m]));
    // The index lags a removal by moments: trust the conversation's own member list, as the list does.
    const mine = ids.flatMap((id) => {
      const conversation = conversationOf.get(id);
      const membership = membershipOf.get(id);
      return conversation?.memberIds.includes(userId) && membership ? [{ conversation, membership }] : [];
    });
    const person = await people([...new Set(mine.flatMap(({ conversation }) => conversation.memberIds))]);
    const items = mine.map(({ conversation, membership }) => {
      const { conversationId: _id, ...settings } = settingsOf(
        membership,
        pins.includes(conversation.conversationId),
        now,
      );
      return {
        conversationId: conversation.conversationId,
        kind: conversation.kind,
        ...(conversation.name === undefined ? {} : { name: conversation.name }),
        createdAt: iso(conversation.createdAt),
        role: membership.role,
        joinedAt: iso(membership.joinedAt),
        settings,
        members: conversation.memberIds.map(person),
      };
    });
    return { items, next };
  }

  return async (caller: Caller, cursor?: string): Promise<AccountExport> => {
    const now = deps.clock();
    let [part, at]: [Part, string | undefined] =
      cursor === undefined ? ['friends', undefined] : decodeCursor(cursor, ExportCursorSchema);
    const first =
      cursor === undefined
        ? Promise.all([readProfile(caller.userId), readDevices(caller.userId), readBackup(caller.userId)])
        : undefined;
    // Awaited below, unless a part fails first: then its failure is the one to answer.
    first?.catch(() => undefined);
    const page: AccountExport = {
      format: 1,
      exportedAt: iso(now),
      friends: [],
      blocks: [],
      conversations: [],
    };
    const finish = async (next?: [Part, string]): Promise<AccountExport> => {
      const [profile, devices, backup] = first ? await first : [];
      return {
        ...page,
        ...(profile === undefined ? {} : { profile }),
        ...(devices === undefined ? {} : { devices }),
        ...(backup === undefined ? {} : { backup }),
        ...(next === undefined ? {} : { next: encodeCursor(next) }),
      };
    };
    if (part === 'friends') {
      const { items, next } = await readFriends(caller.userId, at);
      page.friends = items;
      if (next !== undefined) return finish(['friends', next]);
      [part, at] = ['blocks', undefined];
    }
    if (part === 'blocks') {
      const { items, next } = await readBlocks(caller.userId, at);
      page.blocks = items;
      if (next !== undefined) return finish(['blocks', next]);
      at = undefined;
    }
    const { items, next } = await readConversations(caller.userId, at, now);
    page.conversations = items;
    return finish(next === undefined ? undefined : ['conversations', next]);
  };
}
