import type { Backup } from '../../../shared/protocol/backup';
import { NotFoundError } from '../../errors';
import type { BackupStore } from '../../ports/backup-store';
import type { Caller } from '../access';
import { backupView } from './backup-view';

export interface GetBackupDeps {
  readonly backups: Pick<BackupStore, 'getHead'>;
}

/** The caller's backup head (`GET /me/backup`; the edge counts the read), or NOT_FOUND when they keep none. */
export function getBackup(deps: GetBackupDeps) {
  return async (caller: Caller): Promise<Backup> => {
    const head = await deps.backups.getHead(caller.userId);
    if (!head) throw new NotFoundError('You keep no backup');
    return backupView(head);
  };
}
