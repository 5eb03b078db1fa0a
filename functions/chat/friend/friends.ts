import type { Block, Friend, FriendState, Page, PublicProfile } from '../../../shared/protocol/resources';
import type { Caps } from '../../caps';
import {
  ConflictError,
  ForbiddenError,
  FriendsFullError,
  LimitReachedError,
  NotFoundError,
  ValidationError,
} from '../../errors';
import type { FanoutQueue } from '../../ports/fanout-queue';
import { FRIENDSHIP_ENDED, type MessageLog } from '../../ports/message-log';
import type { Profile, ProfileStore } from '../../ports/profile-store';
import type { RateLimiter } from '../../ports/rate-limiter';
import type { FriendEdge, RelationshipStore } from '../../ports/relationship-store';
import type { Caller } from '../access';
import { directConversationId } from '../conversation/direct-conversation';
import { inParallel } from '../in-parallel';
import { notifyUsers } from '../push/notify';
import { iso, profilesById, publicProfile } from '../views';

export interface FriendsDeps {
  readonly profiles: ProfileStore;
  readonly relationships: RelationshipStore;
  /** Blocks and ended friendships close the two users' direct conversation to messages. */
  readonly messages: Pick<MessageLog, 'setClosed'>;
  readonly fanout: FanoutQueue;
  readonly rateLimiter: RateLimiter;
  readonly caps: Pick<Caps, 'friendsPerUser'>;
  readonly clock: () => number;
}

export type FriendTarget = { userId: string } | { username: string } | { email: string };

/**
 * Friend requests, friendships and blocks. Every change is pushed to the
 * other user and to the caller's own devices, so all of them stay in step.
 */
/** Friend edges read per page while a deleted account's friendships are ended. */
const FRIENDS_PER_READ = 100;
/**
 * Friendships a deleted account ends at a time: one at a time, a user with as many friends and requests as
 * they may hold (`friendsPerUser`) would take minutes; each is a handful of round trips.
 */
const ENDINGS_AT_ONCE = 8;

