import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64 } from '../../shared/e2ee/base64';
import { createDevice, makeKeyPackages } from '../../shared/e2ee/device';
import { MAX_INLINE_BYTES_SIZE_IN_BYTES } from '../../shared/protocol/limits';
import { apiFor, befriend } from '../support/api';
import { type E2eeTestDevice, findMarker, openDevice } from '../support/e2ee-device';
import { type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';
import { flatten, serverContents } from '../support/stored';
import { eventually } from '../support/table';

const text = (value: string) => new TextEncoder().encode(value);

/**
 * The canary: three users on five devices talk in a direct chat and a group, every message carrying a
 * marker. Afterwards no marker is in any request body the gateways received, any function log line, any
 * table item or any device's stored state. A control marker sent in the clear (a group name) is found in
 * the same places, which shows the search would have found the others.
 */
describe('E2EE canary: the server holds only ciphertext', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let devices: E2eeTestDevice[];
  let aliceLaptop: E2eeTestDevice;
  let alicePhone: E2eeTestDevice;
  let bobLaptop: E2eeTestDevice;
  let carolPhone: E2eeTestDevice;
  let carolTablet: E2eeTestDevice;
  let direct: string;
  let group: string;
  const run = randomUUID().slice(0, 8);
  const markers: string[] = [];
  const marker = (label: string) => {
    const value = `CANARY-${label}-${run}-${markers.length}`;
    markers.push(value);
    return value;
  };
  const control = `CONTROL-${run}`;

  beforeAll(async () => {
    // One user brings 60 devices below, for a commit large enough to be stored in S3: above the default cap.
    stack = await startTestStack({ caps: { devicesPerUser: 60 } });
    [alice, bob, carol] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'bob'),
      signUp(stack, 'carol'),
    ]);
    await Promise.all([
      befriend(stack, alice, bob),
      befriend(stack, alice, carol),
      befriend(stack, bob, carol),
    ]);
    devices = [];
    for (const [persona, deviceId] of [
      [alice, 'laptop'],
      [alice, 'phone'],
      [bob, 'laptop'],
      [carol, 'phone'],
      [carol, 'tablet'],
    ] as const) {
      devices.push(await openDevice(stack, persona, deviceId));
    }
    [aliceLaptop, alicePhone, bobLaptop, carolPhone, carolTablet] = devices as [
      E2eeTestDevice,
      E2eeTestDevice,
      E2eeTestDevice,
      E2eeTestDevice,
      E2eeTestDevice,
    ];
  }, 60_000);

  afterAll(async () => {
    await Promise.all((devices ?? []).map((d) => d.close()));
    await stack?.stop();
  });

  it('delivers a direct chat both ways to every device, decrypted', async () => {
    direct = (await apiFor(stack, alice).createConversation({ body: { kind: 'direct', userId: bob.userId } }))
      .conversationId;
    const hello = marker('direct');
    await aliceLaptop.client.send(direct, text(hello));
    await bobLaptop.waitForText(direct, hello);
    await alicePhone.waitForText(direct, hello);
    const reply = marker('reply');
    const replyAck = await bobLaptop.client.send(direct, text(reply));
    await aliceLaptop.waitForText(direct, reply);
    await alicePhone.waitForText(direct, reply);
    const reaction = marker('reaction');
    await alicePhone.client.send(direct, text(reaction), { kind: 'reaction', refSeq: replyAck.seq });
    const received = await bobLaptop.waitForText(direct, reaction);
    expect(received).toMatchObject({
      messageKind: 'reaction',
      refSeq: replyAck.seq,
      senderDeviceId: 'phone',
    });
    for (const device of [aliceLaptop, alicePhone, bobLaptop]) {
      for (const value of [hello, reply, reaction]) await device.waitForText(direct, value);
    }
    expect(bobLaptop.texts(direct)).toEqual([hello, reply, reaction]);
    expect(aliceLaptop.texts(direct)).toEqual([hello, reply, reaction]);
    // Both sides compute the same safety number, on every device.
    const numbers = await Promise.all([
      aliceLaptop.client.safetyNumberWith(bob.userId),
      alicePhone.client.safetyNumberWith(bob.userId),
      bobLaptop.client.safetyNumberWith(alice.userId),
    ]);
    expect(numbers[0]).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(new Set(numbers).size).toBe(1);
    expect(await bobLaptop.client.safetyNumberWith(carol.userId)).not.toBe(numbers[0]);
    // Devices of users outside the conversation are not in its group.
    const members = await aliceLaptop.client.members(direct);
    expect(members.map((m) => `${m.userId}/${m.deviceId}`).sort()).toEqual(
      [`${alice.userId}/laptop`, `${alice.userId}/phone`, `${bob.userId}/laptop`].sort(),
    );
  });

  it('delivers a group of 3 users on 5 devices, every device reading every message', async () => {
    group = (
      await apiFor(stack, alice).createConversation({
        body: { kind: 'group', name: control, memberIds: [bob.userId, carol.userId] },
      })
    ).conversationId;
    const sent: string[] = [];
    for (const [from, label] of [
      [alicePhone, 'group-alice'],
      [carolTablet, 'group-carol'],
      [bobLaptop, 'group-bob'],
      [carolPhone, 'group-carol-2'],
    ] as const) {
      const value = marker(label);
      await from.client.send(group, text(value));
      sent.push(value);
      for (const device of devices) await device.waitForText(group, value);
    }
    for (const device of devices) {
      await device.settled();
      expect(device.errors).toEqual([]);
      expect(await device.client.members(group)).toHaveLength(5);
      // Each device sees the others' messages and its own, in the log's order.
      expect(device.texts(group)).toEqual(sent);
    }
    const epochs = await Promise.all(devices.map((d) => d.client.epoch(group)));
    expect(new Set(epochs).size).toBe(1);
  });

  it('goes on when a user with 60 devices joins: the commit adding them is stored in S3', async () => {
    // Erin sets her devices up before anyone here knows her, so no device push makes a member add them
    // one by one: the commit that adds her adds all 60 at once. Each has a last-resort package, so every
    // member's commit can add them all, whichever wins the epoch.
    const erin = await signUp(stack, 'erin');
    const erins = apiFor(stack, erin);
    for (let i = 0; i < 60; i++) {
      const device = await createDevice(erin.userId, `spare-${i}`);
      const [keyPackage, lastResort] = await makeKeyPackages(device, 2, { withLastResort: true });
      await erins.registerDevice({
        body: { deviceId: device.deviceId, signaturePublicKey: toBase64(device.signaturePublicKey) },
      });
      await erins.uploadKeyPackages({
        params: { deviceId: device.deviceId },
        body: {
          keyPackages: [toBase64(keyPackage?.publicBytes ?? new Uint8Array())],
          lastResort: toBase64(lastResort?.publicBytes ?? new Uint8Array()),
        },
      });
      // One of them takes Web Push: with no connection open, the group's messages are pushed to it.
      if (i === 0) {
        await erins.putPushSubscription({
          params: { deviceId: device.deviceId },
          body: { ...stack.pushService.subscribe(stack.vapidPublicKey), preview: 'name' },
        });
      }
    }
    await befriend(stack, alice, erin);
    await apiFor(stack, alice).addMembers({
      params: { conversationId: group },
      body: { userIds: [erin.userId] },
    });
    // The members' devices commit on the conversation push; Carol's phone is in step once it reconciled.
    await carolPhone.client.reconcileAll();
    expect(await carolPhone.client.members(group)).toHaveLength(65);
    const value = marker('group-large');
    await alicePhone.client.send(group, text(value));
    for (const device of devices) await device.waitForText(group, value);
    // Every member raced to commit the addition: the losers applied the winner's commit and went on.
    for (const device of devices) {
      await device.settled();
      expect(device.errors).toEqual([]);
    }
    const log = await apiFor(stack, alice).listMessages({
      params: { conversationId: group },
      query: { limit: 100 },
    });
    const commits = log.items.filter((item) => item.kind === 'commit');
    expect(Math.max(...commits.map((c) => Buffer.from(c.body ?? '', 'base64').length))).toBeGreaterThan(
      MAX_INLINE_BYTES_SIZE_IN_BYTES,
    );
  });

  it('leaves no marker in gateway traffic, function logs, the table, S3, device storage or Web Push', async () => {
    for (const device of devices) await device.settled();
    // Erin's closed device was pushed the last group message: what the push service got, decrypted.
    const pushes = JSON.stringify(
      await eventually(async () => {
        const all = stack.pushService.all();
        return all.length > 0 ? all : undefined;
      }, 15_000),
    );
    const traffic = stack.traffic.map((record) => record.body).join('\n');
    const logs = stack.logs.map((log) => log.line).join('\n');
    const { items, objects, text: stored } = await serverContents(stack);
    // S3 holds the big commit: the search of it is not empty.
    expect(objects.length).toBeGreaterThan(0);
    const disks = (
      await Promise.all(
        devices.map(async (device) => {
          const values = await Promise.all(
            [
              'device',
              'key-packages',
              `group/${group}`,
              `meta/${group}`,
              `group/${direct}`,
              `meta/${direct}`,
            ].map((key) => device.disk.get(key)),
          );
          return values.map((value) => (value === undefined ? '' : flatten(value))).join('\n');
        }),
      )
    ).join('\n');

    // The search works: the group name travels and is stored in the clear, and is found.
    expect(findMarker(traffic, [control])).toBeDefined();
    expect(findMarker(stored, [control])).toBeDefined();
    expect(findMarker(pushes, [control])).toBeDefined();
    // The ciphertext is there: the log holds the messages' bodies.
    expect(
      items.filter((item) => String((item as { sk?: string }).sk).startsWith('MSG#')).length,
    ).toBeGreaterThan(markers.length);

    expect(markers).toHaveLength(8);
    expect(findMarker(traffic, markers)).toBeUndefined();
    expect(findMarker(logs, markers)).toBeUndefined();
    expect(findMarker(stored, markers)).toBeUndefined();
    expect(findMarker(disks, markers)).toBeUndefined();
    expect(findMarker(pushes, markers)).toBeUndefined();
  });
});
