import { beforeEach, describe, expect, it } from 'vitest';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import type { CommitLog, CommitRecord } from '../../ports/commit-log';
import type { ConversationStore } from '../../ports/conversation-store';
import { DynamoDbCommitLog } from '../dynamodb/dynamodb-commit-log';
import { DynamoDbConversationStore } from '../dynamodb/dynamodb-conversation-store';
import { InMemoryCommitLog } from '../memory/memory-commit-log';
import { InMemoryConversationStore } from '../memory/memory-conversation-store';

const table = useLocalTable();
const T0 = Date.UTC(2025, 0, 1);

describe.each([
  {
    adapter: 'InMemoryCommitLog',
    make: () => ({
      commits: new InMemoryCommitLog() as CommitLog,
      conversations: new InMemoryConversationStore(),
    }),
  },
  {
    adapter: 'DynamoDbCommitLog',
    make: () => ({
      commits: new DynamoDbCommitLog(table.client, table.tableName) as CommitLog,
      conversations: new DynamoDbConversationStore(table.client, table.tableName) as ConversationStore,
    }),
  },
])('$adapter', ({ make }) => {
  let commits: CommitLog;
  let conversationId: string;

  const record = (overrides: Partial<CommitRecord> = {}): CommitRecord => ({
    conversationId,
    epoch: 0,
    senderId: 'alice',
    hash: 'hash-a',
    claimedAt: T0,
    ...overrides,
  });

  beforeEach(async () => {
    const made = make();
    commits = made.commits;
    conversationId = freshId('g');
    await made.conversations.createIfAbsent(
      {
        conversationId,
        kind: 'group',
        memberIds: ['alice'],
        createdBy: 'alice',
        createdAt: T0,
        version: 1,
        membersVersion: 1,
      },
      [
        {
          conversationId,
          userId: 'alice',
          role: 'admin',
          joinedAt: T0,
          delivered: 0,
          read: 0,
          readContentCount: 0,
        },
      ],
    );
  });

  it('starts a conversation at epoch 0', async () => {
    expect(await commits.currentEpoch(conversationId)).toBe(0);
  });

  it('gives an epoch to the first claim only, and returns it to later ones', async () => {
    expect(await commits.claim(record())).toEqual({ ...record(), created: true });

    const rival = await commits.claim(record({ senderId: 'bob', hash: 'hash-b', claimedAt: T0 + 1 }));

    expect(rival).toEqual(record());
  });

  it('moves the epoch on by one, only from the epoch it is at', async () => {
    expect(await commits.advance(conversationId, 1)).toBe(false);
    expect(await commits.advance(conversationId, 0)).toBe(true);
    expect(await commits.advance(conversationId, 0)).toBe(false);
    expect(await commits.advance(conversationId, 1)).toBe(true);
    expect(await commits.currentEpoch(conversationId)).toBe(2);
  });

  it('moves exactly one of concurrent advances', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => commits.advance(conversationId, 0)));

    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await commits.currentEpoch(conversationId)).toBe(1);
  });

  it('keeps what finishing the commit takes: its bytes or pointer, the Welcome and its recipients', async () => {
    const full = record({
      commit: { bytes: new Uint8Array([1, 2, 3]) },
      welcome: { ref: { key: `welcomes/${conversationId}/1/alice/abc`, size: 40_000 } },
      welcomeRecipients: [
        { userId: 'carol', deviceId: 'laptop' },
        { userId: 'dave', deviceId: 'phone' },
      ],
      membersVersion: 2,
    });

    await commits.claim(full);

    expect(await commits.get(conversationId, 0)).toEqual(full);
    expect(await commits.get(conversationId, 1)).toBeUndefined();
    const large = record({ epoch: 1, commit: { ref: { key: 'commits/x', size: 20_000 } } });
    await commits.claim(large);
    expect(await commits.get(conversationId, 1)).toEqual(large);
  });

  it('raises the committed members version with the epoch, never lowering it', async () => {
    expect(await commits.state(conversationId)).toEqual({ epoch: 0, committedMembersVersion: 0 });

    await commits.advance(conversationId, 0, 3);
    await commits.advance(conversationId, 1, 2);
    await commits.advance(conversationId, 2);

    expect(await commits.state(conversationId)).toEqual({ epoch: 3, committedMembersVersion: 3 });
    expect(await commits.advance(conversationId, 2, 9)).toBe(false);
    expect(await commits.state(conversationId)).toEqual({ epoch: 3, committedMembersVersion: 3 });
  });

  it('notes where the commit landed in the log', async () => {
    await commits.claim(record({ epoch: 3 }));

    await commits.complete(conversationId, 3, { seq: 12, sentAt: T0 + 5 });

    expect(await commits.claim(record({ epoch: 3, hash: 'other' }))).toEqual(
      record({ epoch: 3, seq: 12, sentAt: T0 + 5 }),
    );
  });
});

describe('DynamoDbCommitLog', () => {
  it('never creates a conversation by moving its epoch', async () => {
    const commits = new DynamoDbCommitLog(table.client, table.tableName);
    const missing = freshId('g');

    expect(await commits.advance(missing, 0)).toBe(false);
    expect(await new DynamoDbConversationStore(table.client, table.tableName).get(missing)).toBeUndefined();
  });
});
