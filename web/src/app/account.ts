import { type ApiClient, ApiError } from '../../../shared/client/api-client';
import type { E2eeClient } from '../../../shared/e2ee/e2ee-client';
import type { DevicePush } from '../../../shared/protocol/outbound';
import type { Device } from '../../../shared/protocol/resources';
import type { Connection } from './connection';
import { forgetBrowser } from './open-device';
import type { Session } from './session';
import type { ModelStore } from './store';
import { forgetVerifications } from './verification';
import type { WebPush } from './web-push';

/** Requests to delete an account before saying it failed (each carries on where the last stopped). */
const DELETE_ATTEMPTS = 5;

/** My devices and my session: renaming and revoking devices, signing out, and this browser being revoked. */
export class Account {
  constructor(
    private readonly store: ModelStore,
    private readonly api: ApiClient,
    private readonly e2ee: E2eeClient,
    private readonly session: Session,
    private readonly connection: Connection,
    private readonly webPush: WebPush,
  ) {}

  /** My devices, revoked ones included. */
  async listDevices(): Promise<Device[]> {
    return (await this.api.listDevices({ params: { userId: this.store.myId } })).items;
  }

  async renameDevice(deviceId: string, name: string): Promise<void> {
    await this.api.renameDevice({ params: { deviceId }, body: { name } });
  }

  /** Revokes one of my other devices: no member encrypts to it any more, and its session ends. */
  async revokeDevice(deviceId: string): Promise<void> {
    await this.e2ee.revokeDevice(deviceId);
  }

  /**
   * A `device` push: a device of mine (the list is read again) or of anyone I share keys with (the safety
   * numbers are computed again) registered or was revoked; a device of mine renamed (the list alone).
   */
  heardDevice(frame: DevicePush): void {
    if (frame.userId === this.store.myId) this.store.state.devicesVersion++;
    if (frame.event !== 'renamed') this.store.state.keysVersion++;
    this.store.changed();
  }

  /**
   * Signs out: closes the socket and ends this browser's session on the server (`everywhere`: every
   * session of the user). A revoked browser also forgets its keys and history, which can read nothing more.
   */
  async signOut(options: { everywhere?: boolean } = {}): Promise<void> {
    this.connection.close();
    const { state } = this.store;
    // Nothing more comes to this browser for this user. A revoked device's subscription went with it, and
    // signing out everywhere removes every device's; otherwise the server is asked while the session lasts.
    await this.webPush.forget({ server: !state.revoked && !state.sessionEnded && !options.everywhere });
    if (state.revoked) await forgetBrowser(state.me.userId, this.session);
    else if (state.sessionEnded) this.session.forget();
    else if (options.everywhere) await this.signOutEverywhere();
    else await this.session.signOut(options);
  }

  /**
   * Signs out and leaves nothing of this user in this browser, for a shared computer: this device is
   * revoked on the server (no member encrypts to it any more, and its session ends), then its encrypted
   * store (keys, MLS state, history, outbox), its device id and its safety-number checks are deleted.
   * Offline, the revocation cannot be sent: the device stays listed until it is revoked from another
   * device, while this browser forgets it all the same.
   */
  async signOutAndForget(): Promise<void> {
    this.connection.close();
    // Revoking the device below removes its subscription on the server.
    await this.webPush.forget({ server: false });
    try {
      await this.e2ee.revokeDevice(this.store.state.deviceId);
    } catch {
      // Forgetting this browser must not wait for the network; the person can revoke it elsewhere.
    }
    forgetVerifications(this.store.myId);
    await forgetBrowser(this.store.myId, this.session);
  }

  /**
   * Deletes my account on the server, with the access token of a sign-in made just now (the server wants
   * one from the last few minutes), then leaves nothing of it in this browser, as `signOutAndForget` does.
   * The server has ended every session, this one too, and closed every socket.
   */
  async deleteAccount(api: Pick<ApiClient, 'deleteMe'>): Promise<void> {
    // Closed first: the server closes every socket of the account, and this one must not take that for a
    // sign-out elsewhere and show sign-in before the deletion is done. Failing, a reload reconnects.
    this.connection.close();
    // A large account (hundreds of groups) may outlast one request: each retry carries on where the last
    // one stopped, with the same sign-in, which stays recent enough for a few minutes.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await api.deleteMe();
        break;
      } catch (error) {
        const transient = !(error instanceof ApiError) || error.status >= 500 || error.status === 429;
        if (!transient || attempt >= DELETE_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
      }
    }
    await this.webPush.forget({ server: false });
    forgetVerifications(this.store.myId);
    await forgetBrowser(this.store.myId, this.session);
  }

  /**
   * Through Parley's own route, which also closes every open socket of the user and refuses their old
   * tokens at once; when it cannot be reached, Cognito's `GlobalSignOut` at least revokes the sessions.
   */
  private async signOutEverywhere(): Promise<void> {
    try {
      await this.api.signOutEverywhere();
      this.session.forget();
    } catch {
      await this.session.signOut({ everywhere: true });
    }
  }

  /** The server ended this session: stop the socket and tell the screens, which show sign-in. */
  markSessionEnded(): void {
    if (this.store.state.sessionEnded) return;
    this.connection.close();
    this.store.state.sessionEnded = true;
    this.store.changed();
  }

  /** Another of my devices revoked this one: tell the screens, which sign out. */
  markRevoked(): void {
    this.connection.close();
    this.store.state.revoked = true;
    this.store.changed();
  }
}
