import { allPages } from '../../client/api-client';
import { fromBase64 } from '../base64';
import { GroupStateError } from '../errors';
import { GroupSession } from '../group-session';
import { DIRECTORY_TTL_IN_MS } from '../http-directory';
import { type DeviceAddress, deviceKeyOf } from '../identity';
import type { CommitPoster } from './commit-poster';
import { type ClientContext, COMMIT_ATTEMPTS } from './context';
import type { ConversationStates } from './conversation-state';
import type { LogReader } from './log-reader';

/** The same limit as the server's claim route. */
const CLAIM_BATCH = 50;

export type Reconciled = 'in-sync' | 'committed' | 'waiting';

/** Visits the user's conversations one after another. */
export async function forEachConversation(
  ctx: ClientContext,
  visit: (conversation: { conversationId: string; memberIds: readonly string[] }) => Promise<void>,
): Promise<void> {
  const conversations = await allPages((cursor) =>
    ctx.api.listConversations({ query: { limit: 100, ...(cursor === undefined ? {} : { cursor }) } }),
  );
  for (const conversation of conversations) await visit(conversation);
}

/**
 * Keeps a conversation's group in line with the server: exactly the current (not revoked) devices of the
 * current members, founding the group when there is none yet. All but {@link reconcile} run inside the
 * conversation's queue already.
 */
export class Reconciliation {
  constructor(
    private readonly ctx: ClientContext,
    private readonly states: ConversationStates,
    private readonly reader: LogReader,
    private readonly commits: CommitPoster,
  ) {}

  /** {@link reconcileNow} after every earlier task of the conversation. */
  reconcile(conversationId: string): Promise<Reconciled> {
    return this.states.serial(conversationId, () => this.reconcileNow(conversationId));
  }

  /**
   * Whether the group is known to match the server without reconciling: checked within the directory's TTL
   * with no device change heard of since, no commit in the log this device has not applied, and no
   * server-side member change waiting for its commit. Costs one small request.
   */
  async inStep(conversationId: string): Promise<boolean> {
    const state = await this.states.get(conversationId);
    const checked = state.checked;
    if (state.session === undefined || checked === undefined) return false;
    if (
      checked.generation !== this.ctx.directory.generation ||
      this.ctx.clock() - checked.at >= DIRECTORY_TTL_IN_MS
    ) {
      return false;
    }
    const epoch = await this.ctx.api.getEpoch({ params: { conversationId } });
    if (epoch.committedMembersVersion < epoch.membersVersion) return false;
    return epoch.epoch === state.cursor.slot;
  }

  async reconcileNow(conversationId: string): Promise<Reconciled> {
    const state = await this.states.get(conversationId);
    const checked = { at: this.ctx.clock(), generation: this.ctx.directory.generation };
    const outcome = await this.reconcileOnce(conversationId);
    state.checked = outcome === 'waiting' ? undefined : checked;
    return outcome;
  }

