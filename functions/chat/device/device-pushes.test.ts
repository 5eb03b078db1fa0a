import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { befriend, connectDevice, memoryDeps, seedConversation } from '../../../test/support/fixtures';
import { InMemoryDeviceDirectory } from '../../adapters/memory/memory-device-directory';
import { InMemoryKeyPackageStore } from '../../adapters/memory/memory-key-package-store';
import { ConflictError, ForbiddenError, NotFoundError } from '../../errors';
import { deliverJob } from '../push/deliver-job';
import { registerDevice } from './register-device';
import { renameDevice } from './rename-device';
import { revokeDevice } from './revoke-device';
import { uploadKeyPackages } from './upload-key-packages';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const KEY = Buffer.alloc(32, 1).toString('base64');
const OTHER_KEY = Buffer.alloc(32, 2).toString('base64');
const b64 = (text: string) => Buffer.from(text).toString('base64');
const alice = { userId: 'alice', correlationId: 'c-alice' };
const bob = { userId: 'bob', correlationId: 'c-bob' };
const EVERY_CONNECTION = [
  'alice-phone',
  'alice-laptop',
  'bob-phone',
  'carol-phone',
  'dave-phone',
  'erin-phone',
];

/**
 * Who hears of Alice's devices: her own devices, Bob (a friend) and Carol (in a group with her). Not Dave,
 * a stranger, nor Erin, who shares the group but blocked her.
 */
describe('device pushes', () => {
  let deps: ReturnType<typeof memoryDeps> & {
    devices: InMemoryDeviceDirectory;
    keyPackages: InMemoryKeyPackageStore;
  };
  let register: ReturnType<typeof registerDevice>;
  let upload: ReturnType<typeof uploadKeyPackages>;
  let revoke: ReturnType<typeof revokeDevice>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: T0 });
    deps = {
      ...memoryDeps(),
      devices: new InMemoryDeviceDirectory(),
      keyPackages: new InMemoryKeyPackageStore(),
    };
    register = registerDevice(deps);
    upload = uploadKeyPackages(deps);
    revoke = revokeDevice(deps);
    await befriend(deps.relationships, 'alice', 'bob', T0);
    await seedConversation(deps.conversations, {
      conversationId: 'g_trip',
      kind: 'group',
      memberIds: ['alice', 'carol', 'erin'],
      now: T0,
    });
    await deps.relationships.block({ userId: 'erin', blockedId: 'alice', since: T0 });
    for (const connectionId of EVERY_CONNECTION) {
      await connectDevice(deps.connections, connectionId.split('-')[0] as string, connectionId, T0);
    }
    await register(alice, { deviceId: 'phone', signaturePublicKey: KEY });
    await upload(alice, 'phone', { keyPackages: [b64('phone-1')], lastResort: b64('phone-lr') });
    deps.fanout.jobs.length = 0;
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  /** Runs the queued jobs as the fan-out sender would; the frames each connection got. */
  async function deliverQueued() {
    const deliver = deliverJob(deps);
    // Connection checks are not pushes: the sender runs them apart.
    for (const job of deps.fanout.jobs) if (job.kind !== 'connection-check') await deliver(job);
    const reached = EVERY_CONNECTION.filter((id) => deps.notifier.framesOf(id).length > 0);
    return Object.fromEntries(reached.map((id) => [id, deps.notifier.framesOf(id)]));
  }

  const toAudience = (push: object) => ({
    'alice-phone': [push],
    'alice-laptop': [push],
    'bob-phone': [push],
    'carol-phone': [push],
  });

  it('announces a new device once it can be added to groups: with its first key packages', async () => {
    await register(alice, { deviceId: 'tablet', signaturePublicKey: OTHER_KEY });
    expect(deps.fanout.jobs).toEqual([]);

    await upload(alice, 'tablet', { keyPackages: [b64('tablet-1')], lastResort: b64('tablet-lr') });

    expect(deps.fanout.jobs).toEqual([
      { kind: 'device', event: 'registered', userId: 'alice', deviceId: 'tablet', correlationId: 'c-alice' },
    ]);
    expect(await deliverQueued()).toEqual(
      toAudience({ type: 'device', event: 'registered', userId: 'alice', deviceId: 'tablet' }),
    );
  });

  it('announces a device once: registering it again and topping up its key packages push nothing', async () => {
    await register(alice, { deviceId: 'phone', signaturePublicKey: KEY });
    await expect(register(alice, { deviceId: 'phone', signaturePublicKey: OTHER_KEY })).rejects.toThrow(
      ConflictError,
    );
    await upload(alice, 'phone', { keyPackages: [b64('phone-2')] });
    await upload(alice, 'phone', { keyPackages: [], lastResort: b64('phone-lr-2') });

    expect(deps.fanout.jobs).toEqual([]);
  });

  it('announces a device again when it uploads after every package of it was claimed', async () => {
    await register(alice, { deviceId: 'tablet', signaturePublicKey: OTHER_KEY });
    await upload(alice, 'tablet', { keyPackages: [b64('tablet-1')] });
    await deps.keyPackages.claim('alice', 'tablet');

    await upload(alice, 'tablet', { keyPackages: [b64('tablet-2')] });

    expect(deps.fanout.jobs.map((job) => job.kind === 'device' && job.event)).toEqual([
      'registered',
      'registered',
    ]);
  });

  it('announces a revocation to the same audience once: revoking again pushes nothing', async () => {
    await revoke(alice, 'phone');
    await revoke(alice, 'phone');

    expect(deps.fanout.jobs).toEqual([
      { kind: 'device', event: 'revoked', userId: 'alice', deviceId: 'phone', correlationId: 'c-alice' },
    ]);
    expect(await deliverQueued()).toEqual(
      toAudience({ type: 'device', event: 'revoked', userId: 'alice', deviceId: 'phone' }),
    );
  });

  it('tells only Alice’s own devices of a new name, and nobody of a rename refused', async () => {
    const rename = renameDevice(deps);
    await rename(alice, 'phone', 'Work phone');

    expect(await deliverQueued()).toEqual({
      'alice-phone': [{ type: 'device', event: 'renamed', userId: 'alice', deviceId: 'phone' }],
      'alice-laptop': [{ type: 'device', event: 'renamed', userId: 'alice', deviceId: 'phone' }],
    });
    deps.fanout.jobs.length = 0;
    await expect(rename(bob, 'phone', 'Mine now')).rejects.toThrow(NotFoundError);
    expect(deps.fanout.jobs).toEqual([]);
  });

  it('pushes nothing for a device that is not the caller’s, nor for uploads to a revoked one', async () => {
    await register(bob, { deviceId: 'laptop', signaturePublicKey: KEY });
    await register(alice, { deviceId: 'tablet', signaturePublicKey: OTHER_KEY });
    await revoke(alice, 'tablet');
    deps.fanout.jobs.length = 0;

    await expect(revoke(alice, 'laptop')).rejects.toThrow(NotFoundError);
    await expect(upload(alice, 'laptop', { keyPackages: [b64('sneaky')] })).rejects.toThrow(NotFoundError);
    await expect(upload(alice, 'tablet', { keyPackages: [b64('late')] })).rejects.toThrow(ForbiddenError);
    expect(deps.fanout.jobs).toEqual([]);
  });
});
