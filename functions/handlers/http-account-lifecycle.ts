import { deleteAccount } from '../chat/account/delete-account';
import { exportMyData } from '../chat/account/export-my-data';
import { conversations } from '../chat/conversation/conversations';
import { friends } from '../chat/friend/friends';
import { syncMyEmail } from '../chat/profile/sync-my-email';
import { signOutEverywhere } from '../chat/session/sign-out-everywhere';
import { buildAccountLifecycleDeps } from '../composition/http-account-lifecycle';
import { metricsRecorder } from '../composition/metrics';
import { httpHandler } from '../edge/http-handler';
import { createLogger } from '../observability';

const deps = buildAccountLifecycleDeps();
const logger = createLogger('http-account-lifecycle');
const deleteMe = deleteAccount({
  ...deps,
  conversations: conversations(deps),
  friends: friends(deps),
  signOutEverywhere: signOutEverywhere(deps),
});
const exportData = exportMyData(deps);
const syncEmail = syncMyEmail(deps);

/** The account as a whole: deleting it, exporting its data, taking up its changed email. */
export const handler = httpHandler(
  'accountLifecycle',
  {
    deleteMe: async (_input, caller) => {
      const summary = await deleteMe(caller);
      // Counts only: who the account was stays out of the logs.
      logger.info('Account deleted', { ...summary });
    },
    exportMyData: ({ query }, caller) => exportData(caller, query.cursor),
    syncMyEmail: (_input, caller) => syncEmail(caller),
  },
  logger,
  metricsRecorder('http-account-lifecycle'),
  deps,
);
