import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { SKIPPED_SENDER_ID } from '../../../shared/protocol/ids';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import { ConversationBlockedError, ForbiddenError } from '../../errors';
import {
  type AppendRequest,
  type AppendResult,
  FRIENDSHIP_ENDED,
  type MessageLog,
  WRITER_DEADLINE_IN_MS,
} from '../../ports/message-log';
import { DynamoDbMessageLog } from '../dynamodb/dynamodb-message-log';
import { keys } from '../dynamodb/keys';
import { InMemoryMessageLog } from '../memory/memory-message-log';

const table = useLocalTable();
const T0 = Date.UTC(2025, 0, 1);
/** Readers' clock: long after every test's sends, so no seq is still on its way. */
const NOW = T0 + 24 * 60 * 60 * 1000;

const bodyOf = (text: string) => new TextEncoder().encode(text);

/** Takes the next seq of a conversation and never places it, as a writer that died would. */
type Abandon = (log: MessageLog, conversationId: string, now: number) => Promise<number>;

const abandonInMemory: Abandon = async (log, conversationId, now) =>
  (log as InMemoryMessageLog).abandon(conversationId, now);

/** The same update the DynamoDB log's take makes, with no message put after it. */
const abandonInTable: Abandon = async (_log, conversationId, now) => {
  const { Attributes } = await table.client.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: keys.head(conversationId),
      UpdateExpression:
        'SET seq = if_not_exists(seq, :zero) + :one, contentCount = if_not_exists(contentCount, :zero) + :one, lastAt = :now',
      ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':now': now },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(Attributes?.seq);
};

