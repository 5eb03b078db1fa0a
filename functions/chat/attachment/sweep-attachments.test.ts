import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UNREFERENCED_ATTACHMENT_LIFETIME_IN_MS } from '../../../shared/protocol/limits';
import { type MemoryDeps, memoryDeps, seedConversation, seedMessages } from '../../../test/support/fixtures';
import { WRITER_DEADLINE_IN_MS } from '../../ports/message-log';
import { deleteMessage } from '../message/delete-message';
import { sweepAttachments } from './sweep-attachments';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const DAY = UNREFERENCED_ATTACHMENT_LIFETIME_IN_MS;
const GROUP = 'g_sweep';
const id = (n: number) => `attachment${String(n).padStart(12, '0')}`;

describe('sweepAttachments', () => {
  let deps: MemoryDeps;
  let sweep: ReturnType<typeof sweepAttachments>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = memoryDeps();
    sweep = sweepAttachments(deps);
    await seedConversation(deps.conversations, {
      conversationId: GROUP,
      kind: 'group',
      memberIds: ['alice', 'bob'],
      now: T0,
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const upload = (n: number, createdAt = T0) =>
    deps.attachments.reserve(
      { attachmentId: id(n), conversationId: GROUP, uploaderId: 'alice', size: 10, createdAt },
      DAY,
    );
  /** Alice's message at the next seq, carrying these uploads, as a send ties them. */
  const sendWith = async (messageId: string, ...ns: number[]) => {
    const { seq } = await deps.messages.append({
      conversationId: GROUP,
      messageId,
      senderId: 'alice',
      kind: 'message',
      body: Buffer.from('x'),
      attachmentIds: ns.map(id),
      now: Date.now(),
    });
    await deps.attachments.attach(GROUP, ns.map(id), 'alice', { seq, messageId, at: Date.now() });
    return seq;
  };
  const recordOf = async (n: number) => (await deps.attachments.getMany(GROUP, [id(n)]))[0];

  it('deletes an upload no message carried a day after its slot, and forgets it', async () => {
    await upload(1);
    vi.setSystemTime(T0 + DAY - 1);
    expect(await sweep()).toEqual({ deleted: 0, kept: 0, deferred: 0 });

    vi.setSystemTime(T0 + DAY);
    expect(await sweep()).toEqual({ deleted: 1, kept: 0, deferred: 0 });

    expect(deps.attachmentObjects.deleted).toEqual([id(1)]);
    expect(await recordOf(1)).toBeUndefined();
    expect(await sweep()).toEqual({ deleted: 0, kept: 0, deferred: 0 });
  });

  it("keeps a carried upload's object and drops its due entry, until its message is deleted", async () => {
    await upload(1);
    const seq = await sendWith('m1', 1);
    vi.setSystemTime(T0 + DAY);

    expect(await sweep()).toEqual({ deleted: 0, kept: 1, deferred: 0 });
    expect(await sweep()).toEqual({ deleted: 0, kept: 0, deferred: 0 });
    expect(deps.attachmentObjects.deleted).toEqual([]);

    await deleteMessage(deps)({ userId: 'alice', correlationId: 'del' }, GROUP, seq);
    expect(await sweep()).toEqual({ deleted: 1, kept: 0, deferred: 0 });
    expect(deps.attachmentObjects.deleted).toEqual([id(1)]);
  });

  it('deletes an upload whose message never was placed, once its writer cannot still be running', async () => {
    // The upload's day is over just as a send ties it to a seq and dies before placing the message.
    await upload(1, T0 - DAY);
    const seq = deps.messages.abandon(GROUP, T0);
    await deps.attachments.attach(GROUP, [id(1)], 'alice', { seq, messageId: 'lost', at: T0 });

    expect(await sweep()).toEqual({ deleted: 0, kept: 0, deferred: 1 });
    expect(deps.attachmentObjects.deleted).toEqual([]);

    vi.setSystemTime(T0 + WRITER_DEADLINE_IN_MS + 1);
    expect(await sweep()).toEqual({ deleted: 1, kept: 0, deferred: 0 });
    expect(deps.attachmentObjects.deleted).toEqual([id(1)]);
  });

  it('deletes an upload that names a seq holding another message', async () => {
    await upload(1, T0 - DAY);
    await seedMessages(deps.messages, GROUP, 'alice', 1, T0);
    await deps.attachments.attach(GROUP, [id(1)], 'alice', { seq: 1, messageId: 'not-m1', at: T0 });

    expect(await sweep()).toEqual({ deleted: 1, kept: 0, deferred: 0 });
  });

  it('goes through more than one batch in a run', async () => {
    for (let n = 0; n < 250; n += 1) await upload(n);
    vi.setSystemTime(T0 + DAY);

    expect(await sweep()).toEqual({ deleted: 250, kept: 0, deferred: 0 });
    expect(new Set(deps.attachmentObjects.deleted).size).toBe(250);
  });
});
