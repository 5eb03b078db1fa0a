/**
 * Where a device keeps its MLS group states, one value per conversation. A port: IndexedDB in the browser,
 * {@link InMemoryStateStore} in tests; wrap either in {@link EncryptedStateStore} so private keys are never
 * stored in the clear.
 */
export interface StateStore {
  /** The stored value, or `undefined` when there is none. */
  get(conversationId: string): Promise<Uint8Array | undefined>;
  put(conversationId: string, value: Uint8Array): Promise<void>;
  delete(conversationId: string): Promise<void>;
}
