import type { Page } from '../../../shared/protocol/resources';
import { encodeCursor } from '../../cursor';
import { base64Size, type StoredBytes, storedSize, takeWithinBudget } from '../../ports/blob-store';
import type { StoredWelcome, WelcomeStore } from '../../ports/welcome-store';
import { byKey, pageOf } from './page';

/** Welcomes kept in memory per device, ordered like the table's sort keys. */
export class InMemoryWelcomeStore implements WelcomeStore {
  private readonly welcomes = new Map<string, StoredWelcome>();

  async put(welcomes: readonly StoredWelcome[]): Promise<void> {
    for (const welcome of welcomes) {
      this.welcomes.set(keyOf(welcome), { ...welcome, welcome: copyOf(welcome.welcome) });
    }
  }

  async list(
    userId: string,
    deviceId: string,
    page: { limit: number; cursor?: string | undefined; maxBase64Bytes?: number },
  ): Promise<Page<StoredWelcome>> {
    const prefix = keyOf({ userId, deviceId, conversationId: '', epoch: 0 }).split('#').slice(0, 2).join('#');
    const own = [...this.welcomes.entries()]
      .filter(([key]) => key.startsWith(`${prefix}#`))
      .sort(byKey(([key]) => key))
      .map(([, welcome]) => ({ ...welcome }));
    const list = `welcomes:${userId}:${deviceId}`;
    const full = pageOf(own, sortKey, { list, limit: page.limit, cursor: page.cursor });
    if (page.maxBase64Bytes === undefined) return full;
    const items = takeWithinBudget(
      full.items,
      (welcome) => base64Size(storedSize(welcome.welcome)),
      page.maxBase64Bytes,
    );
    const last = items.at(-1);
    if (items.length === full.items.length || !last) return full;
    return { items, next: encodeCursor({ list, after: sortKey(last) }) };
  }

  async remove(userId: string, deviceId: string, conversationId: string, epoch: number): Promise<void> {
    this.welcomes.delete(keyOf({ userId, deviceId, conversationId, epoch }));
  }
}

function copyOf(stored: StoredBytes): StoredBytes {
  return 'ref' in stored ? { ref: { ...stored.ref } } : { bytes: new Uint8Array(stored.bytes) };
}

function sortKey(welcome: Pick<StoredWelcome, 'conversationId' | 'epoch'>): string {
  return `${welcome.conversationId}#${String(welcome.epoch).padStart(12, '0')}`;
}

function keyOf(welcome: Pick<StoredWelcome, 'userId' | 'deviceId' | 'conversationId' | 'epoch'>): string {
  return `${welcome.userId}#${welcome.deviceId}#${sortKey(welcome)}`;
}