export function friends(deps: FriendsDeps) {
  const edge = (userId: string, otherId: string, state: FriendState, since: number): FriendEdge => ({
    userId,
    otherId,
    state,
    since,
  });

  async function profileOf(userId: string): Promise<Profile> {
    const profile = await deps.profiles.get(userId);
    if (!profile) throw new NotFoundError('No such user');
    return profile;
  }

  async function resolve(target: FriendTarget): Promise<Profile | undefined> {
    if ('userId' in target) return deps.profiles.get(target.userId);
    if ('username' in target) return deps.profiles.findByUsername(target.username.toLowerCase());
    return deps.profiles.findByEmail(target.email.toLowerCase());
  }

  /** Tells `other` what `caller` did, and the caller's devices what it means for them. */
  async function announce(
    caller: Caller & { profile: Profile },
    other: Profile,
    event: 'requested' | 'accepted' | 'rejected' | 'cancelled' | 'removed',
    states: { caller?: FriendState; other?: FriendState },
  ) {
    await Promise.all([
      notifyUsers(
        deps.fanout,
        [other.userId],
        {
          type: 'friend',
          event,
          user: publicProfile(caller.profile),
          ...(states.other ? { state: states.other } : {}),
        },
        caller.correlationId,
      ),
      notifyUsers(
        deps.fanout,
        [caller.userId],
        {
          type: 'friend',
          event,
          user: publicProfile(other),
          ...(states.caller ? { state: states.caller } : {}),
        },
        caller.correlationId,
      ),
    ]);
  }

  /**
   * Reopens the direct conversation of two users about to be friends (again), unless a block
   * still closes it. Done before the friendship is stored, so an accept cut off half-way is
   * retried whole.
   */
  async function reopenDirect(userId: string, otherId: string): Promise<void> {
    await deps.messages.setClosed(directConversationId(userId, otherId), FRIENDSHIP_ENDED, false);
  }

  /** The refusal of the caller's own full list, whatever they asked. */
  const callerFull = (cause: FriendsFullError) =>
    new LimitReachedError(
      'friendsPerUser',
      cause.limit,
      'You have as many friends and friend requests as allowed: remove a friend, or cancel or reject a request, to make room',
      { cause },
    );

  /**
   * Stores a new request both ways, each user counted (`friendsPerUser`). A full recipient is answered as a
   * user who blocked the caller is, as one who does not exist: the sender, who may be a stranger, learns
   * nothing of how many friends and requests the recipient holds, and cannot tell it from a block.
   */
  async function storeRequest(callerId: string, otherId: string, now: number): Promise<void> {
    try {
      await deps.relationships.putFriendPair(
        edge(callerId, otherId, 'outgoing', now),
        edge(otherId, callerId, 'incoming', now),
        deps.caps.friendsPerUser,
      );
    } catch (error) {
      if (!(error instanceof FriendsFullError)) throw error;
      if (error.userIds.includes(callerId)) throw callerFull(error);
      throw new NotFoundError('No such user', { cause: error });
    }
  }

  /**
   * Stores a friendship in place of the request `otherId` sent, their direct conversation reopened first
   * (see `reopenDirect`). A counted request holds both places already, so this is refused only for one
   * stored before friend edges were counted, when it would take a user past the cap: the conversation is
   * then closed again, as it is between users who are not friends. The one who accepts is told whose list
   * is full: the other asked them.
   */
  async function storeFriendship(callerId: string, otherId: string, now: number): Promise<void> {
    await reopenDirect(callerId, otherId);
    try {
      await deps.relationships.putFriendPair(
        edge(callerId, otherId, 'friend', now),
        edge(otherId, callerId, 'friend', now),
        deps.caps.friendsPerUser,
      );
    } catch (error) {
      if (!(error instanceof FriendsFullError)) throw error;
      await deps.messages.setClosed(directConversationId(callerId, otherId), FRIENDSHIP_ENDED, true);
      if (error.userIds.includes(callerId)) throw callerFull(error);
      throw new LimitReachedError(
        'friendsPerUser',
        error.limit,
        'This request cannot be accepted now: the user who sent it has as many friends and friend requests as allowed',
        { cause: error },
      );
    }
  }

  async function requireEdge(caller: Caller, otherId: string, state: FriendState, what: string) {
    await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
    const [relation, me, other] = await Promise.all([
      deps.relationships.relation(caller.userId, otherId),
      profileOf(caller.userId),
      deps.profiles.get(otherId),
    ]);
    if (relation.friend?.state !== state || !other) throw new NotFoundError(`No ${what} with this user`);
    return { me, other };
  }

  return {
    /**
     * Asks a user to be friends.
     * 1. Count it against the caller's request allowance; find the user.
     * 2. Refuse when either has blocked the other (to the blocked one, as if the user did not exist), or
     *    they are friends already.
     * 3. If they already asked the caller, this accepts; else store the request both ways, refused when
     *    either user holds `friendsPerUser` friends and requests already (see `storeRequest`).
     */
    async request(caller: Caller, target: FriendTarget): Promise<Friend> {
      await deps.rateLimiter.consume(caller.userId, 'friendRequest', deps.clock());
      const [me, other] = await Promise.all([profileOf(caller.userId), resolve(target)]);
      if (!other) throw new NotFoundError('No such user');
      if (other.userId === caller.userId) throw new ValidationError('You cannot befriend yourself');
      const relation = await deps.relationships.relation(caller.userId, other.userId);
      // Whoever is blocked learns nothing of it: the answer is the one for a user who does not exist.
      if (relation.blockedBy) throw new NotFoundError('No such user');
      if (relation.blocks) throw new ForbiddenError('You blocked this user: unblock them first');
      const now = deps.clock();
      const state = relation.friend?.state;
      if (state === 'friend') throw new ConflictError('You are friends already');
      if (state === 'outgoing')
        return { user: publicProfile(other), state, since: iso(relation.friend?.since ?? now) };
      if (state === 'incoming') {
        await storeFriendship(caller.userId, other.userId, now);
        await announce({ ...caller, profile: me }, other, 'accepted', { caller: 'friend', other: 'friend' });
        return { user: publicProfile(other), state: 'friend', since: iso(now) };
      }
      await storeRequest(caller.userId, other.userId, now);
      await announce({ ...caller, profile: me }, other, 'requested', {
        caller: 'outgoing',
        other: 'incoming',
      });
      return { user: publicProfile(other), state: 'outgoing', since: iso(now) };
    },

    async accept(caller: Caller, otherId: string): Promise<Friend> {
      const { me, other } = await requireEdge(caller, otherId, 'incoming', 'request');
      const now = deps.clock();
      await storeFriendship(caller.userId, otherId, now);
      await announce({ ...caller, profile: me }, other, 'accepted', { caller: 'friend', other: 'friend' });
      return { user: publicProfile(other), state: 'friend', since: iso(now) };
    },

    async reject(caller: Caller, otherId: string): Promise<void> {
      const { me, other } = await requireEdge(caller, otherId, 'incoming', 'request');
      await deps.relationships.deleteFriendPair(caller.userId, otherId);
      await announce({ ...caller, profile: me }, other, 'rejected', {});
    },

    async cancel(caller: Caller, otherId: string): Promise<void> {
      const { me, other } = await requireEdge(caller, otherId, 'outgoing', 'request');
      await deps.relationships.deleteFriendPair(caller.userId, otherId);
      await announce({ ...caller, profile: me }, other, 'cancelled', {});
    },

    async unfriend(caller: Caller, otherId: string): Promise<void> {
      const { me, other } = await requireEdge(caller, otherId, 'friend', 'friendship');
      await deps.messages.setClosed(directConversationId(caller.userId, otherId), FRIENDSHIP_ENDED, true);
      await deps.relationships.deleteFriendPair(caller.userId, otherId);
      await announce({ ...caller, profile: me }, other, 'removed', {});
    },

    /**
     * Ends every friendship and request of a user whose account is being deleted, each other user told
     * (`removed`), and every block either way (nobody is told of a block). Counts no allowance: it is one
     * step of the deletion. Repeatable; a user whose profile is gone already is told nothing.
     */
    async forgetAll(caller: Caller): Promise<number> {
      const me = await deps.profiles.get(caller.userId);
      const edges: FriendEdge[] = [];
      let cursor: string | undefined;
      do {
        const page = await deps.relationships.listFriends(caller.userId, FRIENDS_PER_READ, cursor);
        edges.push(...page.items);
        cursor = page.next;
      } while (cursor);
      await inParallel(edges, ENDINGS_AT_ONCE, async (e) => {
        await deps.relationships.deleteFriendPair(caller.userId, e.otherId);
        if (me) {
          const frame = { type: 'friend', event: 'removed', user: publicProfile(me) } as const;
          await notifyUsers(deps.fanout, [e.otherId], frame, caller.correlationId);
        }
      });
      const blocked = await deps.relationships.blockedEitherWayOf(caller.userId);
      for (const otherId of blocked) {
        // Reopened for both reasons, as an unblock does: a conversation the deletion left is closed for good
        // by its own reason, and the head of one never started names nobody.
        const conversationId = directConversationId(caller.userId, otherId);
        await Promise.all([
          deps.messages.setClosed(conversationId, caller.userId, false),
          deps.messages.setClosed(conversationId, otherId, false),
        ]);
        await Promise.all([
          deps.relationships.unblock(caller.userId, otherId),
          deps.relationships.unblock(otherId, caller.userId),
        ]);
      }
      return edges.length + blocked.size;
    },

    async list(caller: Caller, limit: number, cursor?: string): Promise<Page<Friend>> {
      const page = await deps.relationships.listFriends(caller.userId, limit, cursor);
      const profile = profilesById(await deps.profiles.getMany(page.items.map((e) => e.otherId)));
      return {
        items: page.items.map((e) => ({ user: profile(e.otherId), state: e.state, since: iso(e.since) })),
        ...(page.next ? { next: page.next } : {}),
      };
    },

    /**
     * Blocks a user.
     * 1. Close their direct conversation to messages, then store the block (the blocked user is
     *    not told): cut off half-way, the conversation is closed, never open while blocked.
     * 2. End any friendship or request between them; the other side sees it removed.
     */
    async block(caller: Caller, otherId: string): Promise<Block> {
      await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
      if (otherId === caller.userId) throw new ValidationError('You cannot block yourself');
      const [me, other, relation] = await Promise.all([
        profileOf(caller.userId),
        profileOf(otherId),
        deps.relationships.relation(caller.userId, otherId),
      ]);
      // Blocked by the other, the caller learns nothing of them: as for a user who does not exist.
      if (relation.blockedBy && !relation.blocks) throw new NotFoundError('No such user');
      const now = deps.clock();
      const conversationId = directConversationId(caller.userId, otherId);
      await Promise.all([
        deps.messages.setClosed(conversationId, caller.userId, true),
        relation.friend?.state === 'friend'
          ? deps.messages.setClosed(conversationId, FRIENDSHIP_ENDED, true)
          : undefined,
      ]);
      await deps.relationships.block({ userId: caller.userId, blockedId: otherId, since: now });
      if (relation.friend) {
        await deps.relationships.deleteFriendPair(caller.userId, otherId);
        await announce({ ...caller, profile: me }, other, 'removed', {});
      }
      return { user: publicProfile(other), since: iso(now) };
    },

    /**
     * Unblocks: the block goes first, then this reason to keep the conversation closed. It opens
     * only when nothing else closes it: a block ends a friendship, so it reopens once they are
     * friends again.
     */
    async unblock(caller: Caller, otherId: string): Promise<void> {
      await deps.rateLimiter.consume(caller.userId, 'write', deps.clock());
      await deps.relationships.unblock(caller.userId, otherId);
      await deps.messages.setClosed(directConversationId(caller.userId, otherId), caller.userId, false);
    },

    async listBlocks(caller: Caller, limit: number, cursor?: string): Promise<Page<Block>> {
      const page = await deps.relationships.listBlocks(caller.userId, limit, cursor);
      const profile = profilesById(await deps.profiles.getMany(page.items.map((b) => b.blockedId)));
      return {
        items: page.items.map((b): { user: PublicProfile; since: string } => ({
          user: profile(b.blockedId),
          since: iso(b.since),
        })),
        ...(page.next ? { next: page.next } : {}),
      };
    },
  };
}
