import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS,
  ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS,
  UNREFERENCED_ATTACHMENT_LIFETIME_IN_MS,
} from '../../../shared/protocol/limits';
import {
  type MemoryDeps,
  memoryDeps,
  rateLimiterWith,
  seedBlock,
  seedConversation,
} from '../../../test/support/fixtures';
import {
  ConversationBlockedError,
  ForbiddenError,
  LimitReachedError,
  NotFoundError,
  RateLimitedError,
} from '../../errors';
import { directConversationId } from '../conversation/direct-conversation';
import { createUpload } from './create-upload';
import { getAttachment } from './get-attachment';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const GROUP = 'g_files';
const alice = { userId: 'alice', correlationId: 'req-a' };
const bob = { userId: 'bob', correlationId: 'req-b' };
const eve = { userId: 'eve', correlationId: 'req-e' };

describe('attachments: upload slots and download links', () => {
  let deps: MemoryDeps;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = memoryDeps({ caps: { attachmentBytesPerUserPerDay: 1000 } });
    await seedConversation(deps.conversations, {
      conversationId: GROUP,
      kind: 'group',
      name: 'Files',
      memberIds: ['alice', 'bob'],
      now: T0,
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives a member a form for exactly the size asked, under a fresh opaque id, and records the upload', async () => {
    const first = await createUpload(deps)(alice, GROUP, 600);
    const second = await createUpload(deps)(alice, GROUP, 10);

    expect(first.attachmentId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(second.attachmentId).not.toBe(first.attachmentId);
    expect(first.fields).toMatchObject({ key: `attachments/${first.attachmentId}`, size: '600' });
    expect(first.expiresAt).toBe(new Date(T0 + ATTACHMENT_UPLOAD_WINDOW_IN_SECONDS * 1000).toISOString());
    expect(await deps.attachments.getMany(GROUP, [first.attachmentId])).toEqual([
      {
        attachmentId: first.attachmentId,
        conversationId: GROUP,
        uploaderId: 'alice',
        size: 600,
        createdAt: T0,
      },
    ]);
    // Nothing carries it yet: it falls due a day on.
    expect(await deps.attachments.due(T0 + UNREFERENCED_ATTACHMENT_LIFETIME_IN_MS - 1, 10)).toEqual([]);
    expect(
      (await deps.attachments.due(T0 + UNREFERENCED_ATTACHMENT_LIFETIME_IN_MS, 10)).map(
        (d) => d.attachmentId,
      ),
    ).toEqual([first.attachmentId, second.attachmentId]);
  });

  it("counts the bytes against the uploader's day and refuses past the allowance, recording nothing", async () => {
    await createUpload(deps)(alice, GROUP, 900);

    const refused = createUpload(deps)(alice, GROUP, 101);

    await expect(refused).rejects.toThrow(LimitReachedError);
    await expect(refused).rejects.toMatchObject({ cap: 'attachmentBytesPerUserPerDay', limit: 1000 });
    expect(await deps.attachments.due(T0 + 2 * UNREFERENCED_ATTACHMENT_LIFETIME_IN_MS, 10)).toHaveLength(1);
    // Bob's day is his own.
    await expect(createUpload(deps)(bob, GROUP, 1000)).resolves.toMatchObject({ fields: { size: '1000' } });
  });

  it('refuses a non-member and a closed direct conversation before counting anything', async () => {
    await expect(createUpload(deps)(eve, GROUP, 10)).rejects.toThrow(ForbiddenError);
    const direct = directConversationId('alice', 'bob');
    await seedConversation(deps.conversations, {
      conversationId: direct,
      kind: 'direct',
      memberIds: ['alice', 'bob'],
      now: T0,
    });
    await seedBlock(deps, 'bob', 'alice', T0);
    await expect(createUpload(deps)(alice, direct, 10)).rejects.toThrow(ConversationBlockedError);

    expect(deps.attachmentQuota.usedOn('eve', T0)).toBe(0);
    expect(deps.attachmentQuota.usedOn('alice', T0)).toBe(0);
  });

  it('counts a slot as a write against the rate limit', async () => {
    deps = { ...deps, rateLimiter: rateLimiterWith({ write: { limit: 1, windowSeconds: 60 } }) };
    await createUpload(deps)(alice, GROUP, 10);

    await expect(createUpload(deps)(alice, GROUP, 10)).rejects.toThrow(RateLimitedError);
  });

  it('links an upload no message carries yet for its uploader only', async () => {
    const { attachmentId } = await createUpload(deps)(alice, GROUP, 600);

    const link = await getAttachment(deps)(alice, GROUP, attachmentId);

    expect(link).toEqual({
      attachmentId,
      size: 600,
      url: `memory://attachments/${attachmentId}?expires=${T0 + ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS * 1000}`,
      expiresAt: new Date(T0 + ATTACHMENT_DOWNLOAD_WINDOW_IN_SECONDS * 1000).toISOString(),
    });
    await expect(getAttachment(deps)(bob, GROUP, attachmentId)).rejects.toThrow(NotFoundError);
  });

  it('links a carried attachment for every member, and no longer once its message is deleted', async () => {
    const { attachmentId } = await createUpload(deps)(alice, GROUP, 600);
    await deps.attachments.attach(GROUP, [attachmentId], 'alice', { seq: 1, messageId: 'm1', at: T0 });

    await expect(getAttachment(deps)(bob, GROUP, attachmentId)).resolves.toMatchObject({ size: 600 });

    await deps.attachments.discard(GROUP, 1, [attachmentId], T0);
    await expect(getAttachment(deps)(alice, GROUP, attachmentId)).rejects.toThrow(NotFoundError);
  });

  it('refuses a non-member or a removed member, and an attachment of another conversation', async () => {
    const { attachmentId } = await createUpload(deps)(alice, GROUP, 600);
    await deps.attachments.attach(GROUP, [attachmentId], 'alice', { seq: 1, messageId: 'm1', at: T0 });
    await seedConversation(deps.conversations, {
      conversationId: 'g_other',
      kind: 'group',
      memberIds: ['alice', 'eve'],
      now: T0,
    });

    await expect(getAttachment(deps)(eve, GROUP, attachmentId)).rejects.toThrow(ForbiddenError);
    await expect(getAttachment(deps)(eve, 'g_other', attachmentId)).rejects.toThrow(NotFoundError);
    await deps.conversations.change(GROUP, 1, { remove: ['bob'] });
    await expect(getAttachment(deps)(bob, GROUP, attachmentId)).rejects.toThrow(ForbiddenError);
  });
});
