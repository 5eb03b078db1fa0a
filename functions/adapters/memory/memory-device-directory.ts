import type {
  DeviceDirectory,
  DeviceRecord,
  PushSubscriptionRecord,
  SetPushSubscriptionOutcome,
} from '../../ports/device-directory';
import { byKey } from './page';

/** Devices kept in memory, per user, with the table adapter's rules. */
export class InMemoryDeviceDirectory implements DeviceDirectory {
  private readonly devices = new Map<string, Map<string, DeviceRecord>>();
  /** By user, then device id. */
  private readonly subscriptions = new Map<string, Map<string, PushSubscriptionRecord>>();

  async registerIfAbsent(device: DeviceRecord): Promise<DeviceRecord & { readonly created?: true }> {
    const own = this.devicesOf(device.userId);
    const stored = own.get(device.deviceId);
    if (stored) return copy(stored);
    own.set(device.deviceId, copy(device));
    return { ...copy(device), created: true };
  }

  async get(userId: string, deviceId: string): Promise<DeviceRecord | undefined> {
    const stored = this.devices.get(userId)?.get(deviceId);
    return stored ? copy(stored) : undefined;
  }

  async list(userId: string): Promise<DeviceRecord[]> {
    return [...(this.devices.get(userId)?.values() ?? [])].sort(byKey((device) => device.deviceId)).map(copy);
  }

  async revoke(
    userId: string,
    deviceId: string,
    now: number,
  ): Promise<(DeviceRecord & { readonly revokedNow?: true }) | undefined> {
    const own = this.devicesOf(userId);
    const stored = own.get(deviceId);
    if (!stored) return undefined;
    if (stored.revokedAt !== undefined) return copy(stored);
    const revoked = { ...stored, revokedAt: now };
    own.set(deviceId, revoked);
    this.subscriptions.get(userId)?.delete(deviceId);
    return { ...copy(revoked), revokedNow: true };
  }

  async rename(userId: string, deviceId: string, name: string): Promise<DeviceRecord | undefined> {
    const own = this.devicesOf(userId);
    const stored = own.get(deviceId);
    if (!stored) return undefined;
    const renamed = { ...stored, name };
    own.set(deviceId, renamed);
    return copy(renamed);
  }

  async setPushSubscription(subscription: PushSubscriptionRecord): Promise<SetPushSubscriptionOutcome> {
    const device = this.devices.get(subscription.userId)?.get(subscription.deviceId);
    if (!device) return 'absent';
    if (device.revokedAt !== undefined) return 'revoked';
    let own = this.subscriptions.get(subscription.userId);
    if (!own) {
      own = new Map();
      this.subscriptions.set(subscription.userId, own);
    }
    own.set(subscription.deviceId, { ...subscription });
    return 'stored';
  }

  async getPushSubscription(userId: string, deviceId: string): Promise<PushSubscriptionRecord | undefined> {
    const stored = this.subscriptions.get(userId)?.get(deviceId);
    return stored ? { ...stored } : undefined;
  }

  async removePushSubscription(
    userId: string,
    deviceId: string,
    options: { endpoint?: string } = {},
  ): Promise<void> {
    const stored = this.subscriptions.get(userId)?.get(deviceId);
    if (options.endpoint !== undefined && stored?.endpoint !== options.endpoint) return;
    this.subscriptions.get(userId)?.delete(deviceId);
  }

  async removePushSubscriptions(userId: string): Promise<void> {
    this.subscriptions.delete(userId);
  }

  async listPushSubscriptions(userId: string): Promise<PushSubscriptionRecord[]> {
    return [...(this.subscriptions.get(userId)?.values() ?? [])]
      .sort(byKey((subscription) => subscription.deviceId))
      .map((subscription) => ({ ...subscription }));
  }

  private devicesOf(userId: string): Map<string, DeviceRecord> {
    let own = this.devices.get(userId);
    if (!own) {
      own = new Map();
      this.devices.set(userId, own);
    }
    return own;
  }
}

function copy(device: DeviceRecord): DeviceRecord {
  return { ...device, signaturePublicKey: Uint8Array.from(device.signaturePublicKey) };
}
