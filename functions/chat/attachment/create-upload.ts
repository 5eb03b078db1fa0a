import { randomBytes } from 'node:crypto';
import type { UploadSlot } from '../../../shared/api/route-responses';
import {
  ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS,
  UNREFERENCED_ATTACHMENT_LIFETIME_IN_MS,
} from '../../../shared/protocol/limits';
import type { AttachmentObjects } from '../../ports/attachment-objects';
import type { AttachmentStore } from '../../ports/attachment-store';
import type { BlobQuota } from '../../ports/blob-quota';
import type { ConversationStore } from '../../ports/conversation-store';
import type { MessageLog } from '../../ports/message-log';
import type { RateLimiter } from '../../ports/rate-limiter';
import { type Caller, inOrder, refuseClosedDirect, requireMembership } from '../access';

export interface CreateUploadDeps {
  readonly conversations: Pick<ConversationStore, 'getMembership'>;
  readonly messages: Pick<MessageLog, 'heads'>;
  readonly attachments: Pick<AttachmentStore, 'reserve'>;
  readonly attachmentObjects: Pick<AttachmentObjects, 'uploadForm'>;
  /** The `attachmentBytesPerUserPerDay` count. */
  readonly attachmentQuota: BlobQuota;
  readonly rateLimiter: RateLimiter;
  readonly clock: () => number;
}

/**
 * An upload slot for one encrypted attachment of a conversation: a form that stores exactly `size` bytes
 * under a fresh opaque id, for a while.
 * 1. At once: check membership, that a direct conversation is open to content, and count the request
 *    (`write`).
 * 2. Count the bytes against the caller's day (`attachmentBytesPerUserPerDay`): counted when the slot is
 *    issued, since the upload itself never passes through the server, and refused past the cap.
 * 3. Record the upload, due for deletion a day on unless a message carries it by then.
 * 4. Sign the form: one key, exactly `size` bytes, until the window closes.
 */
export function createUpload(deps: CreateUploadDeps) {
  return async (caller: Caller, conversationId: string, size: number): Promise<UploadSlot> => {
    const now = deps.clock();
    // At once; a non-member learns only that they are not a member, whatever else fails.
    await inOrder([
      requireMembership(deps.conversations, conversationId, caller.userId),
      refuseClosedDirect(deps, conversationId),
      deps.rateLimiter.consume(caller.userId, 'write', now),
    ]);
    await deps.attachmentQuota.use(caller.userId, size, now);
    const attachmentId = randomBytes(16).toString('base64url');
    await deps.attachments.reserve(
      { attachmentId, conversationId, uploaderId: caller.userId, size, createdAt: now },
      UNREFERENCED_ATTACHMENT_LIFETIME_IN_MS,
    );
    const expiresAt = now + ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS * 1000;
    const form = await deps.attachmentObjects.uploadForm(attachmentId, size, expiresAt);
    return {
      attachmentId,
      url: form.url,
      fields: { ...form.fields },
      expiresAt: new Date(expiresAt).toISOString(),
    };
  };
}
