import { beforeEach, describe, expect, it } from 'vitest';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import type { StoredWelcome, WelcomeStore } from '../../ports/welcome-store';
import { DynamoDbWelcomeStore } from '../dynamodb/dynamodb-welcome-store';
import { InMemoryWelcomeStore } from '../memory/memory-welcome-store';

const table = useLocalTable();
const T0 = Date.UTC(2025, 0, 1);

describe.each([
  { adapter: 'InMemoryWelcomeStore', make: (): WelcomeStore => new InMemoryWelcomeStore() },
  {
    adapter: 'DynamoDbWelcomeStore',
    make: (): WelcomeStore => new DynamoDbWelcomeStore(table.client, table.tableName),
  },
])('$adapter', ({ make }) => {
  let welcomes: WelcomeStore;
  let carol: string;

  const welcome = (overrides: Partial<StoredWelcome> = {}): StoredWelcome => ({
    userId: carol,
    deviceId: 'laptop',
    conversationId: 'g_a',
    epoch: 1,
    welcome: { bytes: new Uint8Array([1, 2, 3]) },
    createdAt: T0,
    ...overrides,
  });

  beforeEach(() => {
    welcomes = make();
    carol = freshId('carol');
  });

  it('lists a device’s welcomes by conversation then epoch, and no other device’s', async () => {
    await welcomes.put([
      welcome({ conversationId: 'g_b', epoch: 2 }),
      welcome({ epoch: 10 }),
      welcome({ epoch: 9 }),
      welcome({ deviceId: 'laptop-2' }),
      welcome({ deviceId: 'phone' }),
    ]);

    const page = await welcomes.list(carol, 'laptop', { limit: 10 });

    expect(page.items.map((item) => [item.conversationId, item.epoch])).toEqual([
      ['g_a', 9],
      ['g_a', 10],
      ['g_b', 2],
    ]);
    expect(page.items[0]).toEqual(welcome({ epoch: 9 }));
  });

  it('pages with a cursor, and refuses one from another device', async () => {
    await welcomes.put([1, 2, 3].map((epoch) => welcome({ epoch })));

    const first = await welcomes.list(carol, 'laptop', { limit: 2 });
    const second = await welcomes.list(carol, 'laptop', { limit: 2, cursor: first.next });

    expect(first.items.map((item) => item.epoch)).toEqual([1, 2]);
    expect(second.items.map((item) => item.epoch)).toEqual([3]);
    await expect(welcomes.list(carol, 'phone', { limit: 2, cursor: first.next })).rejects.toThrow(
      'Invalid cursor',
    );
  });

  it('keeps a large Welcome as a pointer, the same one for every recipient', async () => {
    const ref = { key: 'welcomes/g_a/1/alice/abc', size: 100_000 };
    await welcomes.put([welcome({ welcome: { ref } }), welcome({ deviceId: 'phone', welcome: { ref } })]);

    expect((await welcomes.list(carol, 'laptop', { limit: 10 })).items).toEqual([
      welcome({ welcome: { ref } }),
    ]);
    expect((await welcomes.list(carol, 'phone', { limit: 10 })).items).toEqual([
      welcome({ deviceId: 'phone', welcome: { ref } }),
    ]);
  });

  it('stops a page before its bytes pass the budget, at least one in, and goes on from there', async () => {
    const large = (epoch: number) => welcome({ epoch, welcome: { ref: { key: `k${epoch}`, size: 3_000 } } });
    await welcomes.put([large(1), large(2), large(3)]);

    // 3,000 bytes are 4,000 in base64: two fit 8,000, and a budget below one still gives one.
    const first = await welcomes.list(carol, 'laptop', { limit: 10, maxBase64Bytes: 8_000 });
    const second = await welcomes.list(carol, 'laptop', {
      limit: 10,
      cursor: first.next,
      maxBase64Bytes: 100,
    });

    expect(first.items.map((item) => item.epoch)).toEqual([1, 2]);
    expect(first.next).toEqual(expect.any(String));
    expect(second.items.map((item) => item.epoch)).toEqual([3]);
    expect(second.next).toBeUndefined();
  });

  it('replaces a welcome for the same place, and removes one (twice without complaint)', async () => {
    await welcomes.put([welcome()]);
    await welcomes.put([welcome({ welcome: { bytes: new Uint8Array([9]) } })]);

    expect((await welcomes.list(carol, 'laptop', { limit: 10 })).items).toEqual([
      welcome({ welcome: { bytes: new Uint8Array([9]) } }),
    ]);

    await welcomes.remove(carol, 'laptop', 'g_a', 1);
    await welcomes.remove(carol, 'laptop', 'g_a', 1);
    expect((await welcomes.list(carol, 'laptop', { limit: 10 })).items).toEqual([]);
  });
});
