import { describe, expect, it } from 'vitest';
import { messageFrame, messageRefPush } from '../../../shared/protocol/outbound';
import { InMemoryDeadLetterQueue } from '../../adapters/memory/memory-dead-letter-queue';
import type { FanoutJob } from '../../ports/fanout-queue';
import { isLastAttempt, parkFailedJob, withoutBody } from './dead-letter';

const frame = messageFrame({
  conversationId: 'g_group',
  seq: 7,
  messageId: 'm-7',
  senderId: 'alice',
  sentAt: '2025-03-01T12:00:00.000Z',
  kind: 'message',
  body: Buffer.from('secret').toString('base64'),
});
const note = { messageId: 'sqs-1', receiveCount: 4, code: 'TimeoutError', reason: 'The delivery failed' };

describe('withoutBody', () => {
  it('keeps a message job’s conversation and seq, and drops its frame and so its body', () => {
    const job: FanoutJob = {
      kind: 'message',
      correlationId: 'c',
      conversationId: 'g_group',
      seq: 7,
      frame,
      contentCount: 5,
      excludeConnectionId: 'conn',
    };
    expect(withoutBody(job)).toEqual({
      kind: 'message',
      correlationId: 'c',
      conversationId: 'g_group',
      seq: 7,
      contentCount: 5,
      excludeConnectionId: 'conn',
    });
  });

  it('turns a message frame in a conversation or users job into its reference', () => {
    const ref = messageRefPush({ conversationId: 'g_group', seq: 7 });
    expect(
      withoutBody({ kind: 'conversation', correlationId: 'c', conversationId: 'g_group', frame }),
    ).toEqual({ kind: 'conversation', correlationId: 'c', conversationId: 'g_group', frame: ref });
    expect(withoutBody({ kind: 'users', correlationId: 'c', userIds: ['bob'], frame })).toEqual({
      kind: 'users',
      correlationId: 'c',
      userIds: ['bob'],
      frame: ref,
    });
  });

  it('leaves jobs that carry no body as they are', () => {
    const job: FanoutJob = { kind: 'presence', correlationId: 'c', userId: 'alice', online: true };
    expect(withoutBody(job)).toBe(job);
  });
});

describe('isLastAttempt', () => {
  it('is the attempt one receive before the queue would move the job itself', () => {
    expect([1, 2, 3, 4, 5].map((count) => isLastAttempt(count, 5))).toEqual([
      false,
      false,
      false,
      true,
      true,
    ]);
  });

  it('is the first attempt when the queue allows only one receive', () => {
    expect(isLastAttempt(1, 1)).toBe(true);
  });
});

describe('parkFailedJob', () => {
  it('parks the job without its body, with its note', async () => {
    const deadLetters = new InMemoryDeadLetterQueue();
    await parkFailedJob({ deadLetters })(
      { kind: 'message', correlationId: 'c', conversationId: 'g_group', seq: 7, frame },
      note,
    );
    expect(deadLetters.jobs).toEqual([
      { job: { kind: 'message', correlationId: 'c', conversationId: 'g_group', seq: 7 }, note },
    ]);
    expect(JSON.stringify(deadLetters.jobs)).not.toContain(frame.body);
  });
});
