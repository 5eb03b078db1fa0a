import type { StateStore } from './state-store';

/**
 * A {@link StateStore} in a `Map`, for tests. Values are copied in and out, so callers cannot alias them.
 *
 * @example
 * const store = new EncryptedStateStore(new InMemoryStateStore(), key);
 */
export class InMemoryStateStore implements StateStore {
  private readonly values = new Map<string, Uint8Array>();

  async get(conversationId: string): Promise<Uint8Array | undefined> {
    return this.values.get(conversationId)?.slice();
  }

  async put(conversationId: string, value: Uint8Array): Promise<void> {
    this.values.set(conversationId, value.slice());
  }

  async delete(conversationId: string): Promise<void> {
    this.values.delete(conversationId);
  }
}
