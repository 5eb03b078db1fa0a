import type { Epoch } from '../../../shared/protocol/resources';
import { SendInProgressError } from '../../errors';
import type { ConversationStore } from '../../ports/conversation-store';
import { requireMembership } from '../access';
import { type FinishCommitDeps, finishCommit, isUnfinished } from './finish-commit';

export interface GetEpochDeps extends FinishCommitDeps {
  readonly conversations: ConversationStore;
}

/** Epochs finished in one read at most: each needs its own writes, and a reader should not wait long. */
const MAX_FINISHED_PER_READ = 3;

/**
 * The epoch the server accepts the next commit for, and how far the group is
 * in line with the member list, so a member can tell it is behind.
 * 1. Check membership; read the epoch state and the member list version.
 * 2. When the epoch before was moved on but its commit never logged, or the current epoch is
 *    claimed by a commit nobody finished, finish those first (`finishCommit`): the epoch
 *    returned is one a commit can be made at, with every earlier commit in the log.
 */
export function getEpoch(deps: GetEpochDeps) {
  const finish = finishCommit(deps);
  return async (
    caller: { userId: string; correlationId: string },
    conversationId: string,
  ): Promise<Epoch> => {
    await requireMembership(deps.conversations, conversationId, caller.userId);
    const [conversation, initial] = await Promise.all([
      deps.conversations.get(conversationId),
      deps.commits.state(conversationId),
    ]);
    let state = initial;
    if (state.epoch > 0) await finishQuietly(await deps.commits.get(conversationId, state.epoch - 1));
    for (let finished = 0; finished < MAX_FINISHED_PER_READ; finished += 1) {
      if (!(await finishQuietly(await deps.commits.get(conversationId, state.epoch)))) break;
      state = await deps.commits.state(conversationId);
    }
    return {
      epoch: state.epoch,
      membersVersion: conversation?.membersVersion ?? 1,
      committedMembersVersion: state.committedMembersVersion,
    };

    /** Finishes an unfinished record; true when there was one. A finish already running is left to run. */
    async function finishQuietly(record: Parameters<typeof isUnfinished>[0]): Promise<boolean> {
      if (!isUnfinished(record)) return false;
      try {
        await finish(record, { correlationId: caller.correlationId });
      } catch (error) {
        if (!(error instanceof SendInProgressError)) throw error;
      }
      return true;
    }
  };
}
