import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_BODY_SIZE_IN_BYTES } from '../protocol/limits';
import { MAX_MESSAGE_PAYLOAD_SIZE_IN_BYTES } from './attachment-payload';
import { createDevice, type Device, type DeviceKeyPackage, makeKeyPackages } from './device';
import {
  CredentialRejectedError,
  MalformedMessageError,
  MessageRejectedError,
  WrongEpochError,
} from './errors';
import { type GroupEvent, GroupSession } from './group-session';
import { InMemoryDirectory } from './in-memory-directory';

const text = (value: string) => new TextEncoder().encode(value);
const read = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A device with its own directory view, key packages and current session. */
interface Persona {
  readonly device: Device;
  readonly directory: InMemoryDirectory;
  keyPackages: DeviceKeyPackage[];
  session?: GroupSession;
}

async function persona(userId: string, deviceId: string, directory: InMemoryDirectory): Promise<Persona> {
  const device = await createDevice(userId, deviceId);
  directory.register(device);
  return { device, directory, keyPackages: await makeKeyPackages(device, 2) };
}

function sessionOf(p: Persona): GroupSession {
  if (p.session === undefined) throw new Error(`${p.device.userId}/${p.device.deviceId} has no session`);
  return p.session;
}

function keyPackageOf(p: Persona): Uint8Array {
  const first = p.keyPackages[0];
  if (first === undefined) throw new Error('no key package left');
  return first.publicBytes;
}

async function join(p: Persona, welcome: Uint8Array | undefined): Promise<void> {
  if (welcome === undefined) throw new Error('commit had no welcome');
  const { session, usedKeyPackage } = await GroupSession.join(p.device, p.directory, welcome, p.keyPackages);
  p.keyPackages = p.keyPackages.filter((_, i) => i !== usedKeyPackage);
  p.session = session;
}

async function send(from: Persona, message: string): Promise<Uint8Array> {
  const { session, message: bytes } = await sessionOf(from).encrypt(text(message));
  from.session = session;
  return bytes;
}

async function receive(to: Persona, bytes: Uint8Array): Promise<GroupEvent> {
  const { session, event } = await sessionOf(to).decrypt(bytes);
  to.session = session;
  return event;
}

async function receiveText(to: Persona, bytes: Uint8Array): Promise<string> {
  const event = await receive(to, bytes);
  if (event.kind !== 'message') throw new Error(`expected a message, got ${event.kind}`);
  return read(event.plaintext);
}

