import { randomBytes } from 'node:crypto';
import type { ConversationPush } from '../../../shared/protocol/outbound';
import type {
  ConversationDetail,
  ConversationEvent,
  ConversationSummary,
  MemberRole,
  Page,
} from '../../../shared/protocol/resources';
import * as z from '../../../shared/zod';
import type { Caps } from '../../caps';
import { decodeCursor, encodeCursor } from '../../cursor';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors';
import type {
  Conversation,
  ConversationStore,
  Membership,
  MembershipChange,
} from '../../ports/conversation-store';
import type { FanoutQueue } from '../../ports/fanout-queue';
import { ACCOUNT_DELETED, type LogHead, type MessageLog } from '../../ports/message-log';
import type { ProfileStore } from '../../ports/profile-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { RelationshipStore } from '../../ports/relationship-store';
import { type Caller, requireMembership } from '../access';
import { inParallel } from '../in-parallel';
import { envelope, iso, marksSeenBy, profilesById } from '../views';
import { directConversationId } from './direct-conversation';
import { logConversationEvent } from './log-event';
import { settingsFields } from './settings-view';

/** Members of a group, creator included. */
export const MAX_GROUP_MEMBERS = 256;

/**
 * Conversations a deleted account leaves at a time: one at a time, a user in as many groups as they may be
 * (`groupsPerUser`) would outlast the function's timeout; each leave is a handful of round trips.
 */
const DEPARTURES_AT_ONCE = 8;

/** Tries of a membership change that lost a race to another change. */
const CHANGE_ATTEMPTS = 3;

export interface ConversationsDeps {
  readonly conversations: ConversationStore;
  readonly messages: MessageLog;
  readonly profiles: ProfileStore;
  readonly relationships: RelationshipStore;
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  readonly caps: Pick<Caps, 'groupsPerUser'>;
  readonly clock: () => number;
}

/** The last conversation id of the page before. */
const ListCursorSchema = z.tuple([z.string()]);

/**
 * Direct conversations and groups: creation, listing, renaming, membership.
 * Every change is pushed to the members (and to whoever was removed or left).
 */
