import type { Context } from 'aws-lambda';
import { openApiDocument } from '../../shared/api/openapi';
import { ROUTES, type RouteId, routeKeyOf } from '../../shared/api/routes';
import { ErrorCode } from '../../shared/protocol/errors';
import { conversations } from '../chat/conversation/conversations';
import { claimKeyPackages } from '../chat/device/claim-key-packages';
import { countKeyPackages } from '../chat/device/count-key-packages';
import { listDevices } from '../chat/device/list-devices';
import { registerDevice } from '../chat/device/register-device';
import { revokeDevice } from '../chat/device/revoke-device';
import { uploadKeyPackages } from '../chat/device/upload-key-packages';
import { friends } from '../chat/friend/friends';
import { deleteMessage } from '../chat/message/delete-message';
import { listHistory } from '../chat/message/list-history';
import { sendMessage } from '../chat/message/send-message';
import { getEpoch } from '../chat/mls/get-epoch';
import { postCommit } from '../chat/mls/post-commit';
import { acknowledgeWelcome, listWelcomes } from '../chat/mls/welcomes';
import { getPresence } from '../chat/presence/get-presence';
import { findUsers, getUser } from '../chat/profile/find-users';
import { getMe } from '../chat/profile/get-me';
import { updateMe } from '../chat/profile/update-me';
import { advanceReceipts } from '../chat/receipt/advance-receipts';
import { buildHttpDeps } from '../composition/http-api';
import { AccessClaimsSchema, HttpEventSchema } from '../edge/events';
import { httpErrorResult, problemResult } from '../edge/http-response';
import { type Handlers, serveRoute } from '../edge/http-router';
import { beginRequest, createLogger } from '../observability';

const logger = createLogger('http-api');
const deps = buildHttpDeps();
const me = getMe(deps);
const changeMe = updateMe(deps);
const find = findUsers(deps);
const user = getUser(deps);
const friendship = friends(deps);
const chats = conversations(deps);
const history = listHistory(deps);
const send = sendMessage(deps);
const remove = deleteMessage(deps);
const receipts = advanceReceipts(deps);
const presence = getPresence(deps);
const register = registerDevice(deps);
const devices = listDevices(deps);
const revoke = revokeDevice(deps);
const upload = uploadKeyPackages(deps);
const countPackages = countKeyPackages(deps);
const claim = claimKeyPackages(deps);
const commit = postCommit(deps);
const epochOf = getEpoch(deps);
const welcomes = listWelcomes(deps);
const acknowledge = acknowledgeWelcome(deps);

/** One line per route of shared/api/routes.ts: call one use case with the parsed input. */
const handlers: Handlers = {
  getMe: (_input, caller) => me(caller),
  updateMe: ({ body }, caller) => changeMe(caller, body),
  findUsers: ({ query }, caller) => find(caller, query),
  getUser: ({ params }, caller) => user(caller, params.userId),
  listFriends: ({ query }, caller) => friendship.list(caller, query.limit, query.cursor),
  sendFriendRequest: ({ body }, caller) => friendship.request(caller, friendTarget(body)),
  acceptFriendRequest: ({ params }, caller) => friendship.accept(caller, params.userId),
  rejectFriendRequest: ({ params }, caller) => friendship.reject(caller, params.userId),
  cancelFriendRequest: ({ params }, caller) => friendship.cancel(caller, params.userId),
  removeFriend: ({ params }, caller) => friendship.unfriend(caller, params.userId),
  listBlocks: ({ query }, caller) => friendship.listBlocks(caller, query.limit, query.cursor),
  blockUser: ({ params }, caller) => friendship.block(caller, params.userId),
  unblockUser: ({ params }, caller) => friendship.unblock(caller, params.userId),
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
  addMembers: ({ params, body }, caller) => chats.addMembers(caller, params.conversationId, body.userIds),
  removeMember: ({ params }, caller) => chats.removeMember(caller, params.conversationId, params.userId),
  listMessages: ({ params, query }, caller) => history(caller, params.conversationId, query),
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
    });
    return ack;
  },
  deleteMessage: ({ params }, caller) => remove(caller, params.conversationId, params.seq),
  updateReceipts: ({ params, body }, caller) => receipts(caller, params.conversationId, body),
  getPresence: async ({ query }, caller) => ({ items: await presence(caller, query.userIds) }),
  registerDevice: ({ body }, caller) => register(caller, body),
  listDevices: async ({ params }) => ({ items: await devices(params.userId) }),
  revokeDevice: ({ params }, caller) => revoke(caller, params.deviceId),
  uploadKeyPackages: ({ params, body }, caller) => upload(caller, params.deviceId, body),
  countKeyPackages: ({ params }, caller) => countPackages(caller, params.deviceId),
  claimKeyPackages: ({ body }, caller) => claim(caller, body.userIds),
  postCommit: ({ params, body }, caller) => commit(caller, params.conversationId, body),
  getEpoch: ({ params }, caller) => epochOf(caller, params.conversationId),
  listWelcomes: ({ params, query }, caller) => welcomes(caller, params.deviceId, query),
  acknowledgeWelcome: ({ params }, caller) => acknowledge(caller, params),
  getApiDescription: async () => apiDescription(),
};

/** Built on first request, not at init: most cold starts never serve it. */
let description: ReturnType<typeof openApiDocument> | undefined;
const apiDescription = () => {
  description ??= openApiDocument();
  return description;
};

const routeIds = new Map(
  (Object.entries(ROUTES) as [RouteId, (typeof ROUTES)[RouteId]][]).map(([id, spec]) => [
    routeKeyOf(spec),
    id,
  ]),
);

/** The HTTP API, behind API Gateway's Cognito JWT authorizer (all but the API description). */
export const handler = async (rawEvent: unknown, context?: Context) => {
  const event = HttpEventSchema.parse(rawEvent);
  const { requestId } = event.requestContext;
  beginRequest(logger, context, requestId);
  const id = routeIds.get(event.routeKey);
  if (!id) return problemResult(ErrorCode.NotFound, `No route ${event.routeKey}`, requestId);
  let caller = { userId: '', username: '', correlationId: requestId };
  if (ROUTES[id].auth === 'jwt') {
    const claims = AccessClaimsSchema.safeParse(event.requestContext.authorizer?.jwt.claims);
    if (!claims.success)
      return problemResult(ErrorCode.Unauthorized, 'An access token is required', requestId);
    caller = { userId: claims.data.sub, username: claims.data.username, correlationId: requestId };
  }
  try {
    return await serveRoute(id, event, caller, handlers);
  } catch (error) {
    return httpErrorResult(error, requestId, logger);
  }
};

function friendTarget(body: { userId?: string; username?: string; email?: string }) {
  if (body.userId) return { userId: body.userId };
  if (body.username) return { username: body.username };
  return { email: body.email as string };
}
