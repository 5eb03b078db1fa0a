import { fromBase64, toBase64 } from '../../../shared/e2ee/base64';
import {
  type BackupApi,
  type BackupSource,
  type BackupView,
  HistoryBackup,
} from '../../../shared/e2ee/history/backup';
import type { ObjectTransport } from '../../../shared/e2ee/history/transfer-api';
import type { HistorySink } from '../../../shared/e2ee/history/transfer-receiver';
import type { RecoveryKey } from '../../../shared/e2ee/recovery-key';
import type { StateStore } from '../../../shared/e2ee/state-store';
import * as z from '../../../shared/zod';
import { describeError } from './describe-error';
import { markHistoryAnswered } from './history-transfers';
import type { ModelStore } from './store';

/** Where this browser keeps the backup's data key and header, once it made or opened the backup. */
const KEY_RECORD = 'backup/key';
/** Conversation → seqs changed since the last run (edits, reactions, deletions), for the next run. */
const CHANGED_RECORD = 'backup/changed';
/** The recovery key's word list and key derivation: loaded when a backup is made or opened, not at start. */
const recoveryKeys = () => import('../../../shared/e2ee/recovery-key');

/** A browser that backs up writes what came since the last run this often while it is open. */
export const BACKUP_EVERY_IN_MS = 15 * 60 * 1000;

/** The backup as the screens show it. */
export interface BackupState {
  /**
   * - `off`: no backup;
   * - `on`: this browser keeps the backup up to date;
   * - `elsewhere`: there is a backup, made on another device: this browser can restore from it with the
   *   recovery key (and then keeps it up to date too).
   */
  readonly status: 'off' | 'on' | 'elsewhere';
  readonly updatedAt?: string;
  readonly bytes?: number;
  /** What runs now. */
  readonly busy?: 'turning-on' | 'backing-up' | 'restoring' | 'turning-off' | 'checking-key';
  /** The recovery key of a backup just made: shown once, until the person says it is saved. */
  readonly recoveryKey?: readonly string[];
  /** Restoring: messages so far, of the backup's total. */
  readonly restored?: { readonly messages: number; readonly total: number; readonly done: boolean };
  readonly error?: string;
}

export interface HistoryBackupsDeps {
  readonly store: ModelStore;
  readonly vault: StateStore;
  readonly api: BackupApi;
  readonly transport: ObjectTransport;
  readonly source: BackupSource;
  readonly sink: HistorySink;
}

const KeyRecordSchema = z.object({ dataKey: z.string(), header: z.string() });
type KeyRecord = z.infer<typeof KeyRecordSchema>;
const ChangedRecordSchema = z.record(z.string(), z.array(z.number()));

