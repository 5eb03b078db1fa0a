import type { Backup } from '../../../shared/protocol/backup';
import type { BackupHead } from '../../ports/backup-store';
import { iso } from '../views';

/** A backup's head as the API answers it. */
export function backupView(head: BackupHead): Backup {
  return {
    version: head.version,
    header: head.header,
    indexChunkId: head.indexChunkId,
    chunkIds: [...head.chunkIds],
    bytes: head.bytes,
    updatedAt: iso(head.updatedAt),
  };
}
