import type { TransferView } from '../../../shared/e2ee/history/transfer-api';
import { TransferVerificationError } from '../../../shared/e2ee/history/transfer-crypto';
import type { HistoryReceiver } from '../../../shared/e2ee/history/transfer-receiver';
import type { HistorySender, TransferProgress } from '../../../shared/e2ee/history/transfer-sender';
import type { StateStore } from '../../../shared/e2ee/state-store';
import type { Device } from '../../../shared/protocol/resources';
import { describeError } from './describe-error';
import type { ModelStore } from './store';

/** Whether this browser was offered another device's history and answered: brought it, or said no. */
const ANSWERED_KEY = 'history-transfer/answered';

/** Notes that this browser has its history (brought, restored) or the person said no: nothing more is offered. */
export async function markHistoryAnswered(
  vault: StateStore,
  store: ModelStore,
  how: 'brought' | 'restored' | 'declined' | 'first',
): Promise<void> {
  await vault.put(ANSWERED_KEY, new TextEncoder().encode(how));
  store.state.historySources = undefined;
  store.state.historyAnswered = true;
}

/** A history transfer this browser takes part in, as the screens show it. */
export interface HistoryTransferState {
  readonly transferId: string;
  /** `send`: this browser holds the history; `receive`: this browser asked for it. */
  readonly role: 'send' | 'receive';
  /** The other device's name. */
  readonly peer: string;
  /**
   * - `waiting`: asked; the other device has not answered yet;
   * - `confirm`: both screens show `code`; the old device approves;
   * - `moving`: the history is on its way (`messages` of about `total` so far);
   * - `paused`: on its way, stopped by a lost connection: it goes on when the connection returns;
   * - `done`, `cancelled`, `failed` (`error` says why).
   */
  readonly stage: 'waiting' | 'confirm' | 'moving' | 'paused' | 'done' | 'cancelled' | 'failed';
  readonly code?: string;
  readonly messages: number;
  readonly total?: number;
  readonly error?: string;
}

/** Where this controller gets the pieces it drives. */
export interface HistoryTransfersDeps {
  readonly store: ModelStore;
  readonly vault: StateStore;
  readonly deviceId: string;
  readonly sender: HistorySender;
  readonly receiver: HistoryReceiver;
  readonly listTransfers: () => Promise<readonly TransferView[]>;
  readonly cancelTransfer: (transferId: string) => Promise<void>;
  readonly listDevices: () => Promise<readonly Device[]>;
  /** The devices of mine with a socket open now. */
  readonly onlineDevices: () => Promise<readonly string[]>;
}

/**
 * Brings history from another of my devices to this browser, or sends this browser's to another: it
 * follows each transfer's `history-transfer` pushes and the list read at every connection, so a reload or a
 * lost connection on either side goes on from where it stopped.
 */
export class HistoryTransfers {
  /** Transfer id → the run in progress, and the newest state a push brought meanwhile (run again with it). */
  private readonly running = new Map<string, { latest?: TransferView }>();
  private names = new Map<string, string>();

  constructor(private readonly deps: HistoryTransfersDeps) {}

  private get state() {
    return this.deps.store.state;
  }

  private show(transfer: HistoryTransferState | undefined): void {
    this.state.historyTransfer = transfer;
    this.deps.store.changed();
  }

  private async nameOf(deviceId: string): Promise<string> {
    if (!this.names.has(deviceId)) {
      const devices = await this.deps.listDevices();
      this.names = new Map(devices.map((d) => [d.deviceId, d.name ?? d.deviceId]));
    }
    return this.names.get(deviceId) ?? 'another device';
  }

  /**
   * At every connection: goes on with the transfers this browser takes part in, and on a browser that has
   * not answered yet, offers to bring history from my other devices online now.
   */
  async resume(): Promise<void> {
    const transfers = await this.deps.listTransfers();
    const mine = transfers.filter(
      (t) => t.fromDeviceId === this.deps.deviceId || t.toDeviceId === this.deps.deviceId,
    );
    for (const transfer of mine) await this.heard(transfer);
    const open = mine.some((t) => !['done', 'cancelled'].includes(t.state));
    if (!open) await this.offerSources();
  }

