import { describe, expect, it } from 'vitest';
import { EncryptedStateStore } from './encrypted-state-store';
import { StateStoreError } from './errors';
import { InMemoryStateStore } from './in-memory-state-store';

const canary = new TextEncoder().encode('canary: private group state 7c1f');

function stateKey(extractable = false): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, extractable, ['encrypt', 'decrypt']);
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

describe('EncryptedStateStore', () => {
  it('round-trips a value, and stores only ciphertext', async () => {
    const inner = new InMemoryStateStore();
    const store = new EncryptedStateStore(inner, await stateKey());
    await store.put('conv-1', canary);
    expect(await store.get('conv-1')).toEqual(canary);
    const stored = await inner.get('conv-1');
    expect(stored).toBeDefined();
    expect(contains(stored ?? new Uint8Array(), canary)).toBe(false);
    expect(stored?.length).toBe(1 + 12 + canary.length + 16);
  });

  it('uses a fresh IV per write', async () => {
    const inner = new InMemoryStateStore();
    const store = new EncryptedStateStore(inner, await stateKey());
    await store.put('conv-1', canary);
    const first = await inner.get('conv-1');
    await store.put('conv-1', canary);
    expect(await inner.get('conv-1')).not.toEqual(first);
  });

  it('rejects a tampered value, a value moved to another name, and another key', async () => {
    const inner = new InMemoryStateStore();
    const key = await stateKey();
    const store = new EncryptedStateStore(inner, key);
    await store.put('conv-1', canary);
    const stored = (await inner.get('conv-1')) ?? new Uint8Array();

    const flipped = stored.slice();
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    await inner.put('conv-1', flipped);
    await expect(store.get('conv-1')).rejects.toThrow(StateStoreError);

    await inner.put('conv-2', stored);
    await expect(store.get('conv-2')).rejects.toThrow(StateStoreError);

    await inner.put('conv-1', stored.subarray(0, 20));
    await expect(store.get('conv-1')).rejects.toThrow(StateStoreError);

    await inner.put('conv-1', stored);
    await expect(new EncryptedStateStore(inner, await stateKey()).get('conv-1')).rejects.toThrow(
      StateStoreError,
    );
    expect(await store.get('conv-1')).toEqual(canary);
  });

  it('returns undefined for a missing name and forgets deleted ones', async () => {
    const store = new EncryptedStateStore(new InMemoryStateStore(), await stateKey());
    expect(await store.get('nope')).toBeUndefined();
    await store.put('conv-1', canary);
    await store.delete('conv-1');
    expect(await store.get('conv-1')).toBeUndefined();
  });

  it('refuses an extractable key', async () => {
    const key = await stateKey(true);
    expect(() => new EncryptedStateStore(new InMemoryStateStore(), key)).toThrow(StateStoreError);
  });
});
