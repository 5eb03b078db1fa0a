import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/client/api-client';
import { type ChatEvent, E2eeClient } from '../../shared/e2ee/e2ee-client';
import { InMemoryStateStore } from '../../shared/e2ee/in-memory-state-store';
import type { StateStore } from '../../shared/e2ee/state-store';
import { ErrorCode } from '../../shared/protocol/errors';
import { type Api, apiFor, befriend, logAfter } from '../support/api';
import { type E2eeTestDevice, openDevice } from '../support/e2ee-device';
import { type Persona, signUp } from '../support/personas';
import { startTestStack, type TestStack } from '../support/stack';
import { eventually } from '../support/table';

const text = (value: string) => new TextEncoder().encode(value);

/** A `fetch` that can hold a device's next commit until released, and counts the answers it got. */
function gatedFetch() {
  let gate: { reached: () => void; release: Promise<void>; matching: string } | undefined;
  const statuses: number[] = [];
  const gated: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    const isCommit = url.endsWith('/commits') && init?.method === 'POST';
    if (isCommit && gate !== undefined && String(init?.body ?? '').includes(gate.matching)) {
      const held = gate;
      gate = undefined;
      held.reached();
      await held.release;
    }
    const response = await fetch(input, init);
    if (isCommit) statuses.push(response.status);
    return response;
  };
  return {
    fetch: gated,
    statuses,
    /** Holds the next commit (whose body contains `matching`); resolves `reached` once it is held. */
    hold(matching = '') {
      let release!: () => void;
      let reached!: () => void;
      const reachedPromise = new Promise<void>((resolve) => {
        reached = resolve;
      });
      gate = { reached, release: new Promise<void>((resolve) => (release = resolve)), matching };
      return { reached: reachedPromise, release };
    },
  };
}

/**
 * Races and bad input through the local stack: two members commit at the same epoch, and members post
 * messages and commits that are garbage, truncated or replayed. Every honest device ends in the same epoch
 * with every real message, and keeps working.
 */
