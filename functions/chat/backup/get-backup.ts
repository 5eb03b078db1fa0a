import type { Backup } from '../../../shared/protocol/backup';
import type { BackupStore } from '../../ports/backup-store';
import type { Caller } from '../access';
import { backupView } from './backup-view';

export interface GetBackupDeps {
  readonly backups: Pick<BackupStore, 'getHead'>;
}

/**
 * The caller's backup head (`GET /me/backup`; the edge counts the read), or `null` when they keep none: a
 * browser asks at every start whether there is one, and having none is no error.
 */
export function getBackup(deps: GetBackupDeps) {
  return async (caller: Caller): Promise<{ backup: Backup | null }> => {
    const head = await deps.backups.getHead(caller.userId);
    return { backup: head ? backupView(head) : null };
  };
}
