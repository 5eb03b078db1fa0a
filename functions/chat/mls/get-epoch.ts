import type { Epoch } from '../../../shared/protocol/resources';
import type { CommitLog } from '../../ports/commit-log';
import type { ConversationStore } from '../../ports/conversation-store';
import { requireMembership } from '../access';

export interface GetEpochDeps {
  readonly conversations: ConversationStore;
  readonly commits: CommitLog;
}

/** The epoch the server accepts the next commit for, so a member can tell it is behind. */
export function getEpoch(deps: GetEpochDeps) {
  return async (caller: { userId: string }, conversationId: string): Promise<Epoch> => {
    await requireMembership(deps.conversations, conversationId, caller.userId);
    return { epoch: await deps.commits.currentEpoch(conversationId) };
  };
}
