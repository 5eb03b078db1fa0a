import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptAttachment, encryptAttachment } from '../../shared/e2ee/attachment-cipher';
import { encodeMessagePayload, parseMessagePayload } from '../../shared/e2ee/attachment-payload';
import { apiFor, befriend } from '../support/api';
import { postUpload } from '../support/attachments';
import { type E2eeTestDevice, findMarker, openDevice } from '../support/e2ee-device';
import { type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';
import { flatten, serverContents } from '../support/stored';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A file sent in a conversation, as its sender knows it. */
interface SentFile {
  readonly conversationId: string;
  readonly attachmentId: string;
  /** The message's plaintext, as `waitForText` matches it. */
  readonly payloadText: string;
  readonly caption: string;
  readonly name: string;
  readonly bytes: Uint8Array;
}

/**
 * The canary, for files: in a direct chat and a group, a device sends a file whose bytes, name and caption
 * each carry a marker, sealed and named as the web client does it (`encryptAttachment`, an upload slot,
 * the descriptor inside the MLS message). Every other device opens it byte for byte. Afterwards no marker
 * is in any S3 object, table item, function log line, request body the gateways received, frame the
 * sockets were pushed, or device's stored state. Controls sent in the clear (a group name, a file posted
 * unsealed) are found in the same places, which shows the search would have found the others.
 */
describe('E2EE canary for attachments: the server holds only sealed files and sealed names', () => {
  let stack: TestStack;
  let alice: Persona;
  let bob: Persona;
  let carol: Persona;
  let devices: E2eeTestDevice[];
  let aliceLaptop: E2eeTestDevice;
  let alicePhone: E2eeTestDevice;
  let bobLaptop: E2eeTestDevice;
  let carolPhone: E2eeTestDevice;
  const run = randomUUID().slice(0, 8);
  const markers: string[] = [];
  const marker = (label: string) => {
    const value = `CANARY-${label}-${run}-${markers.length}`;
    markers.push(value);
    return value;
  };
  const control = `CONTROL-${run}`;
  const controlFile = `CONTROL-FILE-${run}`;
  const sent: SentFile[] = [];

  /** A file of several 64 KiB chunks with the marker in its first and in its last chunk. */
  function fileWith(bytesMarker: string): Uint8Array {
    const mark = Buffer.from(bytesMarker);
    return new Uint8Array(Buffer.concat([randomBytes(1000), mark, randomBytes(200_000), mark]));
  }

  /** Seals a file, uploads it and sends the message naming it, as the web client does. */
  async function sendFile(from: E2eeTestDevice, conversationId: string, label: string): Promise<SentFile> {
    const bytes = fileWith(marker(`${label}-bytes`));
    const name = `${marker(`${label}-name`)}.bin`;
    const caption = `Here it is: ${marker(`${label}-caption`)}`;
    const sealed = await encryptAttachment(new Blob([Buffer.from(bytes)]));
    const slot = await apiFor(stack, from.persona).createUpload({
      params: { conversationId },
      body: { size: sealed.size },
    });
    expect((await postUpload(slot, sealed.ciphertext)).status).toBe(204);
    const plaintext = encodeMessagePayload({
      text: caption,
      attachments: [
        {
          id: slot.attachmentId,
          key: sealed.key,
          sha256: sealed.sha256,
          size: sealed.size,
          plainSize: sealed.plainSize,
          chunkSize: sealed.chunkSize,
          type: 'application/octet-stream',
          name,
          kind: 'file',
        },
      ],
    });
    if (plaintext === undefined) throw new Error('the payload does not fit a message');
    await from.client.send(conversationId, plaintext, { attachmentIds: [slot.attachmentId] });
    const file: SentFile = {
      conversationId,
      attachmentId: slot.attachmentId,
      payloadText: new TextDecoder().decode(plaintext),
      caption,
      name,
      bytes,
    };
    sent.push(file);
    return file;
  }

  /** Receives the message on a device, reads its payload, downloads the file and opens it. */
  async function receive(device: E2eeTestDevice, file: SentFile) {
    const event = await device.waitForText(file.conversationId, file.payloadText);
    if (event.kind !== 'message') throw new Error(`${device.name} got a ${event.kind}`);
    const payload = parseMessagePayload(event.plaintext);
    expect(payload?.text).toBe(file.caption);
    const [descriptor] = payload?.attachments ?? [];
    if (descriptor === undefined) throw new Error(`${device.name} got no attachment`);
    expect(descriptor).toMatchObject({
      id: file.attachmentId,
      name: file.name,
      plainSize: file.bytes.length,
    });
    const link = await apiFor(stack, device.persona).getAttachment({
      params: { conversationId: file.conversationId, attachmentId: descriptor.id },
    });
    const response = await fetch(link.url);
    expect(response.status).toBe(200);
    if (response.body === null) throw new Error('the download has no body');
    const opened = await decryptAttachment(response.body, descriptor, { type: descriptor.type });
    return new Uint8Array(await opened.arrayBuffer());
  }

  beforeAll(async () => {
    stack = await startTestStack();
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
    ] as const) {
      devices.push(await openDevice(stack, persona, deviceId));
    }
    [aliceLaptop, alicePhone, bobLaptop, carolPhone] = devices as [
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

  it('carries a file in a direct chat to every other device, which opens it byte for byte', async () => {
    const { conversationId } = await apiFor(stack, alice).createConversation({
      body: { kind: 'direct', userId: bob.userId },
    });
    const file = await sendFile(aliceLaptop, conversationId, 'direct');

    for (const device of [alicePhone, bobLaptop]) {
      expect(sha256(await receive(device, file))).toBe(sha256(file.bytes));
    }
  });

  it('carries a file in a group to every other device, which opens it byte for byte', async () => {
    const { conversationId } = await apiFor(stack, alice).createConversation({
      body: { kind: 'group', name: control, memberIds: [bob.userId, carol.userId] },
    });
    const file = await sendFile(carolPhone, conversationId, 'group');

    for (const device of [aliceLaptop, alicePhone, bobLaptop]) {
      expect(sha256(await receive(device, file))).toBe(sha256(file.bytes));
    }
    for (const device of devices) {
      await device.settled();
      expect(device.errors).toEqual([]);
    }
  });

  it('leaves no marker of bytes, name or caption in S3, the table, logs, requests, pushes or device storage', async () => {
    // A control file, posted without sealing to a slot of its own: the search of objects must find it.
    const [group] = sent.slice(-1);
    if (group === undefined) throw new Error('no file was sent');
    const clear = Buffer.from(`${controlFile} in the clear`);
    const slot = await apiFor(stack, alice).createUpload({
      params: { conversationId: group.conversationId },
      body: { size: clear.length },
    });
    expect((await postUpload(slot, clear)).status).toBe(204);
    for (const device of devices) await device.settled();

    const traffic = stack.traffic.map((record) => record.body).join('\n');
    const logs = stack.logs.map((log) => log.line).join('\n');
    const pushes = devices.map((device) => flatten(device.socket.frames)).join('\n');
    const { objects, text: stored } = await serverContents(stack);
    const disks = (
      await Promise.all(
        devices.map(async (device) => {
          const keys = ['device', 'key-packages'];
          for (const { conversationId } of sent)
            keys.push(`group/${conversationId}`, `meta/${conversationId}`);
          const values = await Promise.all(keys.map((key) => device.disk.get(key)));
          return values.map((value) => (value === undefined ? '' : flatten(value))).join('\n');
        }),
      )
    ).join('\n');
    const attachmentObjects = objects.filter((object) => object.startsWith('attachments/'));

    // The search works: what travelled or was stored in the clear is found where it went.
    expect(findMarker(traffic, [control])).toBeDefined();
    expect(findMarker(stored, [control])).toBeDefined();
    expect(findMarker(attachmentObjects.join('\n'), [controlFile])).toBeDefined();
    // The sealed files are there to search: an object per file, and the control's.
    for (const { attachmentId } of sent) {
      expect(attachmentObjects.some((object) => object.startsWith(`attachments/${attachmentId}\n`))).toBe(
        true,
      );
    }
    expect(findMarker(pushes, [control])).toBeDefined();
    // The requests sending the files, the lines logged about them and the pushes carrying them were read.
    for (const { attachmentId, conversationId } of sent) {
      expect(traffic).toContain(attachmentId);
      expect(logs).toContain(conversationId);
      expect(pushes).toContain(conversationId);
    }
    // The markers are in what the senders kept: what the search looks for is there to find.
    const kept = sent.map((file) => `${flatten(file.bytes)}\n${file.name}\n${file.caption}`).join('\n');
    expect(markers).toHaveLength(6);
    for (const value of markers) expect(findMarker(kept, [value])).toBeDefined();

    expect(findMarker(stored, markers)).toBeUndefined();
    expect(findMarker(traffic, markers)).toBeUndefined();
    expect(findMarker(logs, markers)).toBeUndefined();
    expect(findMarker(pushes, markers)).toBeUndefined();
    expect(findMarker(disks, markers)).toBeUndefined();
  });
});
