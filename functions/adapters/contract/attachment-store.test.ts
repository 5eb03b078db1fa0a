import { beforeEach, describe, expect, it } from 'vitest';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import type { AttachmentRecord, AttachmentStore } from '../../ports/attachment-store';
import { DynamoDbAttachmentStore } from '../dynamodb/dynamodb-attachment-store';
import { InMemoryAttachmentStore } from '../memory/memory-attachment-store';

const table = useLocalTable();
const DAY_IN_MS = 24 * 60 * 60 * 1000;

describe.each([
  { adapter: 'InMemoryAttachmentStore', make: (): AttachmentStore => new InMemoryAttachmentStore() },
  {
    adapter: 'DynamoDbAttachmentStore',
    make: (): AttachmentStore => new DynamoDbAttachmentStore(table.client, table.tableName),
  },
])('$adapter', ({ make }) => {
  let store: AttachmentStore;
  let conversationId: string;
  let alice: string;
  let bob: string;
  /** A moment of this test's own: due entries of the shared table are kept per hour. */
  let t0: number;

  beforeEach(() => {
    store = make();
    conversationId = freshId('conv');
    alice = freshId('alice');
    bob = freshId('bob');
    t0 = Date.UTC(2031, 0, 1) + Math.floor(Math.random() * 100_000) * DAY_IN_MS * 3;
  });

  const upload = async (
    attachmentId: string,
    uploaderId = alice,
    createdAt = t0,
  ): Promise<AttachmentRecord> => {
    const record = { attachmentId, conversationId, uploaderId, size: 1234, createdAt };
    await store.reserve(record, DAY_IN_MS);
    return record;
  };
  const dueOf = async (now: number) =>
    (await store.due(now, 100)).filter((due) => due.conversationId === conversationId);

  it('keeps what an upload slot recorded, and leaves out unknown ids', async () => {
    const record = await upload('a1');

    expect(await store.getMany(conversationId, ['a1', 'nope'])).toEqual([record]);
    expect(await store.getMany(freshId('other'), ['a1'])).toEqual([]);
  });

  it('makes an upload no message carries due a day after its slot, and lets it be taken and forgotten', async () => {
    await upload('a1');

    expect(await dueOf(t0 + DAY_IN_MS - 1)).toEqual([]);
    const [due] = await dueOf(t0 + DAY_IN_MS);
    expect(due).toEqual({ attachmentId: 'a1', conversationId, dueAt: t0 + DAY_IN_MS });
    expect(await store.takeForDeletion(due as never, t0 + DAY_IN_MS)).toBe(true);
    // Taken: a message can no longer claim it.
    await store.attach(conversationId, ['a1'], alice, { seq: 7, messageId: 'm7', at: t0 });
    expect((await store.getMany(conversationId, ['a1']))[0]?.seq).toBeUndefined();

    await store.forget([due as never]);
    expect(await store.getMany(conversationId, ['a1'])).toEqual([]);
    expect(await dueOf(t0 + 2 * DAY_IN_MS)).toEqual([]);
  });

  it('keeps an upload a message carries: its due entry is dropped, not its object', async () => {
    await upload('a1');
    await upload('b1', bob);

    await store.attach(conversationId, ['a1', 'b1'], alice, { seq: 7, messageId: 'm7', at: t0 });
    // Another message of hers cannot take it.
    await store.attach(conversationId, ['a1'], alice, { seq: 8, messageId: 'm8', at: t0 });

    const records = await store.getMany(conversationId, ['a1', 'b1']);
    expect(records.map((record) => [record.attachmentId, record.seq, record.messageId])).toEqual([
      ['a1', 7, 'm7'],
      // Not alice's to attach.
      ['b1', undefined, undefined],
    ]);
    const due = await dueOf(t0 + DAY_IN_MS);
    expect(due.map((entry) => entry.attachmentId).sort()).toEqual(['a1', 'b1']);
    for (const entry of due) {
      expect(await store.takeForDeletion(entry, t0 + DAY_IN_MS)).toBe(entry.attachmentId === 'b1');
    }
  });

  it('moves an attachment with its message when the message takes another seq', async () => {
    await upload('a1');
    await store.attach(conversationId, ['a1'], alice, { seq: 7, messageId: 'm', at: t0 });

    await store.attach(conversationId, ['a1'], alice, { seq: 9, messageId: 'm', at: t0 });
    await store.attach(conversationId, ['a1'], alice, { seq: 9, messageId: 'm', at: t0 });

    expect(await store.getMany(conversationId, ['a1'])).toEqual([
      expect.objectContaining({ seq: 9, messageId: 'm', attachedAt: t0 }),
    ]);
    // Deleting seq 7 (a skipped seq by now) discards nothing; deleting seq 9 does.
    await store.discard(conversationId, 7, ['a1'], t0);
    expect((await store.getMany(conversationId, ['a1']))[0]?.discardedAt).toBeUndefined();
    await store.discard(conversationId, 9, ['a1'], t0);
    expect((await store.getMany(conversationId, ['a1']))[0]?.discardedAt).toBe(t0);
    // Discarded: not even its own message takes it back.
    await store.attach(conversationId, ['a1'], alice, { seq: 10, messageId: 'm', at: t0 });
    expect((await store.getMany(conversationId, ['a1']))[0]?.seq).toBe(9);
  });

  it("makes a deleted message's attachments due at once", async () => {
    await upload('a1');
    await store.attach(conversationId, ['a1'], alice, { seq: 7, messageId: 'm7', at: t0 });
    const deletedAt = t0 + 60_000;

    await store.discard(conversationId, 6, ['a1'], deletedAt);
    expect(await dueOf(deletedAt)).toEqual([]);
    await store.discard(conversationId, 7, ['a1'], deletedAt);

    expect((await store.getMany(conversationId, ['a1']))[0]?.discardedAt).toBe(deletedAt);
    const due = await dueOf(deletedAt);
    expect(due).toEqual([{ attachmentId: 'a1', conversationId, dueAt: deletedAt }]);
    expect(await store.takeForDeletion(due[0] as never, deletedAt)).toBe(true);
  });

  it('takes an attachment whose message never was placed, unless it moved to a seq that was', async () => {
    await upload('a1');
    await upload('a2');
    await store.attach(conversationId, ['a1', 'a2'], alice, { seq: 7, messageId: 'm', at: t0 });
    await store.attach(conversationId, ['a2'], alice, { seq: 8, messageId: 'm', at: t0 });
    const [first, second] = (await dueOf(t0 + DAY_IN_MS)).sort((a, b) =>
      a.attachmentId.localeCompare(b.attachmentId),
    );

    expect(await store.takeForDeletion(first as never, t0 + DAY_IN_MS, { orphanedAt: 7 })).toBe(true);
    expect(await store.takeForDeletion(second as never, t0 + DAY_IN_MS, { orphanedAt: 7 })).toBe(false);
    // Taken: its message cannot take it back.
    await store.attach(conversationId, ['a1'], alice, { seq: 9, messageId: 'm', at: t0 });
    expect((await store.getMany(conversationId, ['a1', 'a2'])).map((r) => r.seq)).toEqual([7, 8]);
  });
});