/** A record this browser wrote in its encrypted store, read back; one that does not parse counts as none. */
function readRecord<T>(stored: Uint8Array | undefined, schema: z.ZodMiniType<T>): T | undefined {
  if (stored === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(new TextDecoder().decode(stored)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The encrypted backup from this browser: turning it on (a recovery key shown once), keeping it up to date
 * (what came since the last run, at every connection and every {@link BACKUP_EVERY_IN_MS}), restoring from
 * it on a new browser, changing the recovery key (the history sealed again) and turning it off.
 */
export class HistoryBackups {
  private readonly backup: HistoryBackup;
  private changed = new Map<string, Set<number>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly deps: HistoryBackupsDeps) {
    this.backup = new HistoryBackup({ api: deps.api, transport: deps.transport });
  }

  private show(change: Partial<BackupState>): void {
    const current = this.deps.store.state.backup ?? { status: 'off' };
    this.deps.store.state.backup = { ...current, ...change };
    this.deps.store.changed();
  }

  private async key(): Promise<KeyRecord | undefined> {
    const stored = await this.deps.vault.get(KEY_RECORD);
    return readRecord(stored, KeyRecordSchema);
  }

  private saveKey(record: KeyRecord): Promise<void> {
    return this.deps.vault.put(KEY_RECORD, new TextEncoder().encode(JSON.stringify(record)));
  }

  /** Edits, reactions and deletions this browser kept: the next run carries them. */
  noteChanged(conversationId: string, seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    const set = this.changed.get(conversationId) ?? new Set<number>();
    for (const seq of seqs) set.add(seq);
    this.changed.set(conversationId, set);
    void this.saveChanged();
  }

  private saveChanged(): Promise<void> {
    const record = Object.fromEntries([...this.changed].map(([id, seqs]) => [id, [...seqs]]));
    return this.deps.vault.put(CHANGED_RECORD, new TextEncoder().encode(JSON.stringify(record)));
  }

  /** At every connection: reads where the backup stands, and backs up what came since, when this browser does. */
  async resume(): Promise<void> {
    const record = readRecord(await this.deps.vault.get(CHANGED_RECORD), ChangedRecordSchema);
    if (record !== undefined && this.changed.size === 0) {
      this.changed = new Map(Object.entries(record).map(([id, seqs]) => [id, new Set(seqs)]));
    }
    const [backup, key] = await Promise.all([this.deps.api.get(), this.key()]);
    if (!backup) {
      this.show({ status: 'off' });
      if (key) await this.deps.vault.delete(KEY_RECORD);
      return;
    }
    this.show({ status: key ? 'on' : 'elsewhere', updatedAt: backup.updatedAt, bytes: backup.bytes });
    if (key) {
      this.timer ??= setInterval(() => void this.run(), BACKUP_EVERY_IN_MS);
      await this.run(backup);
    }
  }

  /**
   * Backs up what came since the last run (one run at a time), over `current` when the caller has just read
   * the head.
   */
  run(current?: BackupView): Promise<void> {
    this.running ??= this.runNow(current).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async runNow(read?: BackupView): Promise<void> {
    const key = await this.key();
    if (!key) return;
    const current = read ?? (await this.deps.api.get());
    if (current?.header !== key.header) {
      // Turned off, or made again under another recovery key on another device: that one keeps it now.
      await this.deps.vault.delete(KEY_RECORD);
      this.show({ status: current ? 'elsewhere' : 'off' });
      return;
    }
    this.show({ busy: 'backing-up', error: undefined });
    const changed = this.changed;
    this.changed = new Map();
    try {
      const { backup } = await this.backup.write(
        fromBase64(key.dataKey),
        key.header,
        this.deps.source,
        changed,
        {
          current,
        },
      );
      await this.saveChanged();
      this.show({ status: 'on', busy: undefined, updatedAt: backup?.updatedAt, bytes: backup?.bytes });
    } catch (error) {
      // Not lost: the next run carries them.
      for (const [id, seqs] of changed) this.noteChanged(id, [...seqs]);
      this.show({ busy: undefined, error: `The backup could not be written: ${describeError(error)}` });
    }
  }

  /**
   * Turns the backup on with a fresh recovery key (shown once), and writes the whole history. Also how the
   * key is changed: a new key seals the history anew, and the old backup is replaced.
   */
  async turnOn(): Promise<void> {
    this.show({ busy: 'turning-on', error: undefined });
    try {
      const { createBackupHeader, generateRecoveryKey } = await recoveryKeys();
      const recoveryKey = generateRecoveryKey();
      // The key derivation takes about a second on the main thread: let the screen say so first.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const { header, dataKey } = await createBackupHeader(recoveryKey);
      await this.saveKey({ dataKey: toBase64(dataKey), header });
      this.show({ recoveryKey: recoveryKey.words, busy: 'backing-up' });
      this.changed = new Map();
      const { backup } = await this.backup.write(dataKey, header, this.deps.source, new Map());
      this.show({ status: 'on', busy: undefined, updatedAt: backup?.updatedAt, bytes: backup?.bytes });
      this.timer ??= setInterval(() => void this.run(), BACKUP_EVERY_IN_MS);
    } catch (error) {
      this.show({ busy: undefined, error: `The backup could not be turned on: ${describeError(error)}` });
    }
  }

  /** The person saved the recovery key: it is not shown again. */
  keySaved(): void {
    this.show({ recoveryKey: undefined });
  }

  /** Deletes the backup from the server, and this browser's key of it. */
  async turnOff(): Promise<void> {
    this.show({ busy: 'turning-off', error: undefined });
    try {
      await this.backup.delete();
      await this.deps.vault.delete(KEY_RECORD);
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      this.show({
        status: 'off',
        busy: undefined,
        updatedAt: undefined,
        bytes: undefined,
        recoveryKey: undefined,
      });
    } catch (error) {
      this.show({ busy: undefined, error: `The backup could not be deleted: ${describeError(error)}` });
    }
  }

  /**
   * Restores the backup into this browser with the recovery key the person typed; a wrong or mistyped key
   * is said plainly. This browser then keeps the backup up to date too.
   */
  async restore(typed: string): Promise<void> {
    const { openBackupHeader, parseRecoveryKey } = await recoveryKeys();
    let recoveryKey: RecoveryKey;
    try {
      recoveryKey = parseRecoveryKey(typed);
    } catch (error) {
      this.show({ error: error instanceof Error ? error.message : String(error) });
      return;
    }
    this.show({ busy: 'checking-key', error: undefined });
    try {
      const backup = await this.deps.api.get();
      if (!backup) {
        this.show({ status: 'off', busy: undefined, error: 'There is no backup to restore.' });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      const dataKey = await openBackupHeader(backup.header, recoveryKey);
      this.show({ busy: 'restoring', restored: { messages: 0, total: 0, done: false } });
      const report = await this.backup.restore(dataKey, this.deps.sink, (messages, total) =>
        this.show({ restored: { messages, total, done: false } }),
      );
      await this.saveKey({ dataKey: toBase64(dataKey), header: backup.header });
      await markHistoryAnswered(this.deps.vault, this.deps.store, 'restored');
      this.show({
        status: 'on',
        busy: undefined,
        restored: { messages: report.messages, total: report.messages, done: true },
      });
      this.timer ??= setInterval(() => void this.run(), BACKUP_EVERY_IN_MS);
    } catch (error) {
      this.show({
        busy: undefined,
        restored: undefined,
        error:
          error instanceof Error && error.name === 'WrongRecoveryKeyError'
            ? 'This recovery key does not open your backup. Check the words, or use your other device.'
            : `The backup could not be restored: ${describeError(error)}`,
      });
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