describe.each([
  {
    adapter: 'InMemoryMessageLog',
    make: (): MessageLog => new InMemoryMessageLog(),
    abandon: abandonInMemory,
  },
  {
    adapter: 'DynamoDbMessageLog',
    make: (): MessageLog => new DynamoDbMessageLog(table.client, table.tableName),
    abandon: abandonInTable,
  },
])('$adapter', ({ make, abandon }) => {
  let log: MessageLog;
  let conversationId: string;
  let alice: string;
  let bob: string;

  const send = (overrides: Partial<AppendRequest> & { messageId: string }) =>
    log.append({
      conversationId,
      senderId: alice,
      kind: 'message',
      body: bodyOf(overrides.messageId),
      now: T0,
      ...overrides,
    });

  /** Appends messages m1..mN, one after another, sent a second apart. */
  const sendMany = async (count: number) => {
    for (let index = 1; index <= count; index += 1) {
      await send({ messageId: `m${index}`, now: T0 + index * 1000 });
    }
  };

  const seqsOf = (page: { messages: { seq: number }[] }) => page.messages.map((message) => message.seq);

  beforeEach(() => {
    log = make();
    conversationId = freshId('conv');
    alice = freshId('alice');
    bob = freshId('bob');
  });

  describe('append', () => {
    it('stores a message with its kind, reference and body', async () => {
      await send({ messageId: 'm1' });

      const result = await send({ messageId: 'm2', kind: 'reply', refSeq: 1, senderId: bob, now: T0 + 5 });

      expect(result).toEqual({ seq: 2, sentAt: T0 + 5, duplicate: false, contentCount: 2 });
      const stored = await log.get(conversationId, 2);
      expect(stored).toEqual({
        conversationId,
        seq: 2,
        messageId: 'm2',
        senderId: bob,
        sentAt: T0 + 5,
        kind: 'reply',
        refSeq: 1,
        body: bodyOf('m2'),
        contentCount: 2,
        previousTakenAt: T0,
      });
      expect(stored?.body).toBeInstanceOf(Uint8Array);
      expect(await log.get(conversationId, 1)).not.toHaveProperty('refSeq');
    });

    it('numbers 20 racing appends 1 to 20 with no gap', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          send({ messageId: `m${index}`, senderId: index % 2 ? alice : bob, now: T0 + index }),
        ),
      );

      expect(results.map((result) => result.seq).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 20 }, (_, index) => index + 1),
      );
      expect(results.every((result) => !result.duplicate)).toBe(true);
      const { messages, more } = await log.list(conversationId, { after: 0, limit: 50 }, NOW);
      expect(more).toBe(false);
      expect(new Set(messages.map((message) => message.messageId)).size).toBe(20);
      expect((await log.heads([conversationId])).get(conversationId)?.seq).toBe(20);
    });

    it("returns the first result for a sender's repeated message id, storing it once", async () => {
      const first = await send({ messageId: 'm1', now: T0 });

      const repeat = await send({ messageId: 'm1', now: T0 + 60_000, body: bodyOf('changed') });

      expect(repeat).toEqual({ seq: first.seq, sentAt: T0, duplicate: true, contentCount: 1 });
      expect((await log.get(conversationId, 1))?.body).toEqual(bodyOf('m1'));
      expect(await log.get(conversationId, 2)).toBeUndefined();
    });

    it("stores another sender's message under the same id apart", async () => {
      await send({ messageId: 'm1' });

      expect(await send({ messageId: 'm1', senderId: bob })).toEqual({
        seq: 2,
        sentAt: T0,
        duplicate: false,
        contentCount: 2,
      });
    });

    it('keeps a large body as a pointer in its place', async () => {
      const bodyRef = { key: `commits/${conversationId}/0/alice/abc`, size: 900_000 };

      await log.append({
        conversationId,
        messageId: 'commit-0',
        senderId: alice,
        kind: 'commit',
        bodyRef,
        now: T0,
      });

      const stored = await log.get(conversationId, 1);
      expect(stored).toMatchObject({ seq: 1, kind: 'commit', bodyRef });
      expect(stored).not.toHaveProperty('body');
    });

    it('counts content messages, commits aside, in each message and in the head', async () => {
      await send({ messageId: 'm1' });
      const commit = await send({ messageId: 'commit-0', kind: 'commit' });
      const reply = await send({ messageId: 'm3', kind: 'reply', refSeq: 1, now: T0 + 3 });
      await send({ messageId: 'commit-1', kind: 'commit', now: T0 + 4 });

      expect([commit.contentCount, reply.contentCount]).toEqual([1, 2]);
      expect((await log.get(conversationId, 4))?.contentCount).toBe(2);
      expect((await log.heads([conversationId])).get(conversationId)).toEqual({
        conversationId,
        seq: 4,
        lastAt: T0 + 4,
        contentCount: 2,
        contentSeq: 3,
        contentAt: T0 + 3,
      });
    });

    it('counts right across racing appends of messages and commits', async () => {
      await Promise.all(
        Array.from({ length: 12 }, (_, index) =>
          send({
            messageId: index % 3 ? `m${index}` : `commit-${index}`,
            kind: index % 3 ? 'message' : 'commit',
            senderId: index % 2 ? alice : bob,
          }),
        ),
      );

      const { messages } = await log.list(conversationId, { after: 0, limit: 20 }, NOW);
      let content = 0;
      for (const message of messages) {
        if (message.kind !== 'commit') content += 1;
        expect(message.contentCount, `count at ${message.seq}`).toBe(content);
      }
      expect((await log.heads([conversationId])).get(conversationId)?.contentCount).toBe(8);
    });
  });

  describe('list', () => {
    it('pages forward after a seq, oldest first', async () => {
      await sendMany(5);

      const first = await log.list(conversationId, { after: 0, limit: 2 }, NOW);
      const middle = await log.list(conversationId, { after: 2, limit: 2 }, NOW);
      const last = await log.list(conversationId, { after: 4, limit: 2 }, NOW);
      const beyond = await log.list(conversationId, { after: 5, limit: 2 }, NOW);

      expect([seqsOf(first), first.more]).toEqual([[1, 2], true]);
      expect([seqsOf(middle), middle.more]).toEqual([[3, 4], true]);
      expect([seqsOf(last), last.more]).toEqual([[5], false]);
      expect(beyond).toEqual({ messages: [], more: false });
    });

    it('says there is no more when a page ends exactly at the head', async () => {
      await sendMany(4);

      const page = await log.list(conversationId, { after: 2, limit: 2 }, NOW);

      expect([seqsOf(page), page.more]).toEqual([[3, 4], false]);
    });

    it('pages back before a seq, returning each page oldest first', async () => {
      await sendMany(5);

      const newer = await log.list(conversationId, { before: 5, limit: 2 }, NOW);
      const older = await log.list(conversationId, { before: 3, limit: 2 }, NOW);
      const none = await log.list(conversationId, { before: 1, limit: 2 }, NOW);

      expect([seqsOf(newer), newer.more]).toEqual([[3, 4], true]);
      expect([seqsOf(older), older.more]).toEqual([[1, 2], false]);
      expect(none).toEqual({ messages: [], more: false });
    });

    it('returns the latest page without a position', async () => {
      await sendMany(5);

      const latest = await log.list(conversationId, { limit: 3 }, NOW);
      const all = await log.list(conversationId, { limit: 10 }, NOW);

      expect([seqsOf(latest), latest.more]).toEqual([[3, 4, 5], true]);
      expect([seqsOf(all), all.more]).toEqual([[1, 2, 3, 4, 5], false]);
      expect(latest.messages[2]).toMatchObject({ messageId: 'm5', sentAt: T0 + 5000, body: bodyOf('m5') });
    });

    it('returns nothing for an empty conversation', async () => {
      expect(await log.list(conversationId, { limit: 10 }, NOW)).toEqual({ messages: [], more: false });
    });
  });

  describe('heads', () => {
    it('gives the last seq and time of each conversation, and 0 for an empty one', async () => {
      const empty = freshId('empty');
      await sendMany(3);

      const heads = await log.heads([conversationId, empty]);

      expect(heads).toEqual(
        new Map([
          [
            conversationId,
            {
              conversationId,
              seq: 3,
              lastAt: T0 + 3000,
              contentCount: 3,
              contentSeq: 3,
              contentAt: T0 + 3000,
            },
          ],
          [empty, { conversationId: empty, seq: 0, contentCount: 0 }],
        ]),
      );
    });
  });

  describe('getMany', () => {
    it('returns the messages at the places asked for, leaving out missing ones', async () => {
      const other = freshId('conv');
      await sendMany(3);
      await log.append({
        conversationId: other,
        messageId: 'x1',
        senderId: bob,
        kind: 'message',
        body: bodyOf('x'),
        now: T0,
      });

      const found = await log.getMany([
        { conversationId, seq: 3 },
        { conversationId: other, seq: 1 },
        { conversationId, seq: 9 },
        { conversationId, seq: 3 },
      ]);

      expect(found.map((message) => `${message.conversationId}/${message.seq}`).sort()).toEqual(
        [`${conversationId}/3`, `${other}/1`].sort(),
      );
    });
  });

  describe('markDeleted', () => {
    it("removes the body of the sender's own message, keeping its place", async () => {
      await sendMany(2);

      const tombstone = await log.markDeleted(conversationId, 1, alice, T0 + 10_000);

      expect(tombstone).toEqual({
        conversationId,
        seq: 1,
        messageId: 'm1',
        senderId: alice,
        sentAt: T0 + 1000,
        kind: 'message',
        deletedAt: T0 + 10_000,
        contentCount: 1,
      });
      expect(await log.get(conversationId, 1)).toEqual(tombstone);
      expect(seqsOf(await log.list(conversationId, { limit: 10 }, NOW))).toEqual([1, 2]);
    });

    it('keeps the ids of the attachments a message carries, in the message and in its tombstone', async () => {
      const attachmentIds = ['a1aaaaaaaaaaaaaaaaaaaa', 'a2aaaaaaaaaaaaaaaaaaaa'];
      await log.append({
        conversationId,
        messageId: 'with-files',
        senderId: alice,
        kind: 'message',
        body: bodyOf('caption'),
        attachmentIds,
        now: T0,
      });

      expect((await log.get(conversationId, 1))?.attachmentIds).toEqual(attachmentIds);
      expect((await log.markDeleted(conversationId, 1, alice, T0 + 1))?.attachmentIds).toEqual(attachmentIds);
      expect((await log.get(conversationId, 1))?.attachmentIds).toEqual(attachmentIds);
    });

    it('keeps the first deletion time on a repeat', async () => {
      await sendMany(1);
      await log.markDeleted(conversationId, 1, alice, T0 + 10_000);

      expect(await log.markDeleted(conversationId, 1, alice, T0 + 20_000)).toMatchObject({
        deletedAt: T0 + 10_000,
      });
    });

    it("refuses another sender's message and a missing one", async () => {
      await sendMany(1);

      expect(await log.markDeleted(conversationId, 1, bob, T0 + 10_000)).toBeUndefined();
      expect(await log.markDeleted(conversationId, 7, alice, T0 + 10_000)).toBeUndefined();

      expect((await log.get(conversationId, 1))?.body).toEqual(bodyOf('m1'));
      expect(await log.get(conversationId, 7)).toBeUndefined();
    });

    it("refuses its own author a commit: the group's history keeps its body", async () => {
      await send({ messageId: 'commit-0', kind: 'commit' });

      expect(await log.markDeleted(conversationId, 1, alice, T0 + 10_000)).toBeUndefined();

      const kept = await log.get(conversationId, 1);
      expect(kept).toMatchObject({ kind: 'commit', senderId: alice });
      expect(kept?.body).toEqual(bodyOf('commit-0'));
      expect(kept?.deletedAt).toBeUndefined();
    });
  });

  describe('a seq whose writer died', () => {
    it('keeps readers before it while its writer may still be running', async () => {
      await sendMany(2);
      const lost = await abandon(log, conversationId, T0 + 3000);
      await send({ messageId: 'm4', now: T0 + 4000 });
      const soon = T0 + 4000 + WRITER_DEADLINE_IN_MS;

      const forward = await log.list(conversationId, { after: 0, limit: 10 }, soon);
      const latest = await log.list(conversationId, { limit: 10 }, soon);

      expect(lost).toBe(3);
      expect([seqsOf(forward), forward.more]).toEqual([[1, 2], false]);
      expect(seqsOf(latest)).toEqual([1, 2]);
      expect(await log.get(conversationId, 3)).toBeUndefined();
    });

    it('is filled with a skipped entry by the first reader after the deadline, once', async () => {
      await sendMany(2);
      await abandon(log, conversationId, T0 + 3000);
      await send({ messageId: 'm4', now: T0 + 4000 });
      const later = T0 + 3000 + 2 * WRITER_DEADLINE_IN_MS + 1;

      const page = await log.list(conversationId, { after: 2, limit: 10 }, later);
      const again = await log.list(conversationId, { after: 0, limit: 10 }, later + 60_000);

      expect(seqsOf(page)).toEqual([3, 4]);
      expect(page.messages[0]).toEqual({
        conversationId,
        seq: 3,
        messageId: 'skipped-3',
        senderId: SKIPPED_SENDER_ID,
        sentAt: later,
        kind: 'skipped',
        contentCount: 3,
      });
      expect(again.messages[2]).toEqual(page.messages[0]);
      expect(page.messages[1]).toMatchObject({ seq: 4, messageId: 'm4', contentCount: 4 });
    });

    it('fills a run of them, and pages backward past them', async () => {
      await sendMany(1);
      await abandon(log, conversationId, T0 + 2000);
      await abandon(log, conversationId, T0 + 3000);
      await send({ messageId: 'm4', now: T0 + 4000 });

      const latest = await log.list(conversationId, { limit: 10 }, NOW);

      expect(latest.messages.map((message) => [message.seq, message.kind])).toEqual([
        [1, 'message'],
        [2, 'skipped'],
        [3, 'skipped'],
        [4, 'message'],
      ]);
      expect(latest.messages.map((message) => message.contentCount)).toEqual([1, 3, 3, 4]);
    });

    it('does not hold up the messages after it in the head', async () => {
      await sendMany(1);
      await abandon(log, conversationId, T0 + 2000);

      const next = await send({ messageId: 'm3', now: T0 + 3000 });

      expect(next).toMatchObject({ seq: 3, duplicate: false, contentCount: 3 });
      expect((await log.heads([conversationId])).get(conversationId)).toMatchObject({
        seq: 3,
        lastAt: T0 + 3000,
      });
      expect(await log.get(conversationId, 3)).toMatchObject({ messageId: 'm3', previousTakenAt: T0 + 2000 });
    });
  });

  describe('checks', () => {
    it('stores nothing when the checks fail, and lets a later retry of the same id through', async () => {
      await expect(
        log.append(
          { conversationId, messageId: 'm1', senderId: alice, kind: 'message', body: bodyOf('x'), now: T0 },
          { checks: Promise.reject(new ForbiddenError('not a member')) },
        ),
      ).rejects.toThrow(ForbiddenError);
      expect((await log.heads([conversationId])).get(conversationId)?.seq).toBe(0);

      const retried = await log.append(
        { conversationId, messageId: 'm1', senderId: alice, kind: 'message', body: bodyOf('x'), now: T0 + 1 },
        { checks: Promise.resolve() },
      );

      expect(retried).toEqual({ seq: 1, sentAt: T0 + 1, duplicate: false, contentCount: 1 });
    });

    it('refuses a repeat of a stored id whose checks now fail', async () => {
      await send({ messageId: 'm1' });

      await expect(
        log.append(
          {
            conversationId,
            messageId: 'm1',
            senderId: alice,
            kind: 'message',
            body: bodyOf('m1'),
            now: T0 + 5,
          },
          { checks: Promise.reject(new ForbiddenError('removed')) },
        ),
      ).rejects.toThrow(ForbiddenError);
    });
  });

  describe('hand-off before placing', () => {
    class HandOffFailed extends Error {}

    it('hands the message on once its seq is taken, before it is placed; a repeat hands nothing on', async () => {
      const calls: Array<{ result: AppendResult; placedYet: boolean }> = [];
      const beforePlace = async (result: AppendResult) => {
        calls.push({ result, placedYet: (await log.get(conversationId, result.seq)) !== undefined });
      };

      await log.append(
        { conversationId, messageId: 'm1', senderId: alice, kind: 'message', now: T0 },
        { beforePlace },
      );
      const repeat = await log.append(
        {
          conversationId,
          messageId: 'm1',
          senderId: alice,
          kind: 'message',
          now: T0 + WRITER_DEADLINE_IN_MS,
        },
        { beforePlace },
      );

      expect(calls).toEqual([
        { result: { seq: 1, sentAt: T0, duplicate: false, contentCount: 1 }, placedYet: false },
      ]);
      expect(repeat).toEqual({ seq: 1, sentAt: T0, duplicate: true, contentCount: 1 });
    });

    it('stores nothing when the hand-off fails, and a later retry stores and hands on the message once', async () => {
      await expect(
        log.append(
          { conversationId, messageId: 'm1', senderId: alice, kind: 'message', now: T0 },
          {
            beforePlace: async () => {
              throw new HandOffFailed('the queue is down');
            },
          },
        ),
      ).rejects.toThrow(HandOffFailed);
      const handed: number[] = [];

      const retry = await log.append(
        {
          conversationId,
          messageId: 'm1',
          senderId: alice,
          kind: 'message',
          now: T0 + WRITER_DEADLINE_IN_MS,
        },
        { beforePlace: async (taken) => void handed.push(taken.seq) },
      );

      expect(retry).toMatchObject({ seq: 2, duplicate: false });
      expect(handed).toEqual([2]);
      const page = await log.list(conversationId, { after: 0, limit: 10 }, NOW);
      expect(page.messages.map((message) => [message.seq, message.kind])).toEqual([
        [1, 'skipped'],
        [2, 'message'],
      ]);
    });
  });

  describe('setClosed', () => {
    it('refuses content while either user blocks, and lets commits through', async () => {
      await send({ messageId: 'm1' });
      await log.setClosed(conversationId, alice, true);
      await log.setClosed(conversationId, bob, true);

      await expect(send({ messageId: 'm2' })).rejects.toThrow(ConversationBlockedError);
      const commit = await send({ messageId: 'commit-0', kind: 'commit' });
      await log.setClosed(conversationId, alice, false);
      await expect(send({ messageId: 'm3', senderId: bob })).rejects.toThrow(ConversationBlockedError);
      await log.setClosed(conversationId, bob, false);
      await log.setClosed(conversationId, bob, false);
      const after = await send({ messageId: 'm4' });

      expect(commit).toMatchObject({ seq: 2, contentCount: 1 });
      expect(after).toMatchObject({ seq: 3, contentCount: 2 });
      expect(seqsOf(await log.list(conversationId, { after: 0, limit: 10 }, NOW))).toEqual([1, 2, 3]);
    });

    it('holds the conversation closed while any reason holds, and says so on the head', async () => {
      await send({ messageId: 'm1' });
      await log.setClosed(conversationId, alice, true);
      await log.setClosed(conversationId, FRIENDSHIP_ENDED, true);
      await log.setClosed(conversationId, alice, false);

      expect((await log.heads([conversationId])).get(conversationId)).toMatchObject({ seq: 1, closed: true });
      await expect(send({ messageId: 'm2' })).rejects.toThrow(ConversationBlockedError);
      await log.setClosed(conversationId, FRIENDSHIP_ENDED, false);
      expect((await log.heads([conversationId])).get(conversationId)?.closed).toBeUndefined();
      await expect(send({ messageId: 'm2' })).resolves.toMatchObject({ seq: 2 });
    });

    it('closes a conversation before its first message, and reopening one never stored stores nothing', async () => {
      const other = freshId('d_');
      await log.setClosed(other, FRIENDSHIP_ENDED, false);
      expect((await log.heads([other])).get(other)).toEqual({
        conversationId: other,
        seq: 0,
        contentCount: 0,
      });
      await log.setClosed(other, alice, true);
      expect((await log.heads([other])).get(other)).toEqual({
        conversationId: other,
        seq: 0,
        contentCount: 0,
        closed: true,
      });
    });
  });
});