describe('E2EE races and bad input through the local stack', () => {
  let stack: TestStack;
  let alice: Persona;
  let carol: Persona;
  let dave: Persona;
  let alices: Api;
  let aliceLaptop: E2eeTestDevice;
  let carolPhone: E2eeTestDevice;
  let daveLaptop: E2eeTestDevice;
  let daveGate: ReturnType<typeof gatedFetch>;
  let group: string;
  const devices = () => [aliceLaptop, carolPhone, daveLaptop];

  beforeAll(async () => {
    stack = await startTestStack();
    [alice, carol, dave] = await Promise.all([
      signUp(stack, 'alice'),
      signUp(stack, 'carol'),
      signUp(stack, 'dave'),
    ]);
    alices = apiFor(stack, alice);
    await Promise.all([befriend(stack, alice, carol), befriend(stack, alice, dave)]);
    daveGate = gatedFetch();
    aliceLaptop = await openDevice(stack, alice, 'laptop');
    carolPhone = await openDevice(stack, carol, 'phone');
    daveLaptop = await openDevice(stack, dave, 'laptop', { fetch: daveGate.fetch });
    group = (
      await alices.createConversation({
        body: { kind: 'group', name: 'Races', memberIds: [carol.userId, dave.userId] },
      })
    ).conversationId;
    await aliceLaptop.client.send(group, text('start'));
    for (const device of devices()) await device.waitForText(group, 'start');
  }, 60_000);

  afterAll(async () => {
    await Promise.all((devices() ?? []).map((d) => d?.close()));
    await stack?.stop();
  });

  it('takes exactly one of two commits made at the same epoch; both end in the same epoch, no message lost', async () => {
    const { epoch: before } = await alices.getEpoch({ params: { conversationId: group } });
    daveGate.statuses.length = 0;
    // Dave's commit is made at `before` and held on its way; Alice's, made at the same epoch, goes first.
    const held = daveGate.hold();
    const daveUpdate = daveLaptop.client.selfUpdate(group);
    await held.reached;
    await aliceLaptop.client.selfUpdate(group);
    await carolPhone.client.send(group, text('during the race'));
    held.release();
    expect(await daveUpdate).toBe(true);
    // Dave's first try lost (409), applied Alice's commit and Carol's message, and won the next epoch.
    expect(daveGate.statuses).toEqual([409, 201]);
    await daveLaptop.client.send(group, text('after the race'));
    for (const device of devices()) {
      await device.waitForText(group, 'during the race');
      await device.waitForText(group, 'after the race');
      await device.settled();
      expect(device.errors).toEqual([]);
    }
    const commits = (await logAfter(alices, group))
      .filter((e) => e.kind === 'commit')
      .map((e) => e.messageId);
    expect(commits.slice(-2)).toEqual([`commit-${before}`, `commit-${before + 1}`]);
    expect(new Set(commits).size).toBe(commits.length);
    const { epoch: after } = await alices.getEpoch({ params: { conversationId: group } });
    expect(after).toBe(before + 2);
    const epochs = await Promise.all(devices().map((d) => d.client.epoch(group)));
    expect(new Set(epochs).size).toBe(1);
  });

  it('refuses garbage, truncated and replayed messages on every device, which keep working', async () => {
    const carols = apiFor(stack, carol);
    const log = await logAfter(alices, group);
    const real = log.findLast((e) => e.kind === 'message' && e.body !== undefined);
    if (real?.body === undefined) throw new Error('no message in the log');
    const realBytes = Buffer.from(real.body, 'base64');
    const bad = [
      randomBytes(64),
      realBytes.subarray(0, Math.floor(realBytes.length / 2)),
      realBytes, // the same ciphertext again: a replay
      Buffer.concat([
        realBytes.subarray(0, 40),
        Buffer.from([(realBytes[40] ?? 0) ^ 1]),
        realBytes.subarray(41),
      ]),
    ];
    const seqs: number[] = [];
    for (const body of bad) {
      const ack = await carols.postMessage({
        params: { conversationId: group },
        body: { messageId: randomUUID(), body: body.toString('base64') },
      });
      seqs.push(ack.seq);
    }
    await aliceLaptop.client.send(group, text('still fine'));
    for (const device of devices()) {
      await device.waitForText(group, 'still fine');
      const refused = device.events.filter((e) => e.kind === 'undecryptable' && seqs.includes(e.seq));
      expect(refused.map((e) => (e.kind === 'undecryptable' ? e.reason : ''))).toEqual(
        seqs.map(() => 'rejected'),
      );
    }
  });

  it('refuses commits for a wrong epoch at the server; skips garbage and replayed ones on every device', async () => {
    const log = await logAfter(alices, group);
    const count = log.length;
    const { epoch } = await alices.getEpoch({ params: { conversationId: group } });
    const oldCommit = log.find((e) => e.kind === 'commit')?.body;
    if (oldCommit === undefined) throw new Error('no commit in the log');
    for (const wrong of [epoch + 1, epoch + 5]) {
      const refused = await alices
        .postCommit({ params: { conversationId: group }, body: { epoch: wrong, commit: oldCommit } })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ApiError);
      expect((refused as ApiError).status).toBe(409);
      expect((refused as ApiError).code).toBe(ErrorCode.Conflict);
    }
    expect(await logAfter(alices, group)).toHaveLength(count);

    // At the right epoch the server cannot tell: it orders them, and every device skips them alike.
    await alices.postCommit({ params: { conversationId: group }, body: { epoch, commit: oldCommit } });
    await alices.postCommit({
      params: { conversationId: group },
      body: { epoch: epoch + 1, commit: randomBytes(200).toString('base64') },
    });
    for (const device of devices()) {
      await eventually(
        async () =>
          device.events.filter((e) => e.kind === 'refused-commit').length === 2 ? true : undefined,
        15_000,
      );
    }
    await carolPhone.client.selfUpdate(group);
    await daveLaptop.client.send(group, text('after bad commits'));
    for (const device of devices()) {
      await device.waitForText(group, 'after bad commits');
      expect(device.errors).toEqual([]);
    }
    const epochs = await Promise.all(devices().map((d) => d.client.epoch(group)));
    expect(new Set(epochs).size).toBe(1);
  });

  it('answers a claim for an unknown user with a clear error, and changes nothing', async () => {
    const before = await apiFor(stack, carol).countKeyPackages({ params: { deviceId: 'phone' } });
    const refused = await alices
      .claimKeyPackages({ body: { userIds: [randomUUID()] } })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect([403, 404]).toContain((refused as ApiError).status);
    const after = await apiFor(stack, carol).countKeyPackages({ params: { deviceId: 'phone' } });
    expect(after).toEqual(before);
  });

  it('recovers on every member when a device their commits add is revoked before they are posted', async () => {
    const [gina, hugo] = await Promise.all([signUp(stack, 'gina'), signUp(stack, 'hugo')]);
    await befriend(stack, gina, hugo);
    const ginaGate = gatedFetch();
    const hugoGate = gatedFetch();
    const ginaPhone = await openDevice(stack, gina, 'phone', { fetch: ginaGate.fetch });
    const hugoLaptop = await openDevice(stack, hugo, 'laptop', { fetch: hugoGate.fetch });
    try {
      const { conversationId } = await apiFor(stack, gina).createConversation({
        body: { kind: 'group', name: 'Revoked mid-commit', memberIds: [hugo.userId] },
      });
      await ginaPhone.client.send(conversationId, text('before'));
      await hugoLaptop.waitForText(conversationId, 'before');
      const { epoch: before } = await apiFor(stack, gina).getEpoch({ params: { conversationId } });

      // Hugo's new tablet: both members claim it a key package and commit to add it; both commits are held.
      const welcomesTablet = '"deviceId":"tablet"';
      const ginaHeld = ginaGate.hold(welcomesTablet);
      const hugoHeld = hugoGate.hold(welcomesTablet);
      ginaGate.statuses.length = 0;
      hugoGate.statuses.length = 0;
      await openDevice(stack, hugo, 'tablet', { connect: false });
      await Promise.all([ginaHeld.reached, hugoHeld.reached]);
      // The tablet is revoked before either commit reaches the server, which refuses both.
      await apiFor(stack, hugo).revokeDevice({ params: { deviceId: 'tablet' } });
      ginaHeld.release();
      hugoHeld.release();
      await eventually(async () =>
        ginaGate.statuses.length > 0 && hugoGate.statuses.length > 0 ? true : undefined,
      );
      expect([ginaGate.statuses[0], hugoGate.statuses[0]]).toEqual([400, 400]);

      // Neither device fails or forks: each looks again, finds nothing to add, and the two go on talking.
      await ginaPhone.client.send(conversationId, text('after'));
      await hugoLaptop.waitForText(conversationId, 'after');
      await hugoLaptop.client.send(conversationId, text('reply'));
      await ginaPhone.waitForText(conversationId, 'reply');
      for (const device of [ginaPhone, hugoLaptop]) {
        await device.settled();
        expect(device.errors).toEqual([]);
        expect((await device.client.members(conversationId)).map((m) => m.deviceId).sort()).toEqual([
          'laptop',
          'phone',
        ]);
      }
      expect(await ginaPhone.client.epoch(conversationId)).toBe(
        await hugoLaptop.client.epoch(conversationId),
      );
      expect((await apiFor(stack, gina).getEpoch({ params: { conversationId } })).epoch).toBe(before);
    } finally {
      await Promise.all([ginaPhone.close(), hugoLaptop.close()]);
    }
  });

  /** A store in front of `kept` that throws, as a closing tab would, on the first write `stopsAt` names. */
  const stoppingStore = (
    kept: StateStore,
    stopsAt: (key: string, value: Uint8Array) => boolean,
  ): StateStore => ({
    get: (key) => kept.get(key),
    delete: (key) => kept.delete(key),
    put: async (key, value) => {
      if (stopsAt(key, value)) throw new Error('the tab was closed');
      await kept.put(key, value);
    },
  });

  /** What each persona's device read from others, by user id. */
  const read = new Map<string, ChatEvent[]>();
  const openRecording = (persona: Persona, store: StateStore) => {
    const events: ChatEvent[] = [];
    read.set(persona.userId, events);
    return E2eeClient.open({
      api: apiFor(stack, persona),
      userId: persona.userId,
      deviceId: 'laptop',
      store,
      onEvents: (more) => {
        events.push(...more);
      },
    });
  };
  const textsReadBy = (persona: Persona) =>
    (read.get(persona.userId) ?? []).flatMap((e) =>
      e.kind === 'message' && !e.own ? [new TextDecoder().decode(e.plaintext)] : [],
    );

  it('keeps the group it founded when the app stopped between the commit being stored and its state', async () => {
    const [fay, gus] = await Promise.all([signUp(stack, 'fay'), signUp(stack, 'gus')]);
    await befriend(stack, fay, gus);
    const kept = new InMemoryStateStore();
    // Fay's browser stops when it first stores a group's state, as a tab closed right after the server
    // stored the commit that founded the group would.
    const faysFirst = await openRecording(
      fay,
      stoppingStore(kept, (key) => key.startsWith('group/')),
    );
    const gusLaptop = await openRecording(gus, new InMemoryStateStore());
    const direct = (
      await apiFor(stack, fay).createConversation({ body: { kind: 'direct', userId: gus.userId } })
    ).conversationId;

    // Fay's device founds the group: the server stores its commit, then the app stops.
    await expect(faysFirst.reconcile(direct)).rejects.toThrow('the tab was closed');
    expect((await apiFor(stack, fay).getEpoch({ params: { conversationId: direct } })).epoch).toBe(1);

    // Gus joins from its Welcome and writes; Fay's browser, opened again, is in the group and reads him.
    await gusLaptop.sync(direct);
    await gusLaptop.send(direct, text('are you there?'));
    const faysAgain = await openRecording(fay, kept);
    await faysAgain.sync(direct);
    expect(textsReadBy(fay)).toEqual(['are you there?']);
    expect(await kept.get(`ahead/${direct}`)).toBeUndefined();

    // And she writes back in the same group.
    await faysAgain.send(direct, text('here'));
    await gusLaptop.sync(direct);
    expect(textsReadBy(gus)).toEqual(['here']);
  });

  it('keeps its place in a group when the app stopped between its own commit being stored and its state', async () => {
    const [hal, ida] = await Promise.all([signUp(stack, 'hal'), signUp(stack, 'ida')]);
    await befriend(stack, hal, ida);
    const kept = new InMemoryStateStore();
    // Hal's browser stops when it is about to store that it is past epoch 1 (after its own commit was
    // stored at epoch 1), as a tab closed in that moment would.
    const pastEpochOne = (key: string, value: Uint8Array) =>
      key.startsWith('meta/') &&
      (JSON.parse(new TextDecoder().decode(value)) as { cursor: { slot?: number } }).cursor.slot === 2;
    const halsFirst = await openRecording(hal, stoppingStore(kept, pastEpochOne));
    const idaLaptop = await openRecording(ida, new InMemoryStateStore());
    const direct = (
      await apiFor(stack, hal).createConversation({ body: { kind: 'direct', userId: ida.userId } })
    ).conversationId;
    await halsFirst.reconcile(direct);
    await idaLaptop.sync(direct);

    // Hal's device updates its keys (a commit of its own); the server stores it, then the app stops.
    await expect(halsFirst.selfUpdate(direct)).rejects.toThrow('the tab was closed');
    expect((await apiFor(stack, hal).getEpoch({ params: { conversationId: direct } })).epoch).toBe(2);

    // Ida applies it and writes; Hal's browser, opened again, goes on from its own commit and reads her.
    await idaLaptop.sync(direct);
    await idaLaptop.send(direct, text('still there?'));
    const halsAgain = await openRecording(hal, kept);
    await halsAgain.sync(direct);
    expect(textsReadBy(hal)).toEqual(['still there?']);
    expect(await kept.get(`ahead/${direct}`)).toBeUndefined();
    await halsAgain.send(direct, text('yes'));
    await idaLaptop.sync(direct);
    expect(textsReadBy(ida)).toEqual(['yes']);
  });

  it('reads a message again when the app failed to keep it: the device stores its state only after', async () => {
    const erin = await signUp(stack, 'erin');
    await befriend(stack, alice, erin);
    const store = new InMemoryStateStore();
    const open = (onEvents: (events: readonly ChatEvent[]) => void) =>
      E2eeClient.open({ api: apiFor(stack, erin), userId: erin.userId, deviceId: 'laptop', store, onEvents });
    const failing = await open(() => {
      throw new Error('disk full');
    });
    const direct = (await alices.createConversation({ body: { kind: 'direct', userId: erin.userId } }))
      .conversationId;
    await aliceLaptop.client.send(direct, text('kept'));
    await expect(failing.sync(direct)).rejects.toThrow('disk full');
    // Opened again from what it stored, the device reads the message it could not hand over.
    const read: ChatEvent[] = [];
    const again = await open((events) => {
      read.push(...events);
    });
    await again.sync(direct);
    expect(
      read.flatMap((e) => (e.kind === 'message' ? [new TextDecoder().decode(e.plaintext)] : [])),
    ).toEqual(['kept']);
  });
});
