import type { AvatarLink } from '../../../shared/api/route-responses';
import { ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS } from '../../../shared/protocol/limits';
import { NotFoundError } from '../../errors';
import type { AvatarObjects } from '../../ports/attachment-objects';
import type { ConversationStore } from '../../ports/conversation-store';
import type { ProfileStore } from '../../ports/profile-store';
import type { RelationshipStore } from '../../ports/relationship-store';
import type { Caller } from '../access';
import { presenceAudience } from '../presence/audience';

export interface GetAvatarDeps {
  readonly profiles: Pick<ProfileStore, 'get'>;
  readonly relationships: Pick<RelationshipStore, 'listFriendIds' | 'blockedEitherWay'>;
  readonly conversations: Pick<ConversationStore, 'listConversationIdsOf' | 'getMany'>;
  readonly avatarObjects: Pick<AvatarObjects, 'downloadUrl'>;
  readonly clock: () => number;
}

/**
 * A short-lived link to a user's encrypted profile picture.
 * 1. Check the caller may see the user: themself, a friend or a co-member, not blocked either way (who
 *    gets the user's `profile` pushes). Visibility is symmetric, so the caller's own audience is asked.
 * 2. Find the picture the profile names.
 * Either failing is the same `NotFoundError`: nobody learns whether a stranger has a picture.
 * 3. Sign a GET of its object for a few minutes.
 */
export function getAvatar(deps: GetAvatarDeps) {
  return async (caller: Caller, userId: string): Promise<AvatarLink> => {
    const [visible, profile] = await Promise.all([
      userId === caller.userId || presenceAudience(deps, caller.userId).then((a) => a.has(userId)),
      deps.profiles.get(userId),
    ]);
    const avatarId = profile?.avatarId;
    if (!visible || avatarId === undefined) throw new NotFoundError('No such avatar');
    const expiresAt = deps.clock() + ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS * 1000;
    return {
      avatarId,
      url: await deps.avatarObjects.downloadUrl(avatarId, expiresAt),
      expiresAt: new Date(expiresAt).toISOString(),
    };
  };
}
