import { StateStoreError } from './errors';
import type { StateStore } from './state-store';

/** First byte of every stored value; lets a later format be told apart. */
const FORMAT_VERSION = 1;
/** AES-GCM's standard 96-bit nonce, random per write (2^32 writes per key keep collisions negligible). */
const IV_LENGTH_IN_BYTES = 12;
/** AES-GCM's full 128-bit tag. */
const TAG_LENGTH_IN_BYTES = 16;

/**
 * Encrypts every value of another {@link StateStore} with AES-GCM under a caller-supplied, non-extractable
 * WebCrypto key (in the browser, generated once and kept in IndexedDB, where script can use but not read
 * it). Each write uses a fresh random IV; the key name is the additional data, so a value copied under
 * another conversation's name does not decrypt.
 *
 * Stored value: version (1 byte) ‖ IV (12 bytes) ‖ ciphertext with tag.
 *
 * @example
 * const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
 * const store = new EncryptedStateStore(indexedDbStore, key);
 * await store.put(conversationId, session.encode());
 */
export class EncryptedStateStore implements StateStore {
  constructor(
    private readonly inner: StateStore,
    private readonly key: CryptoKey,
  ) {
    if (key.algorithm.name !== 'AES-GCM') throw new StateStoreError('The state key must be an AES-GCM key');
    // An extractable key could be exported by any script running in the page: refuse it.
    if (key.extractable) throw new StateStoreError('The state key must be non-extractable');
    if (!key.usages.includes('encrypt') || !key.usages.includes('decrypt')) {
      throw new StateStoreError('The state key must allow encrypt and decrypt');
    }
  }

  async get(conversationId: string): Promise<Uint8Array | undefined> {
    const stored = await this.inner.get(conversationId);
    if (stored === undefined) return undefined;
    if (stored.length < 1 + IV_LENGTH_IN_BYTES + TAG_LENGTH_IN_BYTES || stored[0] !== FORMAT_VERSION) {
      throw new StateStoreError('Stored state is truncated or of an unknown format');
    }
    const iv = stored.slice(1, 1 + IV_LENGTH_IN_BYTES);
    const ciphertext = stored.slice(1 + IV_LENGTH_IN_BYTES);
    try {
      const plaintext = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv, additionalData: additionalData(conversationId), tagLength: 128 },
        this.key,
        ciphertext,
      );
      return new Uint8Array(plaintext);
    } catch (error) {
      throw new StateStoreError('Stored state does not decrypt (tampered, moved, or another key)', {
        cause: error,
      });
    }
  }

  async put(conversationId: string, value: Uint8Array): Promise<void> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_LENGTH_IN_BYTES));
    const ciphertext = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: additionalData(conversationId), tagLength: 128 },
        this.key,
        value as Uint8Array<ArrayBuffer>,
      ),
    );
    const stored = new Uint8Array(1 + IV_LENGTH_IN_BYTES + ciphertext.length);
    stored[0] = FORMAT_VERSION;
    stored.set(iv, 1);
    stored.set(ciphertext, 1 + IV_LENGTH_IN_BYTES);
    await this.inner.put(conversationId, stored);
  }

  async delete(conversationId: string): Promise<void> {
    await this.inner.delete(conversationId);
  }
}

function additionalData(conversationId: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(conversationId);
}