  private async reconcileOnce(conversationId: string): Promise<Reconciled> {
    for (let attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
      await this.reader.syncNow(conversationId);
      const state = await this.states.get(conversationId);
      const [conversation, epoch] = await Promise.all([
        this.ctx.api.getConversation({ params: { conversationId } }),
        this.ctx.api.getEpoch({ params: { conversationId } }),
      ]);
      const { membersVersion, committedMembersVersion: committed } = epoch;
      const wanted = await this.wantedDevices(conversation.members.map((m) => m.user.userId));
      let session = state.session;
      let created = false;
      if (session === undefined) {
        if (epoch.epoch !== 0) return 'waiting';
        // No group yet: this device founds it; if another device's founding commit wins, wait for its Welcome.
        session = await GroupSession.create(this.ctx.vault.device, this.ctx.directory);
        created = true;
      }
      const present = new Map(session.members().map((m) => [deviceKeyOf(m), m] as const));
      const remove = [...present.values()].filter(
        (m) => !wanted.has(deviceKeyOf(m)) && deviceKeyOf(m) !== deviceKeyOf(this.ctx.self),
      );
      const toAdd = [...wanted.values()].filter((d) => !present.has(deviceKeyOf(d)));
      const pendingVersion = membersVersion !== undefined && (committed ?? 0) < membersVersion;
      if (!created && remove.length === 0 && toAdd.length === 0 && !pendingVersion) return 'in-sync';
      const { keyPackages, missing } = await this.claim(toAdd);
      if (!created && remove.length === 0 && keyPackages.length === 0 && !pendingVersion) return 'in-sync';
      const pending = await session.changeMembers({
        add: keyPackages.map((k) => k.keyPackage),
        remove,
      });
      const slot = created ? 0 : (state.cursor.slot ?? 0);
      await this.states.writeAhead(conversationId, state, slot, pending, created);
      const outcome = await this.commits.postCommit(conversationId, slot, pending, {
        recipients: keyPackages.map(({ userId, deviceId }) => ({ userId, deviceId })),
        ...(missing.length === 0 && membersVersion !== undefined ? { membersVersion } : {}),
      });
      if (outcome === 'lost' || outcome === 'stale') await this.states.dropAhead(conversationId, state);
      if (outcome === 'stale') {
        // A device it would add was revoked meanwhile: nothing was stored; look again and commit anew.
        for (const { userId } of keyPackages) this.ctx.directory.forget(userId);
        continue;
      }
      if (outcome !== 'lost' && !created && !(await pending.validAsOf(outcome.storedAt))) {
        // Every member refuses this commit (a device it adds was revoked before the log stored it): its
        // author too, keeping the session it had. The group goes on from the next epoch without it.
        state.cursor.slot = slot + 1;
        state.cursor.updatedAt = this.ctx.clock();
        await this.states.save(conversationId, state);
        await this.states.dropAhead(conversationId, state);
        continue;
      }
      if (outcome !== 'lost') {
        state.session = pending.confirm();
        if (created) state.cursor = { seq: state.cursor.seq, joinedSlot: 0, joinedSeq: 0 };
        state.cursor.slot = slot + 1;
        state.cursor.updatedAt = this.ctx.clock();
        await this.states.save(conversationId, state);
        await this.states.dropAhead(conversationId, state);
        return 'committed';
      }
      if (created) return 'waiting';
    }
    throw new GroupStateError(`Gave up reconciling ${conversationId} after ${COMMIT_ATTEMPTS} lost epochs`);
  }

  /** The current (not revoked) devices of these users, by device key. */
  private async wantedDevices(userIds: readonly string[]): Promise<Map<string, DeviceAddress>> {
    const lists = await Promise.all(userIds.map((userId) => this.ctx.directory.devicesOf(userId)));
    return new Map(
      lists
        .flat()
        .filter((d) => !d.revoked)
        .map((d) => [deviceKeyOf(d), { userId: d.userId, deviceId: d.deviceId }] as const),
    );
  }

  /** One key package per wanted device; devices with none left (or unknown to the server) are `missing`. */
  private async claim(devices: readonly DeviceAddress[]) {
    const wanted = new Set(devices.map(deviceKeyOf));
    const userIds = [...new Set(devices.map((d) => d.userId))];
    const keyPackages: { userId: string; deviceId: string; keyPackage: Uint8Array }[] = [];
    for (let i = 0; i < userIds.length; i += CLAIM_BATCH) {
      const claim = await this.ctx.api.claimKeyPackages({
        body: { userIds: userIds.slice(i, i + CLAIM_BATCH) },
      });
      for (const item of claim.items) {
        if (wanted.has(deviceKeyOf(item))) {
          keyPackages.push({
            userId: item.userId,
            deviceId: item.deviceId,
            keyPackage: fromBase64(item.keyPackage),
          });
        }
      }
    }
    const got = new Set(keyPackages.map(deviceKeyOf));
    return { keyPackages, missing: devices.filter((d) => !got.has(deviceKeyOf(d))) };
  }
}
