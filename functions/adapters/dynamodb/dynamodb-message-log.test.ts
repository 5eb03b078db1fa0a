import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import { SendInProgressError } from '../../errors';
import { type AppendRequest, WRITER_DEADLINE_IN_MS } from '../../ports/message-log';
import { DynamoDbMessageLog } from './dynamodb-message-log';
import { keys } from './keys';

const table = useLocalTable();
const T0 = Date.UTC(2025, 0, 1);

/** The table's client, counting the requests the log makes and the conditional writes refused. */
function countingClient() {
  const counts = { requests: 0, conditionFailed: 0 };
  const client = new Proxy(table.client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
        counts.requests += 1;
        try {
          return await target.send(command);
        } catch (error) {
          if (error instanceof Error && error.name === 'ConditionalCheckFailedException')
            counts.conditionFailed += 1;
          throw error;
        }
      };
    },
  });
  return { client, counts };
}

describe('DynamoDbMessageLog', () => {
  let conversationId: string;
  let alice: string;
  const request = (messageId: string, now = T0): AppendRequest => ({
    conversationId,
    messageId,
    senderId: alice,
    kind: 'message',
    body: new TextEncoder().encode(messageId),
    now,
  });

  beforeEach(() => {
    conversationId = freshId('conv');
    alice = freshId('alice');
  });

  it('numbers 60 racing appends from many senders with no gap and no refused write', async () => {
    const { client, counts } = countingClient();
    const log = new DynamoDbMessageLog(client, table.tableName);
    const senders = Array.from({ length: 6 }, () => freshId('sender'));

    const results = await Promise.all(
      Array.from({ length: 60 }, (_, index) =>
        log.append({ ...request(`m${index}`), senderId: senders[index % senders.length] as string }),
      ),
    );

    expect(results.map((result) => result.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 60 }, (_, index) => index + 1),
    );
    expect(counts.conditionFailed).toBe(0);
    // Claim, take, then place and record at once: four writes per message, no reads.
    expect(counts.requests).toBe(60 * 4);
    const { messages } = await log.list(conversationId, { after: 0, limit: 100 }, T0);
    expect(messages.map((message) => message.contentCount)).toEqual(messages.map((message) => message.seq));
  });

  describe('a retry of a message id another request claimed', () => {
    const claimBy = async (claimedAt: number) =>
      table.client.send(
        new PutCommand({
          TableName: table.tableName,
          Item: { ...keys.sendRecord(alice, conversationId, 'm1'), claimedAt, token: 'other' },
        }),
      );

    it('is told the send is in progress while the claimant may still be running', async () => {
      const log = new DynamoDbMessageLog(table.client, table.tableName);
      await claimBy(T0);

      await expect(log.append(request('m1', T0 + WRITER_DEADLINE_IN_MS - 1))).rejects.toThrow(
        SendInProgressError,
      );
      expect(await log.get(conversationId, 1)).toBeUndefined();
    });

    it('takes over once the claimant cannot be running, and stores the message once', async () => {
      const log = new DynamoDbMessageLog(table.client, table.tableName);
      await claimBy(T0);

      const stored = await log.append(request('m1', T0 + WRITER_DEADLINE_IN_MS + 1));
      const repeat = await log.append(request('m1', T0 + WRITER_DEADLINE_IN_MS + 2));

      expect(stored).toMatchObject({ seq: 1, duplicate: false });
      expect(repeat).toMatchObject({ seq: 1, duplicate: true });
    });

    it('finds the message of a claimant that placed it but died before saying where', async () => {
      const log = new DynamoDbMessageLog(table.client, table.tableName);
      await log.append(request('m0', T0 - 1));
      const first = await log.append(request('m1', T0));
      await log.append(request('m2', T0 + 1));
      await table.client.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: keys.sendRecord(alice, conversationId, 'm1'),
          UpdateExpression: 'REMOVE seq',
        }),
      );

      const retried = await log.append(request('m1', T0 + WRITER_DEADLINE_IN_MS + 1));

      expect(retried).toEqual({ ...first, duplicate: true });
      expect((await log.heads([conversationId])).get(conversationId)?.seq).toBe(3);
    });
  });

  it('gives a head from before counts were kept its count, then counts on', async () => {
    const log = new DynamoDbMessageLog(table.client, table.tableName);
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...keys.head(conversationId), seq: 4, lastAt: T0 },
      }),
    );

    const next = await log.append(request('m5', T0 + 1));

    expect(next).toMatchObject({ seq: 5, contentCount: 5 });
  });
});
