import { type ApiClient, allPages } from '../../../shared/client/api-client';
import type { FriendPush, PresencePush } from '../../../shared/protocol/outbound';
import type { Block, Friend, Me, PublicProfile } from '../../../shared/protocol/resources';
import type { ModelStore } from './store';

/** Every friend and request, page by page. */
export function listAllFriends(api: ApiClient): Promise<Friend[]> {
  return allPages((cursor) => api.listFriends({ query: { limit: 100, ...(cursor ? { cursor } : {}) } }));
}

/** Presence is read for at most this many people at once. */
const PRESENCE_READ_AT_MOST = 100;

/** Other people: friends and requests, blocks, their profiles and presence, and finding someone. */
export class People {
  /** Friend pushes seen so far, so a list fetched meanwhile is not taken for newer. */
  private friendPushes = 0;
  /** Users whose profile was asked for once already (found or not): not asked again. */
  private readonly asked = new Set<string>();

  constructor(
    private readonly store: ModelStore,
    private readonly api: ApiClient,
  ) {}

  /** Takes the friend list read at start-up. */
  load(friends: Friend[]): void {
    const { state } = this.store;
    state.friends = friends;
    for (const friend of friends) state.users[friend.user.userId] = friend.user;
  }

  /** Reads the presence of everyone in my conversations and friends, or of `only` these. */
  async loadPresence(only?: readonly string[]): Promise<void> {
    const { state } = this.store;
    const everyone = [
      ...state.conversations.flatMap((c) => c.memberIds),
      ...state.friends.map((f) => f.user.userId),
    ];
    const userIds = [...new Set((only ?? everyone).filter((id) => id !== this.store.myId))].slice(
      0,
      PRESENCE_READ_AT_MOST,
    );
    if (userIds.length === 0) return;
    try {
      const { items } = await this.api.getPresence({ query: { userIds: userIds.join(',') } });
      for (const p of items) this.store.state.presence[p.userId] = p;
    } catch {
      // Presence is a nicety: the chat works without it.
    }
  }

  async reloadFriends(): Promise<void> {
    // A push that lands while the list is on its way is newer than the list: read it again.
    let friends: Friend[];
    let pushes: number;
    do {
      pushes = this.friendPushes;
      friends = await listAllFriends(this.api);
    } while (pushes !== this.friendPushes);
    const { state } = this.store;
    state.friends = friends;
    for (const friend of state.friends) state.users[friend.user.userId] = friend.user;
    this.store.changed();
  }

  /** A `friend` push. */
  async heardFriend(frame: FriendPush): Promise<void> {
    // Pushes travel as separate jobs and may arrive out of order ("accepted" before "requested"):
    // show the push at once, then take the server's list as the truth.
    this.friendPushes++;
    const { state } = this.store;
    state.users[frame.user.userId] = frame.user;
    state.friends = state.friends.filter((f) => f.user.userId !== frame.user.userId);
    if (frame.state) {
      state.friends.push({
        user: frame.user,
        state: frame.state,
        since: new Date().toISOString(),
      });
    }
    this.store.changed();
    await this.reloadFriends();
    // A new friend may see my presence, and I theirs, from now on; a former one no longer.
    if (this.store.state.friends.some((f) => f.user.userId === frame.user.userId && f.state === 'friend')) {
      await this.loadPresence([frame.user.userId]);
    } else {
      delete this.store.state.presence[frame.user.userId];
    }
    this.store.changed();
  }

  /** A `presence` push. */
  heardPresence(frame: PresencePush): void {
    this.store.state.presence[frame.userId] = {
      online: frame.online,
      ...(frame.lastSeenAt ? { lastSeenAt: frame.lastSeenAt } : {}),
    };
    this.store.changed();
  }

  /** A profile as it is now, mine or someone else's, wherever it shows. */
  heardProfile(user: PublicProfile): void {
    const { state } = this.store;
    state.users[user.userId] = user;
    state.friends = state.friends.map((f) => (f.user.userId === user.userId ? { ...f, user } : f));
    if (user.userId === this.store.myId) state.me = user;
    this.store.changed();
  }

  /** Changes my display name or username (a taken username is refused), here and for whoever shows it. */
  async updateProfile(patch: { displayName?: string; username?: string }): Promise<void> {
    this.heardMe(await this.api.updateMe({ body: patch }));
  }

  /** The server takes my account's email, after it changed at the user pool (`POST /me/email`). */
  async followAccountEmail(): Promise<Me> {
    const me = await this.api.syncMyEmail();
    this.heardMe(me);
    return me;
  }

  /** My profile as the server answered it, shown wherever it shows (its email and date stay out). */
  heardMe(me: Me): void {
    const { email: _email, createdAt: _createdAt, ...profile } = me;
    this.heardProfile(profile);
  }

  /**
   * Reads the profiles of users a group's line names that this browser does not know (a member removed
   * before it read the member list, someone who is not a friend), so the line says who.
   */
  async learnUsers(userIds: readonly string[]): Promise<void> {
    const unknown = [...new Set(userIds)].filter(
      (id) => this.store.state.users[id] === undefined && !this.asked.has(id),
    );
    if (unknown.length === 0) return;
    for (const id of unknown) this.asked.add(id);
    const found = await Promise.allSettled(unknown.map((userId) => this.api.getUser({ params: { userId } })));
    for (const result of found)
      if (result.status === 'fulfilled') this.store.state.users[result.value.userId] = result.value;
    this.store.changed();
  }

  /** Finds people by email (a query with an `@`) or by the start of their username (a leading `@` ignored). */
  async find(query: string): Promise<PublicProfile[]> {
    const page = await this.api.findUsers({
      query: query.includes('@') ? { email: query } : { prefix: query.replace(/^@/, '') },
    });
    return page.items;
  }

  async sendFriendRequest(userId: string): Promise<void> {
    await this.api.sendFriendRequest({ body: { userId } });
  }

  async acceptFriendRequest(userId: string): Promise<void> {
    await this.api.acceptFriendRequest({ params: { userId } });
  }

  async rejectFriendRequest(userId: string): Promise<void> {
    await this.api.rejectFriendRequest({ params: { userId } });
  }

  async cancelFriendRequest(userId: string): Promise<void> {
    await this.api.cancelFriendRequest({ params: { userId } });
  }

  async removeFriend(userId: string): Promise<void> {
    await this.api.removeFriend({ params: { userId } });
  }

  /** The people I blocked (the first hundred). */
  async listBlocks(): Promise<Block[]> {
    return (await this.api.listBlocks({ query: { limit: 100 } })).items;
  }

  async block(userId: string): Promise<void> {
    await this.api.blockUser({ params: { userId } });
  }

  async unblock(userId: string): Promise<void> {
    await this.api.unblockUser({ params: { userId } });
  }
}
