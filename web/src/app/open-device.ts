import { type ApiClient, createApiClient } from '../../../shared/client/api-client';
import type { WebConfig } from '../../../shared/client/web-config';
import { type ChatEvent, E2eeClient, type PostMessage } from '../../../shared/e2ee/e2ee-client';
import { DeviceRevokedError } from '../../../shared/e2ee/errors';
import type { StateStore } from '../../../shared/e2ee/state-store';
import type { ConversationSummary, Friend, PublicProfile } from '../../../shared/protocol/resources';
import { type BlobShelf, deleteDeviceStore, openBlobShelf, openDeviceStore } from '../lib/idb-store';
import { listAllConversations } from './conversations';
import { thisBrowserName } from './device-name';
import { listAllFriends } from './people';
import type { Session } from './session';

/** Where this browser keeps its device id for a user (the keys are in the encrypted store). */
const DEVICE_ID_KEY = (userId: string) => `parley.device.${userId}`;

/** Forgets a revoked browser: its encrypted store, its device id and its session (ended on the server). */
export async function forgetBrowser(userId: string, session: Session): Promise<void> {
  localStorage.removeItem(DEVICE_ID_KEY(userId));
  await session.signOut();
  await deleteDeviceStore(userId);
}

/** What the model takes over once this browser's device is open. */
export interface OpenedDevice {
  readonly api: ApiClient;
  readonly me: PublicProfile;
  /** My email as the server holds it (people find me by it). */
  readonly email: string;
  readonly deviceId: string;
  readonly e2ee: E2eeClient;
  /** This browser's encrypted store: keys, MLS state, history, outbox. */
  readonly vault: StateStore;
  readonly shelf: BlobShelf;
  readonly conversations: ConversationSummary[];
  readonly friends: Friend[];
  /** What the device read before an owner was there, in order: for the owner to apply first. */
  readonly pending: ChatEvent[][];
}

/** Who takes the device's sends, reads and revocation, once it exists. */
export interface DeviceOwner {
  readonly post: PostMessage;
  apply(events: readonly ChatEvent[]): Promise<void>;
  revoked(): void;
}

/**
 * Signs this browser in as a device: the first time it makes the device's keys (`onStep` tells the
 * screen), registers it and uploads key packages. A returning browser asks for its profile, opens its
 * device and lists its conversations and friends at once: start-up is a chain of round trips otherwise.
 * Revoked while this browser was closed, it forgets the device and signs out of this browser.
 */
export async function openBrowserDevice(
  config: WebConfig,
  session: Session,
  onStep: (step: string) => void,
  owner: () => DeviceOwner | undefined,
): Promise<OpenedDevice> {
  const api = createApiClient({ baseUrl: config.httpApiUrl, accessToken: () => session.accessToken() });
  const userId = session.userId;
  const deviceKey = DEVICE_ID_KEY(userId);
  let deviceId = localStorage.getItem(deviceKey);
  const profile = api.getMe();
  if (deviceId === null) {
    // A new user's first request makes their profile: the rest waits for it.
    onStep('Loading your profile…');
    await profile;
    deviceId = `web-${crypto.randomUUID().slice(0, 8)}`;
    localStorage.setItem(deviceKey, deviceId);
    onStep('Creating this browser’s encryption keys…');
  } else {
    onStep('Loading your conversations…');
  }
  const vault = await openDeviceStore(userId);
  const pending: ChatEvent[][] = [];
  const browserDevice = deviceId;
  const device = E2eeClient.open({
    api,
    userId,
    deviceId,
    store: vault,
    deviceName: thisBrowserName(),
    // Over the socket once it is open; until then (and when it fails) over HTTP, naming this device.
    postMessage: (conversationId, body) =>
      owner()?.post(conversationId, body) ??
      api.postMessage({ params: { conversationId }, body: { ...body, deviceId: browserDevice } }),
    // Awaited before the device stores its state past these events: what it read is kept first.
    onEvents: async (events) => {
      const current = owner();
      if (current) await current.apply(events);
      else pending.push([...events]);
    },
    onRevoked: () => owner()?.revoked(),
  }).catch(async (error: unknown) => {
    // Revoked while this browser was closed: forget it, and sign out of this browser.
    if (error instanceof DeviceRevokedError) await forgetBrowser(userId, session);
    throw error;
  });
  const lists = Promise.all([listAllConversations(api), listAllFriends(api)]);
  const [me, e2ee, [conversations, friends], shelf] = await Promise.all([
    profile,
    device,
    lists,
    openBlobShelf(userId),
  ]);
  performance.mark('parley:device-open');
  return { api, me, email: me.email, deviceId, e2ee, vault, shelf, conversations, friends, pending };
}
