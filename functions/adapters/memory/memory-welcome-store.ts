import type { Page } from '../../../shared/protocol/resources';
import type { StoredWelcome, WelcomeStore } from '../../ports/welcome-store';
import { byKey, pageOf } from './page';

/** Welcomes kept in memory per device, ordered like the table's sort keys. */
export class InMemoryWelcomeStore implements WelcomeStore {
  private readonly welcomes = new Map<string, StoredWelcome>();

  async put(welcomes: readonly StoredWelcome[]): Promise<void> {
    for (const welcome of welcomes) {
      this.welcomes.set(keyOf(welcome), { ...welcome, welcome: new Uint8Array(welcome.welcome) });
    }
  }

  async list(
    userId: string,
    deviceId: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<Page<StoredWelcome>> {
    const prefix = keyOf({ userId, deviceId, conversationId: '', epoch: 0 }).split('#').slice(0, 2).join('#');
    const own = [...this.welcomes.entries()]
      .filter(([key]) => key.startsWith(`${prefix}#`))
      .sort(byKey(([key]) => key))
      .map(([, welcome]) => ({ ...welcome }));
    return pageOf(own, sortKey, {
      list: `welcomes:${userId}:${deviceId}`,
      limit: page.limit,
      cursor: page.cursor,
    });
  }

  async remove(userId: string, deviceId: string, conversationId: string, epoch: number): Promise<void> {
    this.welcomes.delete(keyOf({ userId, deviceId, conversationId, epoch }));
  }
}

function sortKey(welcome: Pick<StoredWelcome, 'conversationId' | 'epoch'>): string {
  return `${welcome.conversationId}#${String(welcome.epoch).padStart(12, '0')}`;
}

function keyOf(welcome: Pick<StoredWelcome, 'userId' | 'deviceId' | 'conversationId' | 'epoch'>): string {
  return `${welcome.userId}#${welcome.deviceId}#${sortKey(welcome)}`;
}