  /**
   * The devices to offer history from: my others registered before this browser, online first; none once
   * this browser answered.
   */
  private async offerSources(): Promise<void> {
    if ((await this.deps.vault.get(ANSWERED_KEY)) !== undefined) {
      this.state.historySources = undefined;
      this.state.historyAnswered = true;
      return;
    }
    const [devices, online] = await Promise.all([this.deps.listDevices(), this.deps.onlineDevices()]);
    this.names = new Map(devices.map((d) => [d.deviceId, d.name ?? d.deviceId]));
    // Only devices older than this browser hold history it lacks: the laptop is not offered the new phone's.
    const mine = devices.find((d) => d.deviceId === this.deps.deviceId);
    if (mine !== undefined && devices.every((d) => d.createdAt >= mine.createdAt)) {
      // The account's first device: no device, revoked or not, ever held history before it.
      await markHistoryAnswered(this.deps.vault, this.deps.store, 'first');
      return;
    }
    const others = devices.filter(
      (d) =>
        d.deviceId !== this.deps.deviceId && !d.revoked && mine !== undefined && d.createdAt < mine.createdAt,
    );
    this.state.historySources =
      others.length === 0
        ? undefined
        : others
            .map((d) => ({
              deviceId: d.deviceId,
              name: d.name ?? d.deviceId,
              online: online.includes(d.deviceId),
            }))
            .sort((a, b) => Number(b.online) - Number(a.online));
    this.deps.store.changed();
  }

  /** Asks another of my devices for its history. */
  async ask(fromDeviceId: string): Promise<void> {
    try {
      const transfer = await this.deps.receiver.request(fromDeviceId);
      this.state.historySources = undefined;
      await this.heard(transfer);
    } catch (error) {
      this.deps.store.notify(describeError(error));
    }
  }

  /** The person does not want history brought here: the offer goes, on this browser, for good. */
  async decline(): Promise<void> {
    await markHistoryAnswered(this.deps.vault, this.deps.store, 'declined');
    this.deps.store.changed();
  }

  /** The codes match: the old device sends. */
  async approve(): Promise<void> {
    const shown = this.state.historyTransfer;
    if (shown?.role !== 'send') return;
    try {
      const transfer = await this.deps.sender.approve(shown.transferId);
      await this.heard(transfer);
    } catch (error) {
      this.fail(shown, error);
    }
  }

  /** Stops the transfer on both devices. */
  async cancel(): Promise<void> {
    const shown = this.state.historyTransfer;
    if (!shown) return;
    this.show({ ...shown, stage: 'cancelled' });
    try {
      await this.deps.cancelTransfer(shown.transferId);
    } catch (error) {
      this.deps.store.notify(describeError(error));
    }
  }

  /** Hides a transfer that ended. */
  dismiss(): void {
    const shown = this.state.historyTransfer;
    if (shown && ['done', 'cancelled', 'failed'].includes(shown.stage)) this.show(undefined);
  }

  /** A `history-transfer` push, or a transfer read at connection: moves this browser's side along. */
  async heard(transfer: TransferView): Promise<void> {
    const { deviceId } = this.deps;
    if (transfer.fromDeviceId !== deviceId && transfer.toDeviceId !== deviceId) return;
    const run = this.running.get(transfer.transferId);
    if (run) {
      run.latest = transfer;
      return;
    }
    const state: { latest?: TransferView } = {};
    this.running.set(transfer.transferId, state);
    try {
      for (let next: TransferView | undefined = transfer; next; next = state.latest) {
        state.latest = undefined;
        if (next.fromDeviceId === deviceId) await this.asSender(next);
        else await this.asReceiver(next);
      }
    } finally {
      this.running.delete(transfer.transferId);
    }
  }

  private base(transfer: TransferView, role: 'send' | 'receive', peer: string) {
    const shown = this.state.historyTransfer;
    const same = shown?.transferId === transfer.transferId ? shown : undefined;
    return {
      transferId: transfer.transferId,
      role,
      peer,
      messages: same?.messages ?? 0,
      ...(same?.total === undefined ? {} : { total: same.total }),
      ...(same?.code === undefined ? {} : { code: same.code }),
    };
  }

