import { claimKeyPackages } from '../chat/device/claim-key-packages';
import { countKeyPackages } from '../chat/device/count-key-packages';
import { getPushSubscription } from '../chat/device/get-push-subscription';
import { listDevices } from '../chat/device/list-devices';
import { registerDevice } from '../chat/device/register-device';
import { removePushSubscription } from '../chat/device/remove-push-subscription';
import { renameDevice } from '../chat/device/rename-device';
import { revokeDevice } from '../chat/device/revoke-device';
import { savePushSubscription } from '../chat/device/save-push-subscription';
import { uploadKeyPackages } from '../chat/device/upload-key-packages';
import { listHistory } from '../chat/message/list-history';
import { getEpoch } from '../chat/mls/get-epoch';
import { postCommit } from '../chat/mls/post-commit';
import { acknowledgeWelcome, listWelcomes } from '../chat/mls/welcomes';
import { buildMlsDeps } from '../composition/http-mls';
import { metricsRecorder } from '../composition/metrics';
import { httpHandler } from '../edge/http-handler';
import { ConflictError } from '../errors';
import { createLogger } from '../observability';

const metrics = metricsRecorder('http-mls');
const deps = buildMlsDeps();
const history = listHistory(deps);
const register = registerDevice(deps);
const devices = listDevices(deps);
const revoke = revokeDevice(deps);
const rename = renameDevice(deps);
const savePush = savePushSubscription(deps);
const pushOf = getPushSubscription(deps);
const removePush = removePushSubscription(deps);
const upload = uploadKeyPackages(deps);
const countPackages = countKeyPackages(deps);
const claim = claimKeyPackages(deps);
const commit = postCommit(deps);
const epochOf = getEpoch(deps);
const welcomes = listWelcomes(deps);
const acknowledge = acknowledgeWelcome(deps);

/** Devices, key packages, commits, Welcomes and history pages: one line per route, one use case each. */
export const handler = httpHandler(
  'mls',
  {
    listMessages: ({ params, query }, caller) => history(caller, params.conversationId, query),
    registerDevice: ({ body }, caller) => register(caller, body),
    listDevices: async ({ params }) => ({ items: await devices(params.userId) }),
    revokeDevice: ({ params }, caller) => revoke(caller, params.deviceId),
    renameDevice: ({ params, body }, caller) => rename(caller, params.deviceId, body.name),
    putPushSubscription: ({ params, body }, caller) => savePush(caller, params.deviceId, body),
    getPushSubscription: ({ params }, caller) => pushOf(caller, params.deviceId),
    deletePushSubscription: ({ params }, caller) => removePush(caller, params.deviceId),
    uploadKeyPackages: ({ params, body }, caller) => upload(caller, params.deviceId, body),
    countKeyPackages: ({ params }, caller) => countPackages(caller, params.deviceId),
    claimKeyPackages: ({ body }, caller) => claim(caller, body.userIds),
    postCommit: async ({ params, body }, caller) => {
      try {
        return await commit(caller, params.conversationId, body);
      } catch (error) {
        // Two devices committed to one epoch: the loser applies the winner's commit and retries.
        if (error instanceof ConflictError) metrics.commitConflicted();
        throw error;
      }
    },
    getEpoch: ({ params }, caller) => epochOf(caller, params.conversationId),
    listWelcomes: ({ params, query }, caller) => welcomes(caller, params.deviceId, query),
    acknowledgeWelcome: ({ params }, caller) => acknowledge(caller, params),
  },
  createLogger('http-mls'),
  metrics,
  deps,
);
