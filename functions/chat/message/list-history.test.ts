import { beforeEach, describe, expect, it } from 'vitest';
import { memoryDeps, seedConversation, seedMessages } from '../../../test/support/fixtures';
import type { InMemoryBlobStore } from '../../adapters/memory/memory-blob-store';
import type { InMemoryConversationStore } from '../../adapters/memory/memory-conversation-store';
import type { InMemoryMessageLog } from '../../adapters/memory/memory-message-log';
import { encodeCursor } from '../../cursor';
import { ForbiddenError, ValidationError } from '../../errors';
import { listHistory } from './list-history';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const GROUP = 'g_history';
const alice = { userId: 'alice' };

describe('listHistory', () => {
  let conversations: InMemoryConversationStore;
  let messages: InMemoryMessageLog;
  let blobs: InMemoryBlobStore;
  let history: ReturnType<typeof listHistory>;

  beforeEach(async () => {
    ({ conversations, messages, blobs } = memoryDeps());
    history = listHistory({ conversations, messages, blobs, clock: () => T0 });
    await seedConversation(conversations, {
      conversationId: GROUP,
      kind: 'group',
      name: 'G',
      memberIds: ['alice', 'bob'],
      now: T0,
    });
    await seedMessages(messages, GROUP, ['alice', 'bob'], 10, (seq) => T0 + seq * 1000, {
      body: (seq) => `message ${seq}`,
    });
  });

  const seqs = (page: { items: { seq: number }[] }) => page.items.map((m) => m.seq);

  it('returns the latest page, oldest first, with a cursor that scrolls back', async () => {
    const latest = await history(alice, GROUP, { limit: 4 });
    expect(seqs(latest)).toEqual([7, 8, 9, 10]);

    const older = await history(alice, GROUP, { limit: 4, cursor: latest.next });
    expect(seqs(older)).toEqual([3, 4, 5, 6]);

    const oldest = await history(alice, GROUP, { limit: 4, cursor: older.next });
    expect(seqs(oldest)).toEqual([1, 2]);
    expect(oldest).not.toHaveProperty('next');
  });

  it('resumes after a seq and continues forward until the client has everything', async () => {
    const first = await history(alice, GROUP, { after: 3, limit: 4 });
    expect(seqs(first)).toEqual([4, 5, 6, 7]);

    const rest = await history(alice, GROUP, { limit: 4, cursor: first.next });
    expect(seqs(rest)).toEqual([8, 9, 10]);
    expect(rest).not.toHaveProperty('next');
  });

  it('has no next page when the last page is exactly full', async () => {
    const page = await history(alice, GROUP, { after: 6, limit: 4 });

    expect(seqs(page)).toEqual([7, 8, 9, 10]);
    expect(page).not.toHaveProperty('next');
  });

  it('scrolls back from before a seq', async () => {
    const page = await history(alice, GROUP, { before: 6, limit: 3 });
    expect(seqs(page)).toEqual([3, 4, 5]);

    const further = await history(alice, GROUP, { limit: 3, cursor: page.next });
    expect(seqs(further)).toEqual([1, 2]);
  });

  it('returns nothing after the head', async () => {
    await expect(history(alice, GROUP, { after: 10, limit: 5 })).resolves.toEqual({
      items: [],
      receipts: expect.any(Array),
    });
  });

  it("gives every member's marks with the page", async () => {
    await conversations.advanceMarks(GROUP, 'bob', { read: 4, readContentCount: 4 });
    const page = await history(alice, GROUP, { after: 0, limit: 2 });
    expect(page.receipts).toEqual(
      expect.arrayContaining([{ conversationId: GROUP, userId: 'bob', delivered: 4, read: 4 }]),
    );
    expect(page.receipts.map((r) => r.userId).sort()).toEqual(['alice', 'bob']);
  });

  it('shows messages as envelopes, a deleted one without its body', async () => {
    await messages.markDeleted(GROUP, 9, 'alice', T0 + 60_000);

    const page = await history(alice, GROUP, { after: 8, limit: 2 });

    expect(page.items).toEqual([
      {
        conversationId: GROUP,
        seq: 9,
        messageId: 'm9',
        senderId: 'alice',
        sentAt: '2025-03-01T12:00:09.000Z',
        kind: 'message',
        deletedAt: '2025-03-01T12:01:00.000Z',
      },
      {
        conversationId: GROUP,
        seq: 10,
        messageId: 'm10',
        senderId: 'bob',
        sentAt: '2025-03-01T12:00:10.000Z',
        kind: 'message',
        body: Buffer.from('message 10').toString('base64'),
      },
    ]);
  });

  it('follows the cursor over after or before given beside it', async () => {
    const page = await history(alice, GROUP, {
      after: 0,
      before: 2,
      limit: 2,
      cursor: encodeCursor({ after: 5 }),
    });

    expect(seqs(page)).toEqual([6, 7]);
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['foreign JSON', encodeCursor({ page: 2 })],
    ['negative seq', encodeCursor({ after: -1 })],
    ['zero before', encodeCursor({ before: 0 })],
  ])('refuses a %s cursor as a validation error', async (_what, cursor) => {
    await expect(history(alice, GROUP, { limit: 4, cursor })).rejects.toThrow(ValidationError);
  });

  it('refuses a non-member, and a conversation that does not exist, the same way', async () => {
    await expect(history({ userId: 'carol' }, GROUP, { limit: 4 })).rejects.toThrow(ForbiddenError);
    await expect(history(alice, 'g_missing', { limit: 4 })).rejects.toThrow(ForbiddenError);
  });
});
