import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../../../shared/client/api-client';
import { type MessagePayload, parseMessagePayload } from '../../../shared/e2ee/attachment-payload';
import { toBase64 } from '../../../shared/e2ee/base64';
import type { ChatEvent, E2eeClient } from '../../../shared/e2ee/e2ee-client';
import { InMemoryStateStore } from '../../../shared/e2ee/in-memory-state-store';
import type { BlobShelf } from '../lib/idb-store';
import { Outbox } from './outbox';
import { ProfileKeys } from './profile-keys';
import { ModelStore } from './store';

const bytes = (fill: number) => toBase64(new Uint8Array(32).fill(fill));
const keyOf = (avatarId: string, fill = 1) => ({ avatarId, key: bytes(fill), sha256: bytes(fill + 100) });
const A1 = 'avatar1AAAAAAAAAAAAAAA';
const A2 = 'avatar2AAAAAAAAAAAAAAA';
const A3 = 'avatar3AAAAAAAAAAAAAAA';
const A4 = 'avatar4AAAAAAAAAAAAAAA';

let seq = 0;
/** A message the E2EE client read: from `senderId`, its plaintext the payload given as JSON. */
function message(senderId: string, payload: unknown, options: { own?: boolean } = {}): ChatEvent {
  seq += 1;
  return {
    kind: 'message',
    conversationId: 'c1',
    seq,
    messageId: `m${seq}`,
    senderId,
    senderDeviceId: options.own ? undefined : `${senderId}-laptop`,
    sentAt: '2025-05-01T09:00:00.000Z',
    messageKind: 'message',
    plaintext: new TextEncoder().encode(JSON.stringify(payload)),
    own: options.own ?? false,
  };
}

const me = { userId: 'alice' };

describe('ProfileKeys: the keys to people’s pictures, kept in the encrypted store', () => {
  it('keeps the key a message brings, by sender, and finds it again after a reload', async () => {
    const vault = new InMemoryStateStore();
    const keys = new ProfileKeys(vault);

    const changed = await keys.heard([message('bob', { text: 'Hi', profile: keyOf(A1) })], me);

    expect(changed).toEqual(['bob']);
    expect(keys.keyFor('bob', A1)).toEqual(keyOf(A1));
    expect(keys.keyFor('bob', A2)).toBeUndefined();
    expect(keys.keyFor('carol', A1)).toBeUndefined();
    const reloaded = new ProfileKeys(vault);
    await reloaded.load();
    expect(reloaded.keyFor('bob', A1)).toEqual(keyOf(A1));
  });

  it('keeps a few of a sender’s latest keys, so a key read late does not hide the current one', async () => {
    const keys = new ProfileKeys(new InMemoryStateStore());

    await keys.heard(
      [A1, A2, A3].map((id, i) => message('bob', { text: 'x', profile: keyOf(id, i) })),
      me,
    );
    // An older message read late, from a conversation caught up after the others.
    await keys.heard([message('bob', { text: 'x', profile: keyOf(A2, 1) })], me);
    expect(keys.keyFor('bob', A3)).toEqual(keyOf(A3, 2));
    expect(keys.keyFor('bob', A2)).toEqual(keyOf(A2, 1));

    await keys.heard([message('bob', { text: 'x', profile: keyOf(A4, 4) })], me);
    expect(keys.keyFor('bob', A1)).toBeUndefined();
    expect(keys.keyFor('bob', A4)).toEqual(keyOf(A4, 4));
  });

  it('ignores a message with no key or a bad one, and says no one changed', async () => {
    const vault = new InMemoryStateStore();
    const keys = new ProfileKeys(vault);

    const changed = await keys.heard(
      [
        message('bob', { text: 'plain' }),
        message('bob', { text: 'bad', profile: { avatarId: A1, key: 'short', sha256: bytes(2) } }),
        message('bob', 'not a payload'),
      ],
      me,
    );

    expect(changed).toEqual([]);
    expect(keys.keyFor('bob', A1)).toBeUndefined();
    expect(await vault.get('profile-keys')).toBeUndefined();
  });

  it('announces my picture once per conversation, again after it changed, and not once removed', async () => {
    const keys = new ProfileKeys(new InMemoryStateStore());
    expect(keys.announcement('c1', undefined)).toBeUndefined();

    await keys.setMine('alice', keyOf(A1));
    expect(keys.announcement('c1', A1)).toEqual(keyOf(A1));
    await keys.announced('c1', A1);
    expect(keys.announcement('c1', A1)).toBeUndefined();
    expect(keys.announcement('c2', A1)).toEqual(keyOf(A1));
    // This browser shows my own picture with the key it made.
    expect(keys.keyFor('alice', A1)).toEqual(keyOf(A1));

    await keys.setMine('alice', keyOf(A2, 2));
    expect(keys.announcement('c1', A2)).toEqual(keyOf(A2, 2));
    // Removed elsewhere: my profile names no picture, so none is announced.
    expect(keys.announcement('c2', undefined)).toBeUndefined();
    await keys.setMine('alice', undefined);
    expect(keys.announcement('c1', A2)).toBeUndefined();
  });

  it('takes my picture’s key from a message of my other device, when it is my current picture', async () => {
    const keys = new ProfileKeys(new InMemoryStateStore());

    await keys.heard([message('alice', { text: 'from my phone', profile: keyOf(A1) })], {
      userId: 'alice',
      avatarId: A1,
    });

    expect(keys.announcement('c9', A1)).toEqual(keyOf(A1));
  });

  it('has the outbox add my picture’s key to the first message in each conversation after it changed', async () => {
    const store = new ModelStore(
      { userId: 'alice', username: 'alice', displayName: 'Alice', avatarId: A1 },
      'web',
    );
    store.state.status = 'offline';
    const payloads: MessagePayload[] = [];
    const e2ee: Pick<E2eeClient, 'send'> = {
      send: async (conversationId, plaintext, options = {}) => {
        payloads.push(parseMessagePayload(plaintext) as MessagePayload);
        return { conversationId, messageId: options.messageId ?? '', seq: payloads.length, sentAt: '' };
      },
    };
    const keys = new ProfileKeys(new InMemoryStateStore());
    await keys.setMine('alice', keyOf(A1));
    const shelf: BlobShelf = { get: async () => undefined, put: async () => {}, delete: async () => {} };
    const api = { createUpload: () => Promise.reject(new Error('no files')) } as Pick<
      ApiClient,
      'createUpload'
    >;
    const outbox = new Outbox(store, new InMemoryStateStore(), shelf, api, e2ee, {
      announcement: (conversationId) => keys.announcement(conversationId, store.state.me.avatarId),
      announced: (conversationId, avatarId) => keys.announced(conversationId, avatarId),
    });

    await outbox.send('c1', 'one');
    await outbox.send('c1', 'two');
    await outbox.send('c2', 'three');
    store.state.status = 'online';
    await outbox.flush();

    expect(payloads).toEqual([
      { text: 'one', profile: keyOf(A1) },
      { text: 'two' },
      { text: 'three', profile: keyOf(A1) },
    ]);
  });
});
