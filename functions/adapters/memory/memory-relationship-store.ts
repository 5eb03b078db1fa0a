import type { Page } from '../../../shared/protocol/resources';
import { FriendsFullError } from '../../errors';
import type { BlockEdge, FriendEdge, Relation, RelationshipStore } from '../../ports/relationship-store';
import { byKey, pageOf } from './page';

/** Friend edges and blocks kept in memory, one entry per side like the table. */
export class InMemoryRelationshipStore implements RelationshipStore {
  private readonly friends = new Map<string, Map<string, FriendEdge>>();
  private readonly blocks = new Map<string, Map<string, BlockEdge>>();

  async relation(userId: string, otherId: string): Promise<Relation> {
    const friend = this.friends.get(userId)?.get(otherId);
    return {
      ...(friend ? { friend: { ...friend } } : {}),
      blocks: this.blocks.get(userId)?.has(otherId) ?? false,
      blockedBy: this.blocks.get(otherId)?.has(userId) ?? false,
    };
  }

  /** A user's count is the number of their edges: kept in step by construction. */
  async putFriendPair(first: FriendEdge, second: FriendEdge, limit?: number): Promise<void> {
    const edges = [first, second];
    if (limit !== undefined) {
      const full = edges
        .filter((edge) => !this.friends.get(edge.userId)?.has(edge.otherId))
        .filter((edge) => (this.friends.get(edge.userId)?.size ?? 0) >= limit)
        .map((edge) => edge.userId);
      if (full.length > 0) throw new FriendsFullError(limit, full);
    }
    for (const edge of edges) edgesOf(this.friends, edge.userId).set(edge.otherId, { ...edge });
  }

  async deleteFriendPair(userId: string, otherId: string): Promise<void> {
    this.friends.get(userId)?.delete(otherId);
    this.friends.get(otherId)?.delete(userId);
  }

  async countFriendsOf(userId: string): Promise<number> {
    return this.friends.get(userId)?.size ?? 0;
  }

  async listFriends(userId: string, limit: number, cursor?: string): Promise<Page<FriendEdge>> {
    const edges = [...(this.friends.get(userId)?.values() ?? [])]
      .sort(byKey((edge) => edge.otherId))
      .map((edge) => ({ ...edge }));
    return pageOf(edges, (edge) => edge.otherId, { list: `friends:${userId}`, limit, cursor });
  }

  async listFriendIds(userId: string): Promise<string[]> {
    return [...(this.friends.get(userId)?.values() ?? [])]
      .filter((edge) => edge.state === 'friend')
      .sort(byKey((edge) => edge.otherId))
      .map((edge) => edge.otherId);
  }

  async block(edge: BlockEdge): Promise<void> {
    edgesOf(this.blocks, edge.userId).set(edge.blockedId, { ...edge });
  }

  async unblock(userId: string, blockedId: string): Promise<void> {
    this.blocks.get(userId)?.delete(blockedId);
  }

  async listBlocks(userId: string, limit: number, cursor?: string): Promise<Page<BlockEdge>> {
    const edges = [...(this.blocks.get(userId)?.values() ?? [])]
      .sort(byKey((edge) => edge.blockedId))
      .map((edge) => ({ ...edge }));
    return pageOf(edges, (edge) => edge.blockedId, { list: `blocks:${userId}`, limit, cursor });
  }

  async blockedEitherWayOf(userId: string): Promise<Set<string>> {
    const blocked = [...(this.blocks.get(userId)?.keys() ?? [])];
    const blockers = [...this.blocks.entries()]
      .filter(([, edges]) => edges.has(userId))
      .map(([blockerId]) => blockerId);
    return new Set([...blocked, ...blockers]);
  }

  async blockedEitherWay(userId: string, otherIds: readonly string[]): Promise<Set<string>> {
    return new Set(
      otherIds.filter(
        (otherId) => this.blocks.get(userId)?.has(otherId) || this.blocks.get(otherId)?.has(userId),
      ),
    );
  }
}

function edgesOf<T>(edges: Map<string, Map<string, T>>, userId: string): Map<string, T> {
  let own = edges.get(userId);
  if (!own) {
    own = new Map();
    edges.set(userId, own);
  }
  return own;
}