export function conversations(deps: ConversationsDeps) {
  const logEvent = logConversationEvent(deps);

  async function announce(
    caller: Caller,
    conversation: Conversation,
    event: ConversationPush['event'],
    userIds?: readonly string[],
    role?: MemberRole,
  ) {
    const frame: ConversationPush = {
      type: 'conversation',
      event,
      conversationId: conversation.conversationId,
      kind: conversation.kind,
      ...(conversation.name !== undefined ? { name: conversation.name } : {}),
      memberIds: [...conversation.memberIds],
      actorId: caller.userId,
      ...(userIds ? { userIds: [...userIds] } : {}),
      ...(role ? { role } : {}),
      membersVersion: conversation.membersVersion,
    };
    const gone = (userIds ?? []).filter((id) => !conversation.memberIds.includes(id));
    await deps.fanout.enqueue({
      kind: 'conversation',
      conversationId: conversation.conversationId,
      frame,
      correlationId: caller.correlationId,
      ...(gone.length > 0 ? { alsoUserIds: gone } : {}),
    });
  }

  async function summarize(conversation: Conversation, membership: Membership): Promise<ConversationSummary> {
    const [heads, pinned] = await Promise.all([
      deps.messages.heads([conversation.conversationId]),
      deps.conversations.listPinned(membership.userId),
    ]);
    const head = heads.get(conversation.conversationId) ?? emptyHead(conversation.conversationId);
    const [last] =
      head.contentSeq !== undefined
        ? await deps.messages.getMany([{ conversationId: head.conversationId, seq: head.contentSeq }])
        : [];
    return summary(
      conversation,
      membership,
      head,
      last ? envelope(last) : undefined,
      pinned.includes(conversation.conversationId),
      deps.clock(),
    );
  }

  async function detail(conversation: Conversation, membership: Membership): Promise<ConversationDetail> {
    const [base, members] = await Promise.all([
      summarize(conversation, membership),
      deps.conversations.listMembers(conversation.conversationId),
    ]);
    const profile = profilesById(await deps.profiles.getMany(members.map((m) => m.userId)));
    const { memberIds: _memberIds, ...rest } = base;
    return {
      ...rest,
      membersVersion: conversation.membersVersion,
      members: members.map((m) => ({
        user: profile(m.userId),
        role: m.role,
        joinedAt: iso(m.joinedAt),
        ...marksSeenBy(membership.userId, m),
      })),
    };
  }

  async function requireGroupAdmin(caller: Caller, conversationId: string) {
    const membership = await requireMembership(deps.conversations, conversationId, caller.userId);
    const conversation = await deps.conversations.get(conversationId);
    if (!conversation) throw new ForbiddenError('You are not a member of this conversation');
    if (conversation.kind !== 'group') throw new ForbiddenError('Only groups have members to manage');
    if (membership.role !== 'admin') throw new ForbiddenError('Only admins may do this');
    return { membership, conversation };
  }

  /** Applies a change computed from the stored conversation, again if another change came first. */
  async function changeWithRetry(
    conversationId: string,
    compute: (conversation: Conversation) => Promise<MembershipChange> | MembershipChange,
  ): Promise<Conversation> {
    for (let attempt = 1; ; attempt += 1) {
      const current = await deps.conversations.get(conversationId);
      if (!current) throw new NotFoundError('No such conversation');
      try {
        return await deps.conversations.change(conversationId, current.version, await compute(current));
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= CHANGE_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Takes `userId` out of the conversation (`event` says how: they left, or were removed) in one change
   * of its members, handing a last admin's role to the longest-standing member; then logs the line and
   * tells everyone, the user too.
   */
  async function takeOut(
    caller: Caller,
    conversationId: string,
    userId: string,
    event: 'member_left' | 'member_removed',
    /** The line logged, when it says more than the push (`account_deleted`). */
    line: ConversationEvent['type'] = event,
  ): Promise<void> {
    let heir: Membership | undefined;
    const changed = await changeWithRetry(conversationId, async (current) => {
      if (!current.memberIds.includes(userId)) throw new NotFoundError('No such member');
      const remaining = await deps.conversations.listMembers(conversationId);
      const others = remaining.filter((m) => m.userId !== userId);
      // A direct conversation has no admins to hand on.
      heir =
        current.kind !== 'group' || others.some((m) => m.role === 'admin') || others.length === 0
          ? undefined
          : [...others].sort((a, b) => a.joinedAt - b.joinedAt || a.userId.localeCompare(b.userId))[0];
      return { remove: [userId], ...(heir ? { roles: { [heir.userId]: 'admin' as const } } : {}) };
    });
    // Logged once the member is out: a removed member does not read the line about their removal.
    if (changed.memberIds.length > 0) {
      await logEvent(caller, changed, {
        type: line,
        actorId: caller.userId,
        userIds: [userId],
        ...(heir ? { admins: [heir.userId] } : {}),
      });
    }
    await announce(caller, changed, event, [userId]);
  }

  async function requireFriends(userId: string, otherIds: readonly string[]) {
    const friends = new Set(await deps.relationships.listFriendIds(userId));
    const strangers = otherIds.filter((id) => !friends.has(id));
    if (strangers.length > 0) throw new ForbiddenError('Members must be your friends');
  }

  const member = (
    conversationId: string,
    userId: string,
    role: 'admin' | 'member',
    now: number,
  ): Membership => ({
    conversationId,
    userId,
    role,
    joinedAt: now,
    delivered: 0,
    read: 0,
    readContentCount: 0,
  });

  return {
    /**
     * The direct conversation with a friend, created on first use.
     * 1. Refuse oneself, unknown users and users blocked either way.
     * 2. Return it when it exists; else require friendship and create it.
     */
    async openDirect(caller: Caller, peerId: string): Promise<Conversation> {
      if (caller.userId === peerId) throw new ValidationError('A direct conversation needs another user');
      const conversationId = directConversationId(caller.userId, peerId);
      const [relation, existing] = await Promise.all([
        deps.relationships.relation(caller.userId, peerId),
        deps.conversations.get(conversationId),
      ]);
      if (relation.blocks || relation.blockedBy) throw new ForbiddenError('You cannot message this user');
      if (existing) return existing;
      if (relation.friend?.state !== 'friend') throw new ForbiddenError('You can only message friends');
      const now = deps.clock();
      const { created, ...conversation } = await deps.conversations.createIfAbsent(
        {
          conversationId,
          kind: 'direct',
          memberIds: [caller.userId, peerId].sort(),
          createdBy: caller.userId,
          createdAt: now,
          version: 1,
          membersVersion: 1,
        },
        [member(conversationId, caller.userId, 'member', now), member(conversationId, peerId, 'member', now)],
      );
      if (created) {
        await announce(caller, conversation, 'created');
      }
      return conversation;
    },

    /**
     * Creates a group of the caller's friends, the caller as admin.
     * 1. Count it against the write allowance; check size and friendship.
     * 2. Store it with every membership, unless a member (the caller included) is in as many groups
     *    as `groupsPerUser` allows: then nothing is stored. Tell every member.
     */
    async createGroup(caller: Caller, name: string, memberIds: readonly string[]): Promise<Conversation> {
      await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
      const others = [...new Set(memberIds)].filter((id) => id !== caller.userId);
      if (others.length === 0) throw new ValidationError('A group needs at least one other member');
      if (others.length + 1 > MAX_GROUP_MEMBERS) {
        throw new ValidationError(`A group has at most ${MAX_GROUP_MEMBERS} members`);
      }
      await requireFriends(caller.userId, others);
      const now = deps.clock();
      const conversationId = `g_${randomBytes(16).toString('base64url')}`;
      const { created, ...conversation } = await deps.conversations.createIfAbsent(
        {
          conversationId,
          kind: 'group',
          name,
          memberIds: [caller.userId, ...others],
          createdBy: caller.userId,
          createdAt: now,
          version: 1,
          membersVersion: 1,
        },
        [
          member(conversationId, caller.userId, 'admin', now),
          ...others.map((id) => member(conversationId, id, 'member', now)),
        ],
        { groupsPerUser: deps.caps.groupsPerUser },
      );
      if (created) await announce(caller, conversation, 'created');
      return conversation;
    },

    async get(caller: Caller, conversationId: string): Promise<ConversationDetail> {
      const membership = await requireMembership(deps.conversations, conversationId, caller.userId);
      const conversation = await deps.conversations.get(conversationId);
      if (!conversation) throw new ForbiddenError('You are not a member of this conversation');
      return detail(conversation, membership);
    },

    /**
     * One page of the caller's conversations: pages follow in conversation-id order, and each page is
     * sorted newest content activity first (commits do not count). A client with more than one page
     * sorts the whole list itself. Every request reads a bounded amount, whatever the user's count:
     * 1. Query one page of the caller's conversation ids from the index (one more, to know if more follow).
     * 2. Read those conversations, their log heads, the caller's marks and pins at once.
     * 3. Sort the page; read the last content message of each.
     */
    async list(caller: Caller, limit: number, cursor?: string): Promise<Page<ConversationSummary>> {
      const after = cursor ? decodeCursor(cursor, ListCursorSchema)[0] : undefined;
      const { ids, next } = await deps.conversations.pageConversationIdsOf(caller.userId, limit, after);
      const [stored, heads, memberships, pins] = await Promise.all([
        deps.conversations.getMany(ids),
        deps.messages.heads(ids),
        deps.conversations.getMemberships(caller.userId, ids),
        deps.conversations.listPinned(caller.userId),
      ]);
      const pinned = new Set(pins);
      const now = deps.clock();
      const byId = new Map(stored.map((c) => [c.conversationId, c]));
      const rows = memberships
        .flatMap((m) => {
          const conversation = byId.get(m.conversationId);
          // The index lags a removal by moments: trust the conversation's own member list.
          if (!conversation?.memberIds.includes(caller.userId)) return [];
          const head = heads.get(m.conversationId) ?? emptyHead(m.conversationId);
          return [{ conversation, membership: m, head, at: head.contentAt ?? conversation.createdAt }];
        })
        .sort(
          (a, b) => b.at - a.at || byCodeUnit(a.conversation.conversationId, b.conversation.conversationId),
        );
      // The last content message of each: a commit is never the preview.
      const last = await deps.messages.getMany(
        rows.flatMap((row) =>
          row.head.contentSeq === undefined
            ? []
            : [{ conversationId: row.head.conversationId, seq: row.head.contentSeq }],
        ),
      );
      const lastById = new Map(last.map((m) => [m.conversationId, envelope(m)]));
      return {
        items: rows.map((row) =>
          summary(
            row.conversation,
            row.membership,
            row.head,
            lastById.get(row.conversation.conversationId),
            pinned.has(row.conversation.conversationId),
            now,
          ),
        ),
        ...(next === undefined ? {} : { next: encodeCursor([next]) }),
      };
    },

    async rename(caller: Caller, conversationId: string, name: string): Promise<ConversationDetail> {
      await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
      const { membership } = await requireGroupAdmin(caller, conversationId);
      let renamed = false;
      const changed = await changeWithRetry(conversationId, (current) => {
        renamed = current.name !== name;
        return { name };
      });
      // The same name again is no news: no line in the chat.
      if (renamed) await logEvent(caller, changed, { type: 'renamed', actorId: caller.userId, name });
      await announce(caller, changed, 'renamed');
      return detail(changed, membership);
    },

    async addMembers(
      caller: Caller,
      conversationId: string,
      userIds: readonly string[],
    ): Promise<ConversationDetail> {
      await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
      const { membership } = await requireGroupAdmin(caller, conversationId);
      const wanted = [...new Set(userIds)].filter((id) => id !== caller.userId);
      await requireFriends(caller.userId, wanted);
      const now = deps.clock();
      let added: string[] = [];
      const changed = await changeWithRetry(conversationId, (current) => {
        added = wanted.filter((id) => !current.memberIds.includes(id));
        if (current.memberIds.length + added.length > MAX_GROUP_MEMBERS) {
          throw new ValidationError(`A group has at most ${MAX_GROUP_MEMBERS} members`);
        }
        // A user in as many groups as the cap allows refuses the whole change.
        return {
          add: added.map((id) => member(conversationId, id, 'member', now)),
          groupsPerUser: deps.caps.groupsPerUser,
        };
      });
      if (added.length > 0) {
        await logEvent(caller, changed, { type: 'members_added', actorId: caller.userId, userIds: added });
        await announce(caller, changed, 'members_added', added);
      }
      return detail(changed, membership);
    },

    /**
     * Removes a member (admins), or the caller themself (leaving).
     * A last admin who leaves hands the role to the longest-standing member.
     * The removed user is told too, and loses access at once.
     */
    async removeMember(caller: Caller, conversationId: string, userId: string): Promise<void> {
      await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
      const leaving = userId === caller.userId;
      const membership = await requireMembership(deps.conversations, conversationId, caller.userId);
      const conversation = await deps.conversations.get(conversationId);
      if (!conversation) throw new ForbiddenError('You are not a member of this conversation');
      if (conversation.kind !== 'group')
        throw new ForbiddenError('Nobody joins or leaves a direct conversation');
      if (!leaving && membership.role !== 'admin') throw new ForbiddenError('Only admins may remove members');
      if (!conversation.memberIds.includes(userId)) throw new NotFoundError('No such member');
      await takeOut(caller, conversationId, userId, leaving ? 'member_left' : 'member_removed');
    },

    /**
     * Takes a user whose account is being deleted out of every conversation, as if they left each: the
     * members read that they left, a last admin's role goes to the longest-standing member, and a direct
     * conversation is closed to messages (its history stays for the other member). Counts no allowance:
     * it is one step of the deletion, which the caller asked for once. Repeatable.
     */
    async departAll(caller: Caller): Promise<number> {
      const ids = await deps.conversations.listConversationIdsOf(caller.userId);
      const left = await inParallel(ids, DEPARTURES_AT_ONCE, async (conversationId) => {
        const conversation = await deps.conversations.get(conversationId);
        if (!conversation?.memberIds.includes(caller.userId)) return false;
        // Closed first: a retry finds the user gone and does not come back to close it.
        if (conversation.kind === 'direct') {
          await deps.messages.setClosed(conversationId, ACCOUNT_DELETED, true);
        }
        await takeOut(caller, conversationId, caller.userId, 'member_left', 'account_deleted');
        await deps.conversations.forgetCreator(conversationId, caller.userId);
        return true;
      });
      return left.filter(Boolean).length;
    },

    /**
     * Makes a member an admin, or an admin a member again (admins only). A group keeps at least one
     * admin: the last one cannot step down (`CONFLICT`); they make someone else admin first, or leave,
     * which hands the role to the longest-standing member.
     * 1. Check the caller is an admin and the user a member; a role they have already is no change.
     * 2. Store the role (conditional on the conversation's version, like any change), log it, tell everyone.
     */
    async setRole(
      caller: Caller,
      conversationId: string,
      userId: string,
      role: MemberRole,
    ): Promise<ConversationDetail> {
      await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
      const { membership, conversation } = await requireGroupAdmin(caller, conversationId);
      const keepsAnAdmin = (members: readonly Membership[]) => {
        if (role === 'member' && !members.some((m) => m.role === 'admin' && m.userId !== userId)) {
          throw new ConflictError('A group keeps at least one admin: make another member admin first');
        }
      };
      const members = await deps.conversations.listMembers(conversationId);
      const target = members.find((m) => m.userId === userId);
      if (!target) throw new NotFoundError('No such member');
      if (target.role === role) return detail(conversation, membership);
      keepsAnAdmin(members);
      const changed = await changeWithRetry(conversationId, async (current) => {
        if (!current.memberIds.includes(userId)) throw new NotFoundError('No such member');
        // Another admin may have stepped down meanwhile.
        keepsAnAdmin(await deps.conversations.listMembers(conversationId));
        return { roles: { [userId]: role } };
      });
      await logEvent(caller, changed, {
        type: 'role_changed',
        actorId: caller.userId,
        userIds: [userId],
        role,
      });
      await announce(caller, changed, 'role_changed', [userId], role);
      // The caller may have just stepped down: their own view shows it.
      const mine = userId === caller.userId ? { ...membership, role } : membership;
      return detail(changed, mine);
    },

    /** The detail view, for answers to create calls. */
    async detailFor(caller: Caller, conversation: Conversation): Promise<ConversationDetail> {
      const membership = await requireMembership(
        deps.conversations,
        conversation.conversationId,
        caller.userId,
      );
      return detail(conversation, membership);
    },
  };
}

function emptyHead(conversationId: string): LogHead {
  return { conversationId, seq: 0, contentCount: 0 };
}

/** The same order as `<` on strings, so the cursor's "after" test agrees with the sort. */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function summary(
  conversation: Conversation,
  membership: Membership,
  head: LogHead,
  lastMessage: ConversationSummary['lastMessage'],
  pinned: boolean,
  now: number,
): ConversationSummary {
  return {
    conversationId: conversation.conversationId,
    kind: conversation.kind,
    ...(conversation.name !== undefined ? { name: conversation.name } : {}),
    memberIds: [...conversation.memberIds],
    role: membership.role,
    createdAt: iso(conversation.createdAt),
    lastActivityAt: iso(head.contentAt ?? conversation.createdAt),
    lastSeq: head.seq,
    ...(lastMessage ? { lastMessage } : {}),
    // Content messages past the read mark, from two running counts: no log read, commits left out.
    unread: Math.max(0, head.contentCount - membership.readContentCount),
    delivered: membership.delivered,
    read: membership.read,
    ...settingsFields(membership, pinned, now),
  };
}
