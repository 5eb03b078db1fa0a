import { beforeEach, describe, expect, it } from 'vitest';
import { freshId, useLocalTable } from '../../../test/support/local-table';
import type { ClaimedPackage, KeyPackageStore } from '../../ports/key-package-store';
import { DynamoDbKeyPackageStore } from '../dynamodb/dynamodb-key-package-store';
import { InMemoryKeyPackageStore } from '../memory/memory-key-package-store';

const table = useLocalTable();
const T0 = Date.UTC(2025, 0, 1);

/** A distinct package per number: its bytes say which one it is. */
const pkg = (n: number) => new TextEncoder().encode(`kp-${n}`);
const text = (claimed: ClaimedPackage | undefined) =>
  claimed && { keyPackage: new TextDecoder().decode(claimed.keyPackage), lastResort: claimed.lastResort };

describe.each([
  { adapter: 'InMemoryKeyPackageStore', make: (): KeyPackageStore => new InMemoryKeyPackageStore() },
  {
    adapter: 'DynamoDbKeyPackageStore',
    make: (): KeyPackageStore => new DynamoDbKeyPackageStore(table.client, table.tableName),
  },
])('$adapter', ({ make }) => {
  let store: KeyPackageStore;
  let alice: string;

  beforeEach(() => {
    store = make();
    alice = freshId('alice');
  });

  it('counts nothing for a device that never uploaded, and claims nothing', async () => {
    expect(await store.count(alice, 'phone')).toEqual({ remaining: 0, lastResort: false });
    expect(await store.claim(alice, 'phone')).toBeUndefined();
  });

  it('hands out one-use packages oldest upload first, each once, then the last resort again and again', async () => {
    await store.add(alice, 'phone', [pkg(1)], pkg(100), T0);
    await store.add(alice, 'phone', [pkg(2)], undefined, T0 + 1);

    expect(await store.count(alice, 'phone')).toEqual({ remaining: 2, lastResort: true });
    expect(text(await store.claim(alice, 'phone'))).toEqual({ keyPackage: 'kp-1', lastResort: false });
    expect(text(await store.claim(alice, 'phone'))).toEqual({ keyPackage: 'kp-2', lastResort: false });
    expect(text(await store.claim(alice, 'phone'))).toEqual({ keyPackage: 'kp-100', lastResort: true });
    expect(text(await store.claim(alice, 'phone'))).toEqual({ keyPackage: 'kp-100', lastResort: true });
    expect(await store.count(alice, 'phone')).toEqual({ remaining: 0, lastResort: true });
  });

  it('replaces the last resort on each upload that carries one', async () => {
    await store.add(alice, 'phone', [pkg(1)], pkg(100), T0);
    await store.add(alice, 'phone', [pkg(2)], pkg(200), T0 + 1);
    await store.claim(alice, 'phone');
    await store.claim(alice, 'phone');

    expect(text(await store.claim(alice, 'phone'))).toEqual({ keyPackage: 'kp-200', lastResort: true });
  });

  it('keeps devices apart, even one whose id starts with another’s', async () => {
    await store.add(alice, 'phone', [pkg(1)], undefined, T0);
    await store.add(alice, 'phone.2', [pkg(2), pkg(3)], pkg(100), T0);

    expect(await store.count(alice, 'phone')).toEqual({ remaining: 1, lastResort: false });
    expect(text(await store.claim(alice, 'phone'))).toEqual({ keyPackage: 'kp-1', lastResort: false });
    expect(await store.claim(alice, 'phone')).toBeUndefined();
    expect(await store.count(alice, 'phone.2')).toEqual({ remaining: 2, lastResort: true });
    expect(await store.count(freshId('bob'), 'phone.2')).toEqual({ remaining: 0, lastResort: false });
  });

  it('counts and stores many packages of one upload', async () => {
    await store.add(
      alice,
      'phone',
      Array.from({ length: 60 }, (_, n) => pkg(n)),
      undefined,
      T0,
    );

    expect(await store.count(alice, 'phone')).toEqual({ remaining: 60, lastResort: false });
  });

  it('hands each package to exactly one of many concurrent claimers', async () => {
    await store.add(
      alice,
      'phone',
      Array.from({ length: 8 }, (_, n) => pkg(n)),
      pkg(100),
      T0,
    );

    const claims = (await Promise.all(Array.from({ length: 20 }, () => store.claim(alice, 'phone')))).map(
      text,
    );

    const oneUse = claims.filter((claim) => claim?.lastResort === false).map((claim) => claim?.keyPackage);
    expect(oneUse.sort()).toEqual(Array.from({ length: 8 }, (_, n) => `kp-${n}`).sort());
    expect(claims.filter((claim) => claim?.lastResort === true)).toHaveLength(12);
    expect(await store.count(alice, 'phone')).toEqual({ remaining: 0, lastResort: true });
  });
});
