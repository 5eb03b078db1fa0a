import type { DownloadLink } from '../../../shared/api/route-responses';
import { ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS } from '../../../shared/protocol/limits';
import { NotFoundError } from '../../errors';
import type { AttachmentObjects } from '../../ports/attachment-objects';
import type { AttachmentStore } from '../../ports/attachment-store';
import type { ConversationStore } from '../../ports/conversation-store';
import { type Caller, requireMembership } from '../access';

export interface GetAttachmentDeps {
  readonly conversations: Pick<ConversationStore, 'getMembership'>;
  readonly attachments: Pick<AttachmentStore, 'getMany'>;
  readonly attachmentObjects: Pick<AttachmentObjects, 'downloadUrl'>;
  readonly clock: () => number;
}

/**
 * A short-lived link to an attachment's encrypted bytes.
 * 1. Check membership: a removed member gets 403 at once, whatever links they asked for before.
 * 2. Find the attachment in this conversation: one a message carries, or the caller's own upload before
 *    that. One never carried by a message is only its uploader's; one whose message was deleted is gone.
 * 3. Sign a GET of its object for a few minutes.
 */
export function getAttachment(deps: GetAttachmentDeps) {
  return async (caller: Caller, conversationId: string, attachmentId: string): Promise<DownloadLink> => {
    await requireMembership(deps.conversations, conversationId, caller.userId);
    const [record] = await deps.attachments.getMany(conversationId, [attachmentId]);
    const served =
      record !== undefined &&
      record.discardedAt === undefined &&
      (record.seq !== undefined || record.uploaderId === caller.userId);
    if (!served) throw new NotFoundError('No such attachment in this conversation');
    const expiresAt = deps.clock() + ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS * 1000;
    return {
      attachmentId,
      size: record.size,
      url: await deps.attachmentObjects.downloadUrl(attachmentId, expiresAt),
      expiresAt: new Date(expiresAt).toISOString(),
    };
  };
}
