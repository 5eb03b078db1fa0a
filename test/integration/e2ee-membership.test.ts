import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64 } from '../../shared/e2ee/base64';
import { createDevice, makeKeyPackages } from '../../shared/e2ee/device';
import type { Directory } from '../../shared/e2ee/directory';
import { type ChatEvent, E2eeClient } from '../../shared/e2ee/e2ee-client';
import { DeviceRevokedError, E2eeError } from '../../shared/e2ee/errors';
import { GroupSession } from '../../shared/e2ee/group-session';
import type { MessageEnvelope } from '../../shared/protocol/resources';
import { type Api, apiFor, befriend, logAfter } from '../support/api';
import { type E2eeTestDevice, openDevice } from '../support/e2ee-device';
import { type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';
import { eventually } from '../support/table';

const text = (value: string) => new TextEncoder().encode(value);
const read = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Feeds log entries to a session kept from before, as an attacker holding a device's old state would. */
async function replay(session: GroupSession, entries: readonly MessageEnvelope[]) {
  const outcomes: Array<{ seq: number; outcome: string }> = [];
  let current: GroupSession | undefined = session;
  for (const entry of entries) {
    if (current === undefined || entry.body === undefined) continue;
    try {
      const { session: next, event } = await current.decrypt(Buffer.from(entry.body, 'base64'));
      current = next;
      outcomes.push({
        seq: entry.seq,
        outcome:
          event.kind === 'message'
            ? `read:${read(event.plaintext)}`
            : event.kind === 'commit' && event.removedSelf
              ? 'removed'
              : event.kind,
      });
      if (event.kind === 'commit' && event.removedSelf) current = undefined;
    } catch (error) {
      if (!(error instanceof E2eeError)) throw error;
      outcomes.push({ seq: entry.seq, outcome: `refused:${error.name}` });
    }
  }
  return outcomes;
}

const messageTexts = (events: readonly ChatEvent[], conversationId: string) =>
  events.flatMap((e) =>
    e.kind === 'message' && e.conversationId === conversationId ? [read(e.plaintext)] : [],
  );

/**
 * Membership through the local stack: MLS groups follow the server's member list and device directory, and
 * the cryptography holds where the server cannot help: a removed or revoked device cannot read what comes
 * next, a device added later cannot read what came before, and a device the directory does not list is
 * refused by every honest client.
 */
describe('E2EE membership through the local stack', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let dave: Persona;
  let alices: Api;
  let aliceLaptop: E2eeTestDevice;
  let bobLaptop: E2eeTestDevice;
  let carolPhone: E2eeTestDevice;
  let carolTablet: E2eeTestDevice;
  let daveLaptop: E2eeTestDevice;
  let bobTablet: E2eeTestDevice | undefined;
  let group: string;
  const devices = () =>
    [aliceLaptop, bobLaptop, carolPhone, carolTablet, daveLaptop, bobTablet].filter(
      (d): d is E2eeTestDevice => d !== undefined,
    );

  beforeAll(async () => {
    stack = await startTestStack();
    [alice, bob, carol, dave] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
      signUp(stack, 'dave'),
    ]);
    alices = apiFor(stack, alice);
    await Promise.all([
      befriend(stack, alice, bob),
      befriend(stack, alice, carol),
      befriend(stack, alice, dave),
      befriend(stack, bob, carol),
    ]);
    aliceLaptop = await openDevice(stack, alice, 'laptop');
    bobLaptop = await openDevice(stack, bob, 'laptop');
    carolPhone = await openDevice(stack, carol, 'phone');
    carolTablet = await openDevice(stack, carol, 'tablet');
    daveLaptop = await openDevice(stack, dave, 'laptop');
    group = (
      await alices.createConversation({
        body: { kind: 'group', name: 'Membership', memberIds: [bob.userId, carol.userId] },
      })
    ).conversationId;
    await aliceLaptop.client.send(group, text('hello'));
    for (const device of [bobLaptop, carolPhone, carolTablet]) await device.waitForText(group, 'hello');
  }, 60_000);

  afterAll(async () => {
    await Promise.all(devices().map((d) => d.close()));
    await stack?.stop();
  });

  it('lets a member added later read what comes next, and nothing from before', async () => {
    await alices.addMembers({ params: { conversationId: group }, body: { userIds: [dave.userId] } });
    // Dave's laptop is added by whichever member's device commits first, and joins from its Welcome.
    await eventually(
      async () => ((await daveLaptop.client.epoch(group)) === undefined ? undefined : true),
      15_000,
    );
    await aliceLaptop.client.send(group, text('welcome dave'));
    for (const device of devices()) await device.waitForText(group, 'welcome dave');
    const before = daveLaptop.events.filter((e) => e.conversationId === group && e.kind === 'undecryptable');
    expect(before).toEqual([expect.objectContaining({ kind: 'undecryptable', reason: 'before-join' })]);
    expect(messageTexts(daveLaptop.events, group)).toEqual(['welcome dave']);
  });

  it('adds a user’s new device to their groups; it reads only what comes next', async () => {
    // The device push makes every device sharing a group with Bob add the tablet: nobody is asked to.
    bobTablet = await openDevice(stack, bob, 'tablet');
    await eventually(
      async () => ((await bobTablet?.client.epoch(group)) === undefined ? undefined : true),
      15_000,
    );
    await carolPhone.client.send(group, text('hi tablet'));
    for (const device of devices()) await device.waitForText(group, 'hi tablet');
    expect(messageTexts(bobTablet.events, group)).toEqual(['hi tablet']);
    expect(bobTablet.events.filter((e) => e.kind === 'undecryptable').length).toBeGreaterThanOrEqual(2);
    expect((await aliceLaptop.client.members(group)).map((m) => m.deviceId).sort()).toEqual(
      ['laptop', 'laptop', 'laptop', 'phone', 'tablet', 'tablet'].sort(),
    );
    // Every device that heard of the tablet raced to add it: the losers applied the winner's commit.
    for (const device of devices()) {
      await device.settled();
      expect(device.errors).toEqual([]);
    }
  });

  it('removes a revoked device from the group: it cannot read the next message', async () => {
    const kept = await carolTablet.store.get(`group/${group}`);
    const keptSeq = (await logAfter(alices, group)).at(-1)?.seq ?? 0;
    await carolPhone.client.revokeDevice('tablet');
    await aliceLaptop.client.send(group, text('after revoke'));
    for (const device of [aliceLaptop, bobLaptop, carolPhone, daveLaptop]) {
      await device.waitForText(group, 'after revoke');
    }
    await carolTablet.settled();
    expect(messageTexts(carolTablet.events, group)).not.toContain('after revoke');
    expect(carolTablet.events).toContainEqual(
      expect.objectContaining({ kind: 'membership', removedSelf: true }),
    );
    // The tablet was told, and cannot come back as the same device.
    await eventually(async () => carolTablet.revoked || undefined);
    await expect(
      E2eeClient.open({
        api: apiFor(stack, carol),
        userId: carol.userId,
        deviceId: 'tablet',
        store: carolTablet.store,
      }),
    ).rejects.toBeInstanceOf(DeviceRevokedError);
    expect((await aliceLaptop.client.members(group)).map((m) => `${m.userId}/${m.deviceId}`)).not.toContain(
      `${carol.userId}/tablet`,
    );
    // The tablet's state from before, fed the whole log since: it sees its removal, then reads nothing.
    if (kept === undefined) throw new Error('the tablet had no state');
    const old = GroupSession.restore(
      { userId: carol.userId, deviceId: 'tablet' },
      aliceLaptop.client.directory,
      kept,
    );
    const outcomes = await replay(old, await logAfter(alices, group, keptSeq));
    expect(outcomes.map((o) => o.outcome)).toContain('removed');
    expect(outcomes.map((o) => o.outcome)).not.toContain('read:after revoke');
  });

  it('removes a removed member’s devices before the next message: they cannot read it', async () => {
    const kept = await bobLaptop.store.get(`group/${group}`);
    const keptSeq = (await logAfter(alices, group)).at(-1)?.seq ?? 0;
    await alices.removeMember({ params: { conversationId: group, userId: bob.userId } });
    // Alice sends at once: her client commits the removal first.
    await aliceLaptop.client.send(group, text('after bob'));
    for (const device of [aliceLaptop, carolPhone, daveLaptop]) await device.waitForText(group, 'after bob');
    const log = await logAfter(alices, group, keptSeq);
    const removal = log.find((entry) => entry.kind === 'commit');
    const message = log.find((entry) => entry.kind === 'message');
    expect(removal?.seq).toBeLessThan(message?.seq ?? 0);
    for (const device of [bobLaptop, bobTablet]) {
      await device?.settled();
      expect(messageTexts(device?.events ?? [], group)).not.toContain('after bob');
    }
    expect(await bobLaptop.client.members(group)).toEqual([]);
    if (kept === undefined) throw new Error('Bob had no state');
    const old = GroupSession.restore(
      { userId: bob.userId, deviceId: 'laptop' },
      aliceLaptop.client.directory,
      kept,
    );
    const outcomes = (await replay(old, log)).map((o) => o.outcome);
    expect(outcomes).toContain('removed');
    expect(outcomes).not.toContain('read:after bob');
  });

  it('adds a removed member back: what was sent while they were out reads as a gap, not as a late join', async () => {
    await alices.addMembers({ params: { conversationId: group }, body: { userIds: [bob.userId] } });
    await aliceLaptop.client.send(group, text('bob is back'));
    await bobLaptop.waitForText(group, 'bob is back');
    // The laptop was in the group from the start: all it cannot read was sent while Bob was not a member.
    const afterBob = aliceLaptop.events.find(
      (e) => e.kind === 'message' && e.conversationId === group && read(e.plaintext) === 'after bob',
    );
    const unreadable = bobLaptop.events.filter(
      (e) => e.kind === 'undecryptable' && e.conversationId === group,
    );
    expect(unreadable).toContainEqual(expect.objectContaining({ seq: afterBob?.seq, reason: 'not-member' }));
    expect(unreadable.map((e) => (e.kind === 'undecryptable' ? e.reason : ''))).toEqual(
      unreadable.map(() => 'not-member'),
    );
    expect(messageTexts(bobLaptop.events, group)).not.toContain('after bob');
    expect(messageTexts(bobLaptop.events, group).at(-1)).toBe('bob is back');
  });

  it('refuses, on every honest device, a commit adding a device the directory does not list, and goes on', async () => {
    // Alice's laptop turns rogue: it adds a 'ghost' device of Alice that was never registered.
    const ghost = await createDevice(alice.userId, 'ghost');
    const [ghostPackage] = await makeKeyPackages(ghost, 1);
    const lenient: Directory = {
      deviceKey: async (userId, deviceId) =>
        userId === alice.userId && deviceId === 'ghost'
          ? { signaturePublicKey: ghost.signaturePublicKey, revoked: false }
          : aliceLaptop.client.directory.deviceKey(userId, deviceId),
    };
    const stored = await aliceLaptop.store.get(`group/${group}`);
    if (stored === undefined || ghostPackage === undefined) throw new Error('no state');
    const rogue = GroupSession.restore({ userId: alice.userId, deviceId: 'laptop' }, lenient, stored);
    const pending = await rogue.addDevices([ghostPackage.publicBytes]);
    const { epoch } = await alices.getEpoch({ params: { conversationId: group } });
    await alices.postCommit({
      params: { conversationId: group },
      body: { epoch, commit: toBase64(pending.commit) },
    });

    const honest = [aliceLaptop, carolPhone, daveLaptop];
    for (const device of honest) {
      const refused = await eventually(
        async () => device.events.find((e) => e.kind === 'refused-commit' && e.conversationId === group),
        15_000,
      );
      expect(refused).toMatchObject({ kind: 'refused-commit', epoch, senderId: alice.userId });
      expect((await device.client.members(group)).map((m) => m.deviceId)).not.toContain('ghost');
    }
    // The group goes on without the rogue commit: the next message and the next commit work for everyone.
    await carolPhone.client.send(group, text('after ghost'));
    await daveLaptop.client.selfUpdate(group);
    await aliceLaptop.client.send(group, text('still together'));
    for (const device of honest) {
      await device.waitForText(group, 'after ghost');
      await device.waitForText(group, 'still together');
    }
    const epochs = await Promise.all(honest.map((d) => d.client.epoch(group)));
    expect(new Set(epochs).size).toBe(1);
  });

  it('applies a commit that added a device revoked since, on a device that reads the log only afterwards', async () => {
    // Dave's desk holds no socket: it reads the log when it syncs, as a browser coming back would.
    const daveDesk = await openDevice(stack, dave, 'desk', { connect: false });
    try {
      const late = (
        await alices.createConversation({ body: { kind: 'group', name: 'Late', memberIds: [dave.userId] } })
      ).conversationId;
      await aliceLaptop.client.send(late, text('before the phone'));
      await daveDesk.client.sync(late);
      expect(daveDesk.texts(late)).toEqual(['before the phone']);

      // Alice signs in on a phone, which her laptop adds to the group, then revokes it.
      const alicePhone = await openDevice(stack, alice, 'phone');
      try {
        await eventually(
          async () => ((await alicePhone.client.epoch(late)) === undefined ? undefined : true),
          15_000,
        );
      } finally {
        await alicePhone.close();
      }
      await aliceLaptop.client.revokeDevice('phone');
      await aliceLaptop.client.send(late, text('after the phone'));
      await daveLaptop.waitForText(late, 'after the phone');

      // The desk meets the commit that added the phone only now, after the revocation: it was valid when
      // it was made, so the desk applies it like everyone did, and reads on.
      await daveDesk.client.sync(late);
      expect(daveDesk.texts(late)).toEqual(['before the phone', 'after the phone']);
      expect(daveDesk.events.filter((e) => e.kind === 'refused-commit' && e.conversationId === late)).toEqual(
        [],
      );
      expect(await daveDesk.client.epoch(late)).toBe(await aliceLaptop.client.epoch(late));
    } finally {
      await daveDesk.close();
    }
  });
});
