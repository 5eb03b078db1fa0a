import { MAX_PINNED_CONVERSATIONS } from '../../shared/protocol/limits';
import { conversations } from '../chat/conversation/conversations';
import { updateSettings } from '../chat/conversation/update-settings';
import { deleteMessage } from '../chat/message/delete-message';
import { sendMessage } from '../chat/message/send-message';
import { advanceReceipts } from '../chat/receipt/advance-receipts';
import { buildChatDeps } from '../composition/http-chat';
import { metricsRecorder } from '../composition/metrics';
import { httpHandler } from '../edge/http-handler';
import { createLogger } from '../observability';

const metrics = metricsRecorder('http-chat');
const deps = buildChatDeps();
const chats = conversations(deps);
const send = sendMessage({ ...deps, metrics });
const remove = deleteMessage(deps);
const receipts = advanceReceipts(deps);
const settings = updateSettings({ ...deps, maxPinned: MAX_PINNED_CONVERSATIONS });

/** Conversations, each member's own settings of them, sending, deleting and receipts: one line per route, one use case each. */
export const handler = httpHandler(
  'chat',
  {
    listConversations: ({ query }, caller) => chats.list(caller, query.limit, query.cursor),
    createConversation: async ({ body }, caller) => {
      const created =
        body.kind === 'direct'
          ? await chats.openDirect(caller, body.userId)
          : await chats.createGroup(caller, body.name, body.memberIds);
      return chats.detailFor(caller, created);
    },
    getConversation: ({ params }, caller) => chats.get(caller, params.conversationId),
    updateConversation: ({ params, body }, caller) => chats.rename(caller, params.conversationId, body.name),
    updateConversationSettings: ({ params, body }, caller) => settings(caller, params.conversationId, body),
    addMembers: ({ params, body }, caller) => chats.addMembers(caller, params.conversationId, body.userIds),
    removeMember: ({ params }, caller) => chats.removeMember(caller, params.conversationId, params.userId),
    updateMember: ({ params, body }, caller) =>
      chats.setRole(caller, params.conversationId, params.userId, body.role),
    postMessage: async ({ params, body }, caller) => {
      const {
        type: _type,
        requestId: _requestId,
        ...ack
      } = await send({
        senderId: caller.userId,
        correlationId: caller.correlationId,
        conversationId: params.conversationId,
        messageId: body.messageId,
        body: body.body,
        kind: body.kind,
        refSeq: body.refSeq,
        deviceId: body.deviceId,
        attachmentIds: body.attachmentIds,
      });
      return ack;
    },
    deleteMessage: ({ params }, caller) => remove(caller, params.conversationId, params.seq),
    updateReceipts: ({ params, body }, caller) => receipts(caller, params.conversationId, body),
  },
  createLogger('http-chat'),
  metrics,
  deps,
);