describe('GroupSession: Alice (phone, laptop) and Bob (phone) in one group', () => {
  let directory: InMemoryDirectory;
  let alicePhone: Persona;
  let aliceLaptop: Persona;
  let bobPhone: Persona;

  beforeEach(async () => {
    directory = new InMemoryDirectory();
    alicePhone = await persona('alice', 'phone', directory);
    aliceLaptop = await persona('alice', 'laptop', directory);
    bobPhone = await persona('bob', 'phone', directory);
    alicePhone.session = await GroupSession.create(alicePhone.device, directory);
    const pending = await sessionOf(alicePhone).addDevices([
      keyPackageOf(aliceLaptop),
      keyPackageOf(bobPhone),
    ]);
    alicePhone.session = pending.confirm();
    await join(aliceLaptop, pending.welcome);
    await join(bobPhone, pending.welcome);
  });

  it('puts all three devices in the group at the same epoch', () => {
    for (const p of [alicePhone, aliceLaptop, bobPhone]) {
      expect(sessionOf(p).epoch).toBe(1n);
      expect(
        sessionOf(p)
          .members()
          .map((m) => `${m.userId}/${m.deviceId}`),
      ).toEqual(['alice/phone', 'alice/laptop', 'bob/phone']);
    }
  });

  it('consumes the key package a welcome was made for', () => {
    expect(bobPhone.keyPackages).toHaveLength(1);
  });

  it('lets every device read every other device’s message, with the right sender', async () => {
    const everyone = [alicePhone, aliceLaptop, bobPhone];
    for (const sender of everyone) {
      const line = `hello from ${sender.device.userId}/${sender.device.deviceId}`;
      const bytes = await send(sender, line);
      expect(read(bytes)).not.toContain(line);
      for (const recipient of everyone.filter((p) => p !== sender)) {
        const event = await receive(recipient, bytes);
        expect(event).toEqual({
          kind: 'message',
          senderUserId: sender.device.userId,
          senderDeviceId: sender.device.deviceId,
          plaintext: text(line),
        });
      }
    }
  });

  it('seals the largest payload a message may carry into one body the server accepts', async () => {
    const largest = new Uint8Array(MAX_MESSAGE_PAYLOAD_SIZE_IN_BYTES).fill(0x61);
    const { message } = await sessionOf(alicePhone).encrypt(largest);
    expect(message.byteLength).toBeLessThanOrEqual(MAX_BODY_SIZE_IN_BYTES);
    const event = await receive(bobPhone, message);
    expect(event.kind === 'message' && event.plaintext.byteLength).toBe(largest.byteLength);
  });

  it('shuts a removed device out of the next message', async () => {
    const pending = await sessionOf(alicePhone).removeDevices([{ userId: 'alice', deviceId: 'laptop' }]);
    alicePhone.session = pending.confirm();
    const bobSees = await receive(bobPhone, pending.commit);
    expect(bobSees).toMatchObject({
      kind: 'commit',
      epoch: 2n,
      committer: { userId: 'alice', deviceId: 'phone' },
      removed: [{ userId: 'alice', deviceId: 'laptop' }],
      added: [],
      removedSelf: false,
    });
    const laptopSees = await receive(aliceLaptop, pending.commit);
    expect(laptopSees).toMatchObject({ kind: 'commit', removedSelf: true });
    expect(sessionOf(aliceLaptop).active).toBe(false);

    const secret = await send(alicePhone, 'after the laptop was lost');
    expect(await receiveText(bobPhone, secret)).toBe('after the laptop was lost');
    await expect(sessionOf(aliceLaptop).decrypt(secret)).rejects.toThrow(MessageRejectedError);
  });

  it('does not let a device added later read earlier messages', async () => {
    const before = await send(bobPhone, 'before carol joined');
    const carol = await persona('carol', 'tablet', directory);
    const pending = await sessionOf(bobPhone).addDevices([keyPackageOf(carol)]);
    bobPhone.session = pending.confirm();
    await join(carol, pending.welcome);
    await receive(alicePhone, pending.commit);

    await expect(sessionOf(carol).decrypt(before)).rejects.toThrow(MessageRejectedError);
    const after = await send(alicePhone, 'welcome carol');
    expect(await receiveText(carol, after)).toBe('welcome carol');
  });

  it('advances the epoch on a self-update and everyone still reads', async () => {
    const pending = await sessionOf(bobPhone).selfUpdate();
    bobPhone.session = pending.confirm();
    expect(await receive(alicePhone, pending.commit)).toMatchObject({
      kind: 'commit',
      added: [],
      removed: [],
    });
    await receive(aliceLaptop, pending.commit);
    for (const p of [alicePhone, aliceLaptop, bobPhone]) expect(sessionOf(p).epoch).toBe(2n);

    const bytes = await send(bobPhone, 'fresh keys');
    expect(await receiveText(alicePhone, bytes)).toBe('fresh keys');
    expect(await receiveText(aliceLaptop, bytes)).toBe('fresh keys');
  });

  it('rejects tampered and truncated ciphertext and keeps the session usable', async () => {
    const bytes = await send(alicePhone, 'do not touch');
    const tampered = bytes.slice();
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 0x01;
    await expect(sessionOf(bobPhone).decrypt(tampered)).rejects.toThrow(MessageRejectedError);
    await expect(sessionOf(bobPhone).decrypt(bytes.subarray(0, bytes.length - 10))).rejects.toThrow(
      MalformedMessageError,
    );
    await expect(sessionOf(bobPhone).decrypt(new Uint8Array([1, 2, 3]))).rejects.toThrow(
      MalformedMessageError,
    );
    expect(await receiveText(bobPhone, bytes)).toBe('do not touch');
    expect(await receiveText(aliceLaptop, await send(bobPhone, 'still here'))).toBe('still here');
  });

  it('rejects the losing commit of an epoch; the loser applies the winner and retries', async () => {
    const aliceCommit = await sessionOf(alicePhone).selfUpdate();
    const bobCommit = await sessionOf(bobPhone).selfUpdate();
    expect(aliceCommit.epoch).toBe(2n);
    expect(bobCommit.epoch).toBe(2n);

    // The server accepted Alice's commit for epoch 1 and answered Bob with 409.
    alicePhone.session = aliceCommit.confirm();
    await receive(aliceLaptop, aliceCommit.commit);
    await expect(sessionOf(aliceLaptop).decrypt(bobCommit.commit)).rejects.toThrow(WrongEpochError);
    await expect(sessionOf(alicePhone).decrypt(bobCommit.commit)).rejects.toThrow(WrongEpochError);

    await receive(bobPhone, aliceCommit.commit);
    expect(sessionOf(bobPhone).epoch).toBe(2n);
    const retry = await sessionOf(bobPhone).selfUpdate();
    bobPhone.session = retry.confirm();
    await receive(alicePhone, retry.commit);
    await receive(aliceLaptop, retry.commit);

    const bytes = await send(bobPhone, 'after the race');
    expect(await receiveText(alicePhone, bytes)).toBe('after the race');
    expect(await receiveText(aliceLaptop, bytes)).toBe('after the race');
  });

  it('survives an encode/restore round trip', async () => {
    const restored = GroupSession.restore(bobPhone.device, directory, sessionOf(bobPhone).encode());
    expect(restored.epoch).toBe(1n);
    bobPhone.session = restored;
    expect(await receiveText(bobPhone, await send(aliceLaptop, 'after restart'))).toBe('after restart');
  });
});

