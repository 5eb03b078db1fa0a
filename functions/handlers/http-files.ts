import { createUpload } from '../chat/attachment/create-upload';
import { getAttachment } from '../chat/attachment/get-attachment';
import { createChunkUpload } from '../chat/backup/create-chunk-upload';
import { deleteBackup } from '../chat/backup/delete-backup';
import { getBackup } from '../chat/backup/get-backup';
import { getChunk } from '../chat/backup/get-chunk';
import { putBackup } from '../chat/backup/put-backup';
import { createAvatarUpload } from '../chat/profile/create-avatar-upload';
import { getAvatar } from '../chat/profile/get-avatar';
import { setAvatar } from '../chat/profile/set-avatar';
import { announceHistoryChunk } from '../chat/transfer/announce-history-chunk';
import { cancelHistoryTransfer } from '../chat/transfer/cancel-history-transfer';
import { confirmHistoryChunks } from '../chat/transfer/confirm-history-chunks';
import { createHistoryChunkUpload } from '../chat/transfer/create-history-chunk-upload';
import { getHistoryChunk } from '../chat/transfer/get-history-chunk';
import { getHistoryTransfer } from '../chat/transfer/get-history-transfer';
import { listHistoryTransfers } from '../chat/transfer/list-history-transfers';
import { approveHistoryTransfer, offerHistoryTransfer } from '../chat/transfer/offer-history-transfer';
import { requestHistoryTransfer } from '../chat/transfer/request-history-transfer';
import { buildFilesDeps } from '../composition/http-files';
import { metricsRecorder } from '../composition/metrics';
import { httpHandler } from '../edge/http-handler';
import { createLogger } from '../observability';

const metrics = metricsRecorder('http-files');
const deps = buildFilesDeps();
const upload = createUpload(deps);
const download = getAttachment(deps);
const uploadAvatar = createAvatarUpload(deps);
const changeAvatar = setAvatar(deps);
const downloadAvatar = getAvatar(deps);
const requestTransfer = requestHistoryTransfer(deps);
const listTransfers = listHistoryTransfers(deps);
const getTransfer = getHistoryTransfer(deps);
const offerTransfer = offerHistoryTransfer(deps);
const approveTransfer = approveHistoryTransfer(deps);
const chunkUpload = createHistoryChunkUpload(deps);
const announceChunk = announceHistoryChunk(deps);
const chunkLink = getHistoryChunk(deps);
const confirmChunks = confirmHistoryChunks(deps);
const cancelTransfer = cancelHistoryTransfer(deps);

const readBackup = getBackup(deps);
const uploadChunk = createChunkUpload(deps);
const downloadChunk = getChunk(deps);
const writeBackup = putBackup(deps);
const removeBackup = deleteBackup(deps);

/**
 * Attachments, profile pictures, history transfers and backup chunks: forms to upload them, links to
 * download them, a transfer's steps and the backup's head. The bytes never pass through here.
 */
export const handler = httpHandler(
  'files',
  {
    createUpload: async ({ params, body }, caller) => {
      const form = await upload(caller, params.conversationId, body.size);
      metrics.attachmentGranted(body.size);
      return form;
    },
    getAttachment: ({ params }, caller) => download(caller, params.conversationId, params.attachmentId),
    createAvatarUpload: ({ body }, caller) => uploadAvatar(caller, body.size),
    setAvatar: ({ body }, caller) => changeAvatar(caller, body.avatarId),
    clearAvatar: async (_request, caller) => {
      await changeAvatar(caller, undefined);
    },
    getAvatar: ({ params }, caller) => downloadAvatar(caller, params.userId),
    requestHistoryTransfer: ({ body }, caller) => requestTransfer(caller, body),
    listHistoryTransfers: (_request, caller) => listTransfers(caller),
    getHistoryTransfer: ({ params }, caller) => getTransfer(caller, params.transferId),
    offerHistoryTransfer: ({ params, body }, caller) => offerTransfer(caller, params.transferId, body.offer),
    approveHistoryTransfer: ({ params, body }, caller) =>
      approveTransfer(caller, params.transferId, body.approval),
    createHistoryChunkUpload: ({ params, body }, caller) =>
      chunkUpload(caller, params.transferId, body.index, body.size),
    announceHistoryChunk: ({ params, body }, caller) =>
      announceChunk(caller, params.transferId, { index: params.index, ...body }),
    getHistoryChunk: ({ params }, caller) => chunkLink(caller, params.transferId, params.index),
    confirmHistoryChunks: ({ params, body }, caller) =>
      confirmChunks(caller, params.transferId, body.received),
    cancelHistoryTransfer: ({ params }, caller) => cancelTransfer(caller, params.transferId),
    getBackup: (_request, caller) => readBackup(caller),
    createBackupChunkUpload: ({ body }, caller) => uploadChunk(caller, body.size),
    getBackupChunk: ({ params }, caller) => downloadChunk(caller, params.chunkId),
    putBackup: ({ body }, caller) => writeBackup(caller, body),
    deleteBackup: async (_request, caller) => {
      await removeBackup(caller);
    },
  },
  createLogger('http-files'),
  metrics,
  deps,
);
