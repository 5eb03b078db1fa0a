import { createUpload } from '../chat/attachment/create-upload';
import { getAttachment } from '../chat/attachment/get-attachment';
import { buildFilesDeps } from '../composition/http-files';
import { httpHandler } from '../edge/http-handler';
import { createLogger } from '../observability';

const deps = buildFilesDeps();
const upload = createUpload(deps);
const download = getAttachment(deps);

/** Attachments: a form to upload one, a link to download one. The bytes never pass through here. */
export const handler = httpHandler(
  'files',
  {
    createUpload: ({ params, body }, caller) => upload(caller, params.conversationId, body.size),
    getAttachment: ({ params }, caller) => download(caller, params.conversationId, params.attachmentId),
  },
  createLogger('http-files'),
  deps,
);
