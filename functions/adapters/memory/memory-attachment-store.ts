import type { AttachmentRecord, AttachmentStore, DueAttachment } from '../../ports/attachment-store';

interface Kept extends AttachmentRecord {
  /** When its due entry falls due; absent once the sweep dropped the entry. */
  readonly dueAt?: number;
  readonly takenAt?: number;
}

/** Attachment records kept in memory, with `DynamoDbAttachmentStore`'s rules. */
export class InMemoryAttachmentStore implements AttachmentStore {
  private readonly records = new Map<string, Kept>();

  async reserve(record: AttachmentRecord, unreferencedForMs: number): Promise<void> {
    const key = keyOf(record.conversationId, record.attachmentId);
    if (this.records.has(key)) throw new Error(`Attachment ${record.attachmentId} exists`);
    this.records.set(key, { ...record, dueAt: record.createdAt + unreferencedForMs });
  }

  async getMany(conversationId: string, attachmentIds: readonly string[]): Promise<AttachmentRecord[]> {
    return attachmentIds.flatMap((id) => {
      const kept = this.records.get(keyOf(conversationId, id));
      return kept ? [recordOf(kept)] : [];
    });
  }

  async attach(
    conversationId: string,
    attachmentIds: readonly string[],
    uploaderId: string,
    message: { readonly seq: number; readonly messageId: string; readonly at: number },
  ) {
    for (const id of attachmentIds) {
      const key = keyOf(conversationId, id);
      const kept = this.records.get(key);
      const free = kept?.seq === undefined || kept.messageId === message.messageId;
      if (!kept || kept.uploaderId !== uploaderId || !free || kept.takenAt !== undefined) continue;
      if (kept.discardedAt !== undefined) continue;
      // Its due entry stays, as in the table: the sweep drops it on finding the attachment carried.
      this.records.set(key, {
        ...kept,
        seq: message.seq,
        messageId: message.messageId,
        attachedAt: message.at,
      });
    }
  }

  async discard(conversationId: string, seq: number, attachmentIds: readonly string[], now: number) {
    for (const id of attachmentIds) {
      const key = keyOf(conversationId, id);
      const kept = this.records.get(key);
      if (!kept || kept.seq !== seq || kept.discardedAt !== undefined) continue;
      this.records.set(key, { ...kept, discardedAt: now, dueAt: now });
    }
  }

  async due(now: number, limit: number): Promise<DueAttachment[]> {
    return [...this.records.values()]
      .filter((kept) => kept.dueAt !== undefined && kept.dueAt <= now)
      .sort((a, b) => (a.dueAt as number) - (b.dueAt as number))
      .slice(0, limit)
      .map((kept) => ({
        attachmentId: kept.attachmentId,
        conversationId: kept.conversationId,
        dueAt: kept.dueAt as number,
      }));
  }

  async takeForDeletion(
    attachment: DueAttachment,
    now: number,
    options: { orphanedAt?: number } = {},
  ): Promise<boolean> {
    const key = keyOf(attachment.conversationId, attachment.attachmentId);
    const kept = this.records.get(key);
    if (!kept) return false;
    if (kept.seq !== undefined && kept.discardedAt === undefined && kept.seq !== options.orphanedAt) {
      const { dueAt: _dropped, ...carried } = kept;
      this.records.set(key, carried);
      return false;
    }
    this.records.set(key, { ...kept, takenAt: kept.takenAt ?? now });
    return true;
  }

  async forget(attachments: readonly DueAttachment[]): Promise<void> {
    for (const attachment of attachments)
      this.records.delete(keyOf(attachment.conversationId, attachment.attachmentId));
  }
}

function keyOf(conversationId: string, attachmentId: string): string {
  return `${conversationId}\u0000${attachmentId}`;
}

function recordOf(kept: Kept): AttachmentRecord {
  const { dueAt: _due, takenAt: _taken, ...record } = kept;
  return { ...record };
}
