import type { FriendState, Page } from '../../shared/protocol/resources';

/** One side of a friendship or of a pending request. */
export interface FriendEdge {
  readonly userId: string;
  readonly otherId: string;
  readonly state: FriendState;
  /** Epoch ms of the last change. */
  readonly since: number;
}

export interface BlockEdge {
  readonly userId: string;
  readonly blockedId: string;
  /** Epoch ms. */
  readonly since: number;
}

/** How two users stand, seen from `userId`. */
export interface Relation {
  readonly friend?: FriendEdge;
  /** `userId` blocked `otherId`. */
  readonly blocks: boolean;
  /** `otherId` blocked `userId`. */
  readonly blockedBy: boolean;
}

/** Friendships, requests and blocks. Each edge is stored on both users' sides. */
export interface RelationshipStore {
  relation(userId: string, otherId: string): Promise<Relation>;
  /**
   * Writes both sides of a friendship or request. Each user is counted once for every other user they
   * have an edge with, whatever its state (the `friendsPerUser` cap): an edge already stored is replaced
   * and takes no new place, so turning a request into a friendship never needs one, and a repeat counts
   * nothing. With `limit`, a user who would get a new edge while `limit` are counted already is refused:
   * nothing is written and `FriendsFullError` names every such user.
   */
  putFriendPair(first: FriendEdge, second: FriendEdge, limit?: number): Promise<void>;
  /**
   * Removes both sides, each user's count going down by the edge removed; removing what is not there is
   * not an error and counts nothing down.
   */
  deleteFriendPair(userId: string, otherId: string): Promise<void>;
  /** How many edges the user is counted for: what `friendsPerUser` is checked against. */
  countFriendsOf(userId: string): Promise<number>;
  listFriends(userId: string, limit: number, cursor?: string): Promise<Page<FriendEdge>>;
  /** Ids of all confirmed friends (for presence). */
  listFriendIds(userId: string): Promise<string[]>;
  /** Stores the block on the blocker's side, and its reverse on the blocked user's (see `blockedEitherWayOf`). */
  block(edge: BlockEdge): Promise<void>;
  /** Removes both sides; removing what is not there is not an error. */
  unblock(userId: string, blockedId: string): Promise<void>;
  listBlocks(userId: string, limit: number, cursor?: string): Promise<Page<BlockEdge>>;
  /** Those of `otherIds` that `userId` blocked or that blocked `userId`. */
  blockedEitherWay(userId: string, otherIds: readonly string[]): Promise<Set<string>>;
  /**
   * Everyone `userId` blocked or who blocked `userId`, whoever they are: one read of the user's own side,
   * where both directions are kept, and almost always empty. For a push to many users at a time
   * (typing in a group), where asking per user would cost a read per member.
   */
  blockedEitherWayOf(userId: string): Promise<Set<string>>;
}
