import { ApiError } from '../../client/api-client';
import { ErrorCode } from '../../protocol/errors';
import { toBase64 } from '../base64';
import { GroupStateError, NotInGroupError } from '../errors';
import type { GroupSession, PendingCommit } from '../group-session';
import type { DeviceAddress } from '../identity';
import { type ClientContext, COMMIT_ATTEMPTS, SEND_IN_PROGRESS_WAIT_IN_MS } from './context';
import type { ConversationStates } from './conversation-state';
import type { LogReader } from './log-reader';

/** A commit the log stored, and when. */
export type Accepted = { readonly storedAt: number };

/**
 * Posts commits for the server's next epoch. The log takes one commit per epoch: a commit that lost its
 * epoch to another member's is `lost`, one whose Welcome names a device revoked since it was claimed is
 * `stale`; neither was stored.
 */
export class CommitPoster {
  constructor(
    private readonly ctx: ClientContext,
    private readonly states: ConversationStates,
    private readonly reader: LogReader,
  ) {}

  /** Commits `change` at the current epoch, applying a rival's winning commit and retrying on a loss. */
  async commitWithRetry(
    conversationId: string,
    change: (session: GroupSession) => Promise<PendingCommit>,
  ): Promise<void> {
    for (let attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
      const state = await this.states.get(conversationId);
      const session = state.session;
      if (session === undefined) throw new NotInGroupError('This device is not in the conversation’s group');
      const pending = await change(session);
      const slot = state.cursor.slot ?? 0;
      await this.states.writeAhead(conversationId, state, slot, pending, false);
      const outcome = await this.postCommit(conversationId, slot, pending, {});
      if (outcome !== 'lost' && outcome !== 'stale') {
        state.session = pending.confirm();
        state.cursor.slot = slot + 1;
        state.cursor.updatedAt = this.ctx.clock();
        await this.states.save(conversationId, state);
        await this.states.dropAhead(conversationId, state);
        return;
      }
      await this.states.dropAhead(conversationId, state);
      await this.reader.syncNow(conversationId);
    }
    throw new GroupStateError(`Gave up committing to ${conversationId} after ${COMMIT_ATTEMPTS} lost epochs`);
  }

  async postCommit(
    conversationId: string,
    epoch: number,
    pending: PendingCommit,
    extra: { recipients?: DeviceAddress[]; membersVersion?: number },
  ): Promise<Accepted | 'lost' | 'stale'> {
    const recipients = extra.recipients ?? [];
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.postCommitOnce(conversationId, epoch, pending, recipients, extra.membersVersion);
      } catch (error) {
        // Another member is finishing this very commit for us: the same request again gets the first result.
        const inProgress = error instanceof ApiError && error.code === ErrorCode.SendInProgress;
        if (!inProgress || attempt === COMMIT_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, SEND_IN_PROGRESS_WAIT_IN_MS * attempt));
      }
    }
  }

  private async postCommitOnce(
    conversationId: string,
    epoch: number,
    pending: PendingCommit,
    recipients: readonly DeviceAddress[],
    membersVersion: number | undefined,
  ): Promise<Accepted | 'lost' | 'stale'> {
    try {
      const accepted = await this.ctx.api.postCommit({
        params: { conversationId },
        body: {
          epoch,
          commit: toBase64(pending.commit),
          ...(pending.welcome !== undefined && recipients.length > 0
            ? { welcome: toBase64(pending.welcome), welcomeRecipients: [...recipients] }
            : {}),
          ...(membersVersion === undefined ? {} : { membersVersion }),
        },
      });
      return { storedAt: Date.parse(accepted.sentAt) };
    } catch (error) {
      if (error instanceof ApiError && error.code === ErrorCode.Conflict) return 'lost';
      // The server refuses a Welcome for a device that is not current (revoked since it was claimed).
      if (error instanceof ApiError && error.code === ErrorCode.ValidationFailed && recipients.length > 0) {
        return 'stale';
      }
      throw error;
    }
  }
}