  private fail(shown: HistoryTransferState, error: unknown): void {
    if (error instanceof TransferVerificationError) {
      // A revoked or unknown device, a forged step: nothing more can come of this transfer.
      this.show({ ...shown, stage: 'failed', error: error.message });
      void this.deps.cancelTransfer(shown.transferId).catch(() => undefined);
    } else {
      // Offline, or the server failed: the next connection goes on from here.
      console.warn('The history transfer stopped', { transferId: shown.transferId, error });
      this.show({ ...shown, stage: 'paused' });
    }
  }

  private progress(transfer: TransferView, role: 'send' | 'receive', peer: string) {
    return (progress: TransferProgress) => {
      this.show({
        ...this.base(transfer, role, peer),
        // Done is what the server says, once the new device took the last chunk.
        stage: 'moving',
        messages: progress.messages,
        ...(progress.total === undefined ? {} : { total: progress.total }),
      });
    };
  }

  /** A transfer cancelled on either side: said (unless it already failed here), and its keys forgotten. */
  private async ended(
    transfer: TransferView,
    shown: Omit<HistoryTransferState, 'stage'>,
    side: { forget(transferId: string): Promise<void> },
  ): Promise<void> {
    const current = this.state.historyTransfer;
    if (current?.transferId === transfer.transferId && current.stage !== 'failed')
      this.show({ ...shown, stage: 'cancelled' });
    await side.forget(transfer.transferId);
  }

  /** The old device: offer and show the code; send once approved; resumes a send cut short. */
  private async asSender(transfer: TransferView): Promise<void> {
    const { sender } = this.deps;
    const peer = await this.nameOf(transfer.toDeviceId);
    const shown = { ...this.base(transfer, 'send', peer), stage: 'confirm' as const };
    try {
      switch (transfer.state) {
        case 'requested':
        case 'offered': {
          const { code } = await sender.offer(transfer);
          this.show({ ...shown, code });
          return;
        }
        case 'approved': {
          this.show({ ...shown, stage: 'moving' });
          await sender.send(transfer.transferId, { onProgress: this.progress(transfer, 'send', peer) });
          return;
        }
        case 'sent':
          // All sent; done once the new device has taken the last chunk.
          return;
        case 'done':
          if (this.state.historyTransfer?.transferId === transfer.transferId)
            this.show({ ...shown, stage: 'done' });
          await sender.forget(transfer.transferId);
          return;
        case 'cancelled':
          await this.ended(transfer, shown, sender);
          return;
      }
    } catch (error) {
      this.fail(shown, error);
    }
  }

  /** The new device: wait, show the code once offered, restore each chunk as it comes. */
  private async asReceiver(transfer: TransferView): Promise<void> {
    const { receiver } = this.deps;
    if (!(await receiver.asked(transfer.transferId))) return;
    const peer = await this.nameOf(transfer.fromDeviceId);
    const shown = this.base(transfer, 'receive', peer);
    try {
      switch (transfer.state) {
        case 'requested':
          this.show({ ...shown, stage: 'waiting' });
          return;
        case 'offered':
          this.show({ ...shown, stage: 'confirm', code: await receiver.code(transfer) });
          return;
        case 'approved':
        case 'sent': {
          if (this.state.historyTransfer?.stage !== 'moving') this.show({ ...shown, stage: 'moving' });
          const after = await receiver.receive(transfer.transferId, {
            onProgress: this.progress(transfer, 'receive', peer),
          });
          if (after.state === 'done') {
            await markHistoryAnswered(this.deps.vault, this.deps.store, 'brought');
            this.show({ ...this.base(transfer, 'receive', peer), stage: 'done' });
            await receiver.forget(transfer.transferId);
          }
          return;
        }
        case 'done':
          await receiver.forget(transfer.transferId);
          return;
        case 'cancelled':
          await this.ended(transfer, shown, receiver);
          return;
      }
    } catch (error) {
      this.fail({ ...shown, stage: 'moving' }, error);
    }
  }
}