describe('GroupSession: the directory decides who may be a member', () => {
  let directory: InMemoryDirectory;
  let alice: Persona;

  beforeEach(async () => {
    directory = new InMemoryDirectory();
    alice = await persona('alice', 'phone', directory);
    alice.session = await GroupSession.create(alice.device, directory);
  });

  it('refuses to add a device the directory does not list', async () => {
    const stranger = await persona('mallory', 'phone', new InMemoryDirectory());
    await expect(sessionOf(alice).addDevices([keyPackageOf(stranger)])).rejects.toThrow(
      CredentialRejectedError,
    );
  });

  it('refuses to add a revoked device', async () => {
    const bob = await persona('bob', 'phone', directory);
    directory.revoke('bob', 'phone');
    await expect(sessionOf(alice).addDevices([keyPackageOf(bob)])).rejects.toThrow(CredentialRejectedError);
  });

  it('tells its author whether a commit holds as of when the log stored it, as other members judge it', async () => {
    const bob = await persona('bob', 'phone', directory);
    const carol = await persona('carol', 'tablet', directory);
    const withBob = await sessionOf(alice).addDevices([keyPackageOf(bob)]);
    alice.session = withBob.confirm();
    await join(bob, withBob.welcome);
    const pending = await sessionOf(alice).addDevices([keyPackageOf(carol)]);
    directory.revoke('carol', 'tablet', 2_000);

    expect(await pending.validAsOf(1_999)).toBe(true);
    expect(await pending.validAsOf(2_000)).toBe(false);
    // Bob, judging the commit as stored after the revocation, refuses it: so must its author.
    await expect(sessionOf(bob).decrypt(pending.commit, { storedAt: 2_500 })).rejects.toThrow();
    expect(await (await sessionOf(alice).selfUpdate()).validAsOf(2_500)).toBe(true);
  });

  it('refuses a key package signed with another key than the directory lists', async () => {
    const bob = await persona('bob', 'phone', directory);
    const impostor = await persona('bob', 'phone', new InMemoryDirectory());
    expect(bob.device.signaturePublicKey).not.toEqual(impostor.device.signaturePublicKey);
    await expect(sessionOf(alice).addDevices([keyPackageOf(impostor)])).rejects.toThrow(
      CredentialRejectedError,
    );
  });

  it('refuses to create a group for a device the directory does not vouch for', async () => {
    const stranger = await createDevice('mallory', 'phone');
    await expect(GroupSession.create(stranger, directory)).rejects.toThrow(CredentialRejectedError);
  });

  describe('when a dishonest member uses a directory that lists an extra device', () => {
    let mallory: Persona;
    let malloryDirectory: InMemoryDirectory;

    beforeEach(async () => {
      malloryDirectory = new InMemoryDirectory();
      mallory = await persona('mallory', 'phone', malloryDirectory);
    });

    it('an honest device refuses the welcome into a group with an unlisted member', async () => {
      const bob = await persona('bob', 'phone', directory);
      malloryDirectory.register(bob.device);
      const malloryGroup = await GroupSession.create(mallory.device, malloryDirectory);
      const pending = await malloryGroup.addDevices([keyPackageOf(bob)]);
      await expect(join(bob, pending.welcome)).rejects.toThrow(CredentialRejectedError);
    });

    it('an honest member refuses a commit adding an unlisted device', async () => {
      const bob = await persona('bob', 'phone', directory);
      malloryDirectory.register(alice.device);
      malloryDirectory.register(bob.device);
      // Bob was added honestly, but his copy of the directory lists Mallory (the server lied to him).
      const bobsView = new InMemoryDirectory();
      for (const d of [alice.device, bob.device, mallory.device]) bobsView.register(d);
      const bobPersona: Persona = { ...bob, directory: bobsView };
      const added = await sessionOf(alice).addDevices([keyPackageOf(bob)]);
      alice.session = added.confirm();
      await join(bobPersona, added.welcome);

      const sneaky = await sessionOf(bobPersona).addDevices([keyPackageOf(mallory)]);
      await expect(sessionOf(alice).decrypt(sneaky.commit)).rejects.toThrow(CredentialRejectedError);
      expect(sessionOf(alice).epoch).toBe(1n);
    });
  });
});
