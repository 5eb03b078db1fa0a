import { countMySockets } from '../chat/connection/count-my-sockets';
import { friends } from '../chat/friend/friends';
import { getPresence } from '../chat/presence/get-presence';
import { findUsers, getUser } from '../chat/profile/find-users';
import { getMe } from '../chat/profile/get-me';
import { updateMe } from '../chat/profile/update-me';
import { signOutEverywhere } from '../chat/session/sign-out-everywhere';
import { buildAccountDeps } from '../composition/http-account';
import { metricsRecorder } from '../composition/metrics';
import { httpHandler } from '../edge/http-handler';
import { createLogger } from '../observability';

const metrics = metricsRecorder('http-account');
const deps = buildAccountDeps();
const me = getMe(deps);
const mySockets = countMySockets(deps);
const changeMe = updateMe(deps);
const signOut = signOutEverywhere(deps);
const find = findUsers(deps);
const user = getUser(deps);
const friendship = friends(deps);
const presence = getPresence(deps);

/** Profile, open sockets, sign-out, user search, friends, blocks and presence: one line per route, one use case each. */
export const handler = httpHandler(
  'account',
  {
    getMe: (_input, caller) => me(caller),
    getMySockets: (_input, caller) => mySockets(caller),
    updateMe: ({ body }, caller) => changeMe(caller, body),
    signOutEverywhere: (_input, caller) => signOut(caller),
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
    getPresence: async ({ query }, caller) => ({ items: await presence(caller, query.userIds) }),
  },
  createLogger('http-account'),
  metrics,
  deps,
);

function friendTarget(body: { userId?: string; username?: string; email?: string }) {
  if (body.userId) return { userId: body.userId };
  if (body.username) return { username: body.username };
  return { email: body.email as string };
}
